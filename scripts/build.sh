#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release -> build/dlc). Incremental.
#   scripts/build.sh [release|asan]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-release}
cd "$root"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
