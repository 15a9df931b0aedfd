#!/usr/bin/env bash
# api-multipart-pg.sh: api-multipart.sh again with the journal on
# PostgreSQL (the private cluster of tests/lib/pg.sh, started by
# tests/tools/devstack.sh): the same scenarios and assertions, the journal
# read back with psql (tests/lib/api.js journalSql()).
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/api-multipart.sh"
