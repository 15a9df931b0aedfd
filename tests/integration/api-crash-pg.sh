#!/usr/bin/env bash
# api-crash-pg.sh: api-crash.sh again with the journal on PostgreSQL (the
# private cluster of tests/lib/pg.sh, started by tests/tools/devstack.sh):
# the same crashes and assertions, the journal read back with psql.
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/api-crash.sh"
