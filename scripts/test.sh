#!/usr/bin/env bash
# The README's second command: sets everything up, builds dlc and its tests, runs the whole
# suite. Safe to run again: finished steps are skipped.
#   scripts/test.sh [release|asan]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-release}
cd "$root"
scripts/setup.sh
scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"
