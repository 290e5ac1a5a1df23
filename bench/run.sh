#!/usr/bin/env bash
# `npm run bench`: installs wrk (and redis-server) if missing, builds Duetime (npm run build -> dist/), then runs
# bench/run-benchmarks.ts, which measures scheduling throughput, a 20,000-job burst and memory,
# and writes bench/results/<date>-<machine>.json and .md. Arguments are passed to it, e.g.
#   npm run bench -- --stages burst --profile always
# Everything it starts runs in one process group with a temp work dir; both are removed on
# exit, whatever the exit. The whole run is bounded by BENCH_TIMEOUT_S (default 3600 s: the
# default stages took 12 minutes here on 2026-12-05 at low load, the ten-million stage 4 of them; it is allowed up to 37).
set -euo pipefail

cd "$(dirname "$0")/.."
TIMEOUT_S="${BENCH_TIMEOUT_S:-3600}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: wrk is missing; installing Debian's wrk" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  APT=(-o DPkg::Lock::Timeout=120 -y -q)
  $SUDO apt-get install "${APT[@]}" wrk >/dev/null || { $SUDO apt-get update -q "${APT[@]:0:2}" >/dev/null && $SUDO apt-get install "${APT[@]}" wrk >/dev/null; }
  command -v wrk >/dev/null 2>&1 || { echo "bench: could not install wrk" >&2; exit 1; }
fi

# The BullMQ stages start Debian's redis-server; the project's service script installs it (with
# the other servers the integration tests use) and keeps its system service stopped.
if ! command -v redis-server >/dev/null 2>&1; then
  echo "bench: redis-server is missing; installing it with scripts/ensure-services.sh" >&2
  bash scripts/ensure-services.sh >&2 || { echo "bench: could not install redis-server" >&2; exit 1; }
fi

BUILD="ok"
if ! npm run build --silent; then
  if [ -f dist/cli/main.js ]; then
    BUILD="tsc reported type errors (JavaScript emitted anyway; see the build output)"
    echo "bench: $BUILD; measuring the emitted dist/" >&2
  else
    echo "bench: the build failed and produced no dist/cli/main.js" >&2
    exit 1
  fi
fi

# On the project's disk (not a tmpfs /tmp, where fsync would cost nothing), in .tmp/ (git-ignored).
mkdir -p .tmp
WORK_DIR="$(mktemp -d "$PWD/.tmp/bench-XXXXXX")"
PGID=""
cleanup() {
  # The driver and everything it started share one process group, led by the driver.
  if [ -n "$PGID" ]; then kill -TERM -- "-$PGID" 2>/dev/null || true; sleep 1; kill -KILL -- "-$PGID" 2>/dev/null || true; fi
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export BENCH_WORK_DIR="$WORK_DIR" BENCH_BUILD="$BUILD" BENCH_COMMAND="npm run bench${*:+ -- $*}"
setsid timeout -k 30 "$TIMEOUT_S" node --import tsx bench/run-benchmarks.ts "$@" &
PGID=$!
set +e
wait "$PGID"
STATUS=$?
set -e
PGID_DONE="$PGID"
# The driver has exited; kill whatever of its group might still be running.
kill -KILL -- "-$PGID_DONE" 2>/dev/null || true
PGID=""
if [ "$STATUS" -eq 124 ]; then echo "bench: timed out after ${TIMEOUT_S} s" >&2; fi
exit "$STATUS"
