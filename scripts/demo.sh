#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh Debian 12 machine, builds dlc and
# runs its main job. Safe to run again: finished steps are skipped.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/setup.sh "$@"
scripts/build.sh release
echo "[demo] build/dlc --version"
build/dlc --version
# Until the face pipeline lands, the main job is the memory diagnosis of this machine.
echo "[demo] build/dlc diagnose"
build/dlc diagnose
