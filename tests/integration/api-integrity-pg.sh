#!/usr/bin/env bash
# api-integrity-pg.sh: api-integrity.sh again with the journal on
# PostgreSQL (the private cluster of tests/lib/pg.sh, started by
# tests/tools/devstack.sh): the chunks' checksums and ETags go through the
# PostgreSQL journal into the manifest, with the same assertions.
export JOURNAL_BACKEND=postgresql
exec "$(dirname "$0")/api-integrity.sh"
