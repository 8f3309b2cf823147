#!/usr/bin/env bash
# A budget the machine cannot give (issue 20, item 5), in a real memory cgroup: dlc runs swap +
# GFPGAN (the stand-ins, scripts/standins.sh) on an 8-frame 720p clip inside a 2 GiB cgroup,
# under each --max-memory given. A budget under the limit is taken (stage fits it); one above it
# is capped with a warning, so the job plans for what the cgroup holds instead of being killed
# by the kernel (exit 137). Needs root and a writable cgroup hierarchy (v1 memory or v2); exits 2
# without them. Never pass/fail.
#
#   bench/cgroup_budget.sh [DLC_BINARY]    DLC_BENCH_LIMIT=2G DLC_BENCH_BUDGETS="1.9 8"
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
limit="${DLC_BENCH_LIMIT:-2G}"
budgets="${DLC_BENCH_BUDGETS:-1.9 8}"
models="$root/.cache/standins"
source_face="$root/.cache/media/astronaut.png"
[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable" >&2; exit 2; }
[[ -f "$models/GFPGANv1.4.onnx" && -f "$models/inswapper_128.onnx" ]] ||
  { echo "$0: the stand-ins are missing in $models; run scripts/standins.sh" >&2; exit 2; }
[[ "$(id -u)" == 0 ]] || { echo "$0: needs root to make a cgroup" >&2; exit 2; }

# This shell's memory cgroup (v1 "N:memory:/path", else v2 "0::/path"), and a child of it.
if v1="$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup)" && [[ -d /sys/fs/cgroup/memory ]]; then
  parent="/sys/fs/cgroup/memory${v1##*:}"
  limit_file=memory.limit_in_bytes peak_file=memory.max_usage_in_bytes
else
  parent="/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)"
  limit_file=memory.max peak_file=memory.peak
fi
group="${parent%/}/dlc-test-$$"
mkdir "$group" || { echo "$0: cannot make $group" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-cgroup-XXXXXX")"
cleanup() {
  rm -rf "$work"
  rmdir "$group" 2>/dev/null || true
}
trap cleanup EXIT
echo "$limit" >"$group/$limit_file"
[[ -f "$group/memory.memsw.limit_in_bytes" ]] && echo "$limit" >"$group/memory.memsw.limit_in_bytes"
[[ -f "$group/memory.swap.max" ]] && echo 0 >"$group/memory.swap.max"
echo "cgroup $group: $limit_file = $(cat "$group/$limit_file")"

"$root/tools/make_test_video.sh" "$work/clip.mp4" 8 1280x720 >/dev/null
for budget in $budgets; do
  [[ -f "$group/$peak_file" && "$peak_file" == memory.max_usage_in_bytes ]] && echo 0 >"$group/$peak_file"
  rc=0
  # The shell moves itself into the cgroup, then becomes dlc: dlc and its children are in it.
  /bin/sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$group" \
    "$dlc" run -s "$source_face" -t "$work/clip.mp4" -o "$work/out.mp4" --models-dir "$models" \
    --frame-processor face_swapper face_enhancer --max-memory "$budget" --memory-monitor-interval 0 \
    >"$work/log" 2>&1 || rc=$?
  peak="$(cat "$group/$peak_file" 2>/dev/null || echo 0)"
  # v1 has memory.oom_control, v2 memory.events; each says "oom_kill N".
  oom="$({ cat "$group/memory.oom_control" || cat "$group/memory.events" || true; } 2>/dev/null |
    awk '/^oom_kill /{v=$2} END{print v}')"
  echo "--max-memory $budget: exit $rc, cgroup peak $(awk -v b="$peak" 'BEGIN { printf "%.1f MB", b / 1048576 }'), OOM kills so far ${oom:-?}"
  grep -E 'warning|memory:|wrote|cannot be met' "$work/log" | sed 's/^/    /'
done
