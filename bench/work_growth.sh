#!/usr/bin/env bash
# What grows with the work: `dlc bench` per stage (mean ms per frame) against the faces in a frame
# (1, 4 and 16 copies of Grace Hopper's photo tiled into a 1280x720 frame, --many-faces) and against
# the frame size (480p to 2160p, one face of the same size in each). Never pass/fail; a benchmark
# of the machine it runs on (timings depend on its load: note it). Each row is followed by one
# ending in "cpu": the stages' CPU time on the thread that ran them (ONNX Runtime's own threads
# not counted), which the load does not inflate. Exit 2 on bad usage.
#
#   bench/work_growth.sh [DLC_BINARY]     (default build/dlc; builds nothing)
#   DLC_BENCH_FRAMES=12 DLC_BENCH_ARGS="--models-dir .cache/standins" bench/work_growth.sh
#   DLC_BENCH_FACES="1 4 16" DLC_BENCH_SIZES="854x480 1280x720 1920x1080 3840x2160"
#
# With DIR holding only inswapper_128.onnx and w600k_r50.onnx (e.g. the fixtures of build/fixtures):
# BlazeFace finds the faces, dlib's 68 points place them, the swapper's inference is near zero, so
# what is left is dlc's own per-face work. Without models: the classic swapper (slow). "per face" is (ms at the most faces - ms at one face) / (faces - 1): the
# marginal cost of one more face.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
frames="${DLC_BENCH_FRAMES:-12}"
faces_list="${DLC_BENCH_FACES-1 4 16}"
sizes="${DLC_BENCH_SIZES-854x480 1280x720 1920x1080 3840x2160}"
read -r -a extra <<<"${DLC_BENCH_ARGS:-}"
photo="$root/.cache/media/grace_hopper.jpg"
source_face="$root/.cache/media/astronaut.png"
[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ -f "$photo" && -f "$source_face" ]] || { echo "$0: the Debian photos are missing; run scripts/setup.sh" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-work-growth-XXXXXX")"
trap 'rm -rf "$work"' EXIT

stages=(decode detect landmarks align "swap inference" paste-back enhance encode)

# CLIP LABEL: one row of mean ms per frame for each stage, from dlc bench --json.
bench_row() {
  local json="$work/bench.json"
  if ! "$dlc" bench -s "$source_face" -t "$1" --many-faces --frames "$frames" --json "${extra[@]}" >"$json" \
    2>"$work/bench.err"; then
    echo "$0: dlc bench failed on $1: $(tail -n 1 "$work/bench.err")" >&2
    exit 1
  fi
  python3 - "$json" "$2" "$frames" "${stages[@]}" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
label, frames, names = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
stages = {s["stage"]: s for s in report["pipeline"]["stages"]} if "pipeline" in report else {s["stage"]: s for s in report["stages"]}
timed = max((s["calls"] for n, s in stages.items() if n in ("decode", "encode")), default=frames) or frames
faces = stages.get("swap inference", {}).get("calls", 0) / timed if timed else 0
for key, suffix in (("mean_ms", ""), ("cpu_mean_ms", " cpu")):
    cells = []
    for n in names:
        s = stages.get(n)
        cells.append("-" if s is None or key not in s else f"{s[key] * s['calls'] / timed:.2f}")
    print(f"{label + suffix:<12} {faces:6.1f} " + " ".join(f"{c:>10}" for c in cells))
EOF
}

header() {
  printf '%-12s %6s' "$1" "swaps"
  for s in "${stages[@]}"; do printf ' %10s' "${s// /-}"; done
  printf '\n'
}

echo "mean ms per frame, by stage (dlc bench, $frames frames after its warm-up; load average $(cut -d' ' -f1 /proc/loadavg))"
header "faces/frame"
for n in $faces_list; do
  k=$(awk -v n="$n" 'BEGIN { printf "%d", sqrt(n) + 0.5 }')
  clip="$work/faces$n.mp4"
  w=$((1280 / k / 2 * 2)) h=$((720 / k / 2 * 2))
  ffmpeg -v error -nostdin -loop 1 -i "$photo" -vf "scale=$w:$h:force_original_aspect_ratio=decrease,pad=$w:$h:(ow-iw)/2:(oh-ih)/2,tile=${k}x${k},scale=1280:720,setsar=1" \
    -frames:v "$((frames + 4))" -r 25 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -y "$clip"
  bench_row "$clip" "$n"
done
echo
header "size"
for size in $sizes; do
  clip="$work/$size.mp4"
  # The photo at 360 px tall in every size: the face is the same, only the pixels around it grow.
  ffmpeg -v error -nostdin -loop 1 -i "$photo" -vf "scale=-2:360,pad=${size%x*}:${size#*x}:(ow-iw)/2:(oh-ih)/2,setsar=1" \
    -frames:v "$((frames + 4))" -r 25 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -y "$clip"
  bench_row "$clip" "$size"
done
