#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh Debian 12 machine, builds dlc and
# runs its main job, a face swap on the Debian sample photos with no downloaded model. Safe to
# run again: finished steps are skipped.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/setup.sh "$@"
scripts/build.sh release
mkdir -p output
echo "[demo] build/dlc diagnose"
build/dlc diagnose
echo "[demo] build/dlc run -s .cache/media/astronaut.png -t .cache/media/grace_hopper.jpg -o output/astronaut-grace_hopper.png"
build/dlc run -s .cache/media/astronaut.png -t .cache/media/grace_hopper.jpg -o output/astronaut-grace_hopper.png
echo "[demo] result: $root/output/astronaut-grace_hopper.png"
