#!/usr/bin/env bash
# api-sweep-pg.sh: api-sweep.sh again with the journal on PostgreSQL
# (tests/lib/pg.sh's private cluster, started by devstack.sh): the sweep's
# round lease and its lookups on that driver.
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/api-sweep.sh"
