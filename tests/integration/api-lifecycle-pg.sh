#!/usr/bin/env bash
# api-lifecycle-pg.sh: api-lifecycle.sh again with the journal on
# PostgreSQL (tests/lib/pg.sh's private cluster, started by devstack.sh):
# the sealing of abandoned sessions takes FOR UPDATE SKIP LOCKED there.
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/api-lifecycle.sh"
