#!/usr/bin/env bash
# dlc live --stream, measured end to end on this machine: a file camera (a 1280x720 25 fps clip of
# Grace Hopper from tools/make_test_video.sh, kept in .cache/bench/) swapped with the astronaut's
# face, sent as MPEG-TS over UDP to an ffmpeg receiver (bench/live_stream_receiver.py) on
# 127.0.0.1. Prints dlc's own lines, the receiver's figures (frames, size, receive rate over the
# run and its middle, capture-to-receiver latency p50/p95 from the capture time dlc draws into
# each frame with --stamp-capture-time), dlc's RSS at 60 s and at the end, and saves frame 100 as
# received to .cache/bench/live-stream-frame100.png. Figures, never pass/fail (exit 2 on bad usage or a failed run).
#
#   bench/live_stream.sh [DLC_BINARY] [SECONDS] [CAMERA_WxH] [STREAM_WxH]
#                        (default build/dlc, 12 s, 1280x720, 1280x720: --virtual-camera-size)
#   DLC_BENCH_MODELS=DIR   --models-dir (default: dlc's own lookup; BlazeFace and the classic swapper without one)
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
seconds="${2:-12}"
size="${3:-1280x720}"
out_size="${4:-1280x720}"
[[ "$out_size" =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "$0: STREAM_WxH must be WxH" >&2; exit 2; }
out_w="${BASH_REMATCH[1]}"
out_h="${BASH_REMATCH[2]}"
source_face="$root/.cache/media/astronaut.png"
cache="$root/.cache/bench"
[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "$0: SECONDS must be a whole number > 0" >&2; exit 2; }
[[ -f "$source_face" ]] || { echo "$0: $source_face is missing; run scripts/setup.sh" >&2; exit 2; }

frames=$(( (seconds + 2) * 25 ))
mkdir -p "$cache"
clip="$cache/live-stream-$size-$frames.mp4"
[[ -f "$clip" ]] || "$root/tools/make_test_video.sh" "$clip" "$frames" "$size" --no-audio >/dev/null
work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-live-stream-XXXXXX")"
receiver_pid=""
dlc_pid=""
cleanup() {
  [[ -n "$dlc_pid" ]] && kill "$dlc_pid" 2>/dev/null || true
  [[ -n "$receiver_pid" ]] && kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="udp://127.0.0.1:$port"
png="$root/.cache/bench/live-stream-frame100.png"
python3 "$root/bench/live_stream_receiver.py" "$url" "$work/frame100.ppm" 100 "$out_w" "$out_h" >"$work/receiver.json" &
receiver_pid=$!
sleep 1

args=(live -s "$source_face" --camera "$clip" --headless --stream "$url" --stamp-capture-time --duration "$seconds"
      --virtual-camera-size "$out_size"
      --memory-monitor-interval 0)
[[ -n "${DLC_BENCH_MODELS:-}" ]] && args+=(--models-dir "$DLC_BENCH_MODELS")
"$dlc" "${args[@]}" >"$work/dlc.out" 2>"$work/dlc.err" &
dlc_pid=$!
rss_at() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$dlc_pid/status" 2>/dev/null || true; }
start=$SECONDS
rss_60=""
rss_last=""
while kill -0 "$dlc_pid" 2>/dev/null; do
  now=$(rss_at)
  [[ -n "$now" ]] && rss_last="$now"
  if [[ -z "$rss_60" && $((SECONDS - start)) -ge 60 && -n "$now" ]]; then rss_60="$now"; fi
  sleep 1
done
status=0
wait "$dlc_pid" || status=$?
dlc_pid=""
wait "$receiver_pid" || true
receiver_pid=""
cat "$work/dlc.out"
grep -v '^\s*$' "$work/dlc.err" | tail -n 3 >&2 || true
[[ $status -eq 0 ]] || { echo "$0: dlc exited $status" >&2; exit 2; }
echo "receiver: $(cat "$work/receiver.json")"
echo "dlc RSS: ${rss_60:-n/a} MB at 60 s, ${rss_last:-n/a} MB at $((SECONDS - start)) s (VmRSS, MB = 2^20 bytes, sampled each second)"
if [[ -f "$work/frame100.ppm" ]]; then
  ffmpeg -v error -y -i "$work/frame100.ppm" "$png"
  echo "frame 100 as received: $png"
fi
