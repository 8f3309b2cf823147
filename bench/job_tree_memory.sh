#!/usr/bin/env bash
# The whole job's memory against its plan and budget: `dlc run` on a video at each size, under
# each --max-memory budget, with dlc's own peak, the tree's (dlc + its ffmpeg decoder and
# encoder) and the plan dlc printed. Never pass/fail; exit 2 on bad usage.
#
#   bench/job_tree_memory.sh [DLC_BINARY]        (default build/dlc; builds nothing)
#   DLC_BENCH_SIZES="1280x720 1920x1080 3840x2160" DLC_BENCH_BUDGETS="none 1.0 0.3" \
#     DLC_BENCH_FRAMES=60 DLC_BENCH_ARGS="--models-dir .cache/standins" bench/job_tree_memory.sh
#   DLC_BENCH_CLIP=faceless: testsrc2 frames (no face: detection runs, the swapper does not), for
#     a 2-core machine where swapping 60 frames of 2160p takes too long; the children's figures
#     are the same either way.
#
# Figures, in MB (2^20 bytes), read from /proc every 0.05 s while dlc runs: "dlc peak" is dlc's
# VmHWM; "children" the sum of each child's last VmHWM read before it exited; "tree sampled" the
# highest sum of dlc's and its children's VmRSS at one reading; "bound" dlc's peak + the
# children's (the tree cannot have held more). "planned" and "budget" are dlc's own lines. A
# budget that cannot be met exits 5 with the plan, whose encoder line is shown.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
sizes="${DLC_BENCH_SIZES-1280x720 1920x1080 3840x2160}"
budgets="${DLC_BENCH_BUDGETS-none 1.0 0.3}"
frames="${DLC_BENCH_FRAMES:-60}"
clip="${DLC_BENCH_CLIP:-face}"
read -r -a extra <<<"${DLC_BENCH_ARGS:-}"
source_face="$root/.cache/media/astronaut.png"
[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ -f "$source_face" ]] || { echo "$0: $source_face is missing; run scripts/setup.sh" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-tree-memory-XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=tree_sampling.sh
source "$root/bench/tree_sampling.sh"

printf '%-10s %-7s %5s %9s %9s %13s %9s %9s  %s\n' size budget exit "dlc peak" children "tree sampled" bound planned \
  "encoder (plan)"
for size in $sizes; do
  video="$work/$size.mp4"
  if [[ "$clip" == faceless ]]; then
    ffmpeg -v error -nostdin -f lavfi -i "testsrc2=s=$size:r=25" -frames:v "$frames" -c:v libx264 -preset ultrafast \
      -pix_fmt yuv420p -y "$video"
  else
    "$root/tools/make_test_video.sh" "$video" "$frames" "$size" --no-audio >/dev/null
  fi
  for budget in $budgets; do
    argv=("$dlc" run -s "$source_face" -t "$video" -o "$work/out.mp4" --memory-monitor-interval 0
          --log-level debug "${extra[@]}")
    [[ "$budget" != none ]] && argv+=(--max-memory "$budget")
    "${argv[@]}" >"$work/log" 2>&1 &
    pid=$!
    watch_tree "$pid"
    rc=0
    wait "$pid" || rc=$?
    pid=""
    children=0
    for c in "${child_hwm[@]}"; do children=$((children + c)); done
    planned="$(grep -oE '[0-9.]+ MB  planned peak' "$work/log" | tail -1 | cut -d' ' -f1)"
    encoder="$(grep -oE 'ffmpeg encoder [^(]*' "$work/log" | tail -1 | sed 's/ *$//')"
    printf '%-10s %-7s %5s %9s %9s %13s %9s %9s  %s\n' "$size" "$budget" "$rc" "$(mb "$own")" "$(mb "$children")" \
      "$(mb "$tree")" "$(mb $((own + children)))" "${planned:--}" "${encoder:--}"
    if [[ "$rc" -ne 0 && "$rc" -ne 5 ]]; then tail -3 "$work/log" >&2; fi
  done
done
