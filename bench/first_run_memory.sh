#!/usr/bin/env bash
# A job's first run against its later runs: `dlc run` (swapper + GFPGAN) on a short clip, first
# on a fresh `.dlc-mapped/` (the run writes the mapped and the optimized copies), then again with
# the copies there. For each run: the smallest --max-memory the plan accepts (`dlc plan`, bisected
# in steps of 0.01 GB), then `dlc run` at that budget, with dlc's own peak, the tree's (dlc and
# every child it starts, sampled), the plan's figure and the output's framemd5. Never pass/fail;
# exit 2 on bad usage.
#
#   bench/first_run_memory.sh [DLC_BINARY]      (default build/dlc; builds nothing)
#   DLC_BENCH_MODELS=.cache/standins DLC_BENCH_FRAMES=4 DLC_BENCH_SIZE=1280x720 \
#     DLC_BENCH_ENHANCER=GFPGANv1.4.onnx DLC_BENCH_ARGS="--execution-threads 2" bench/first_run_memory.sh
#   (DLC_BENCH_ENHANCER=gfpgan-1024.onnx: the enhancer at 1024; DLC_BENCH_KEEP_LOGS=PREFIX keeps
#   each run's log as PREFIX.first.log and PREFIX.second.log)
#
# The models are hard-linked (else copied, keeping their times) into a folder of their own beside
# DLC_BENCH_MODELS, so its `.dlc-mapped/` starts empty and the models' own is left alone. Figures
# in MB (2^20 bytes), read from /proc every 0.05 s: "dlc peak" dlc's VmHWM, "tree sampled" the
# highest sum of the VmRSS of dlc and its children at one reading; "planned" is dlc's end line.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
models="${DLC_BENCH_MODELS:-$root/.cache/standins}"
frames="${DLC_BENCH_FRAMES:-4}"
size="${DLC_BENCH_SIZE:-1280x720}"
read -r -a extra <<<"${DLC_BENCH_ARGS:---execution-threads 2}"
source_face="$root/.cache/media/grace_hopper.jpg"
files=(det_10g.onnx 2d106det.onnx w600k_r50.onnx inswapper_128.onnx "${DLC_BENCH_ENHANCER:-GFPGANv1.4.onnx}")
[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ -f "$source_face" ]] || { echo "$0: $source_face is missing; run scripts/setup.sh" >&2; exit 2; }
for f in "${files[@]}"; do
  [[ -f "$models/$f" ]] || { echo "$0: $models/$f is missing; run scripts/standins.sh" >&2; exit 2; }
done

work="$(mktemp -d "$(dirname "$models")/first-run-XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$work/models"
for f in "${files[@]}"; do ln "$models/$f" "$work/models/$f" 2>/dev/null || cp -p "$models/$f" "$work/models/$f"; done
"$root/tools/make_test_video.sh" "$work/clip.mp4" "$frames" "$size" --no-audio >/dev/null
job=(-s "$source_face" -t "$work/clip.mp4" --models-dir "$work/models" --frame-processor face_swapper face_enhancer
     "${extra[@]}")

# shellcheck source=tree_sampling.sh
source "$root/bench/tree_sampling.sh"

smallest_budget() {  # in hundredths of a GB: the smallest that `dlc plan` accepts
  local low=20 high=800 mid
  while ((high - low > 1)); do
    mid=$(((low + high) / 2))
    if "$dlc" plan "${job[@]}" --max-memory "$(awk -v c="$mid" 'BEGIN { printf "%.2f", c / 100 }')" >/dev/null 2>&1; then
      high=$mid
    else
      low=$mid
    fi
  done
  awk -v c="$high" 'BEGIN { printf "%.2f", c / 100 }'
}

printf '%-7s %8s %5s %9s %13s %9s  %s\n' run budget exit "dlc peak" "tree sampled" planned "framemd5 (sha256)"
for run in first second; do
  budget="$(smallest_budget)"
  "$dlc" run "${job[@]}" -o "$work/$run.mp4" --max-memory "$budget" --memory-monitor-interval 0 --log-level debug \
    >"$work/$run.log" 2>&1 &
  pid=$!
  watch_tree "$pid"
  rc=0
  wait "$pid" || rc=$?
  pid=""
  planned="$(grep -oE 'planned [0-9.]+ MB' "$work/$run.log" | tail -1 | cut -d' ' -f2)"
  md5=-
  if [[ "$rc" -eq 0 ]]; then
    md5="$(ffmpeg -v error -nostdin -i "$work/$run.mp4" -map 0:v -f framemd5 - | grep -v '^#' | sha256sum | cut -c1-16)"
  else
    tail -3 "$work/$run.log" >&2
  fi
  printf '%-7s %8s %5s %9s %13s %9s  %s\n' "$run" "$budget" "$rc" "$(mb "$own")" "$(mb "$tree")" "${planned:--}" "$md5"
  if [[ -n "${DLC_BENCH_KEEP_LOGS:-}" ]]; then cp "$work/$run.log" "$DLC_BENCH_KEEP_LOGS.$run.log"; fi
done
