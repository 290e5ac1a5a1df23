#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it (and CI, after `npm ci`):
#   1. install the Debian servers the integration tests start (when missing, as root),
#   2. type-check and lint,
#   3. every Vitest project: unit + conformance (fake clock, milliseconds), then integration
#      (real SQLite files, real HTTP, real brokers, etcd and stores on free loopback ports).
# It ends with one plain line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh
echo "== type-check"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
echo "== tests"
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-report.json "$@" || status=$?
node scripts/summarise-tests.js .tmp/vitest-report.json || true
exit "$status"
