#!/usr/bin/env bash
# outbox-faults-pg.sh: outbox-faults.sh again with the journal on PostgreSQL (the private
# cluster of tests/lib/pg.sh, started by tests/tools/devstack.sh): the same
# scenarios and the same assertions, read back from the database with psql
# (tests/lib/api.js journalSql()).
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/outbox-faults.sh"
