#!/usr/bin/env bash
# Does dlc's memory stay flat with the video's length? Runs `dlc run` on a 300-frame and a
# 3000-frame 1280x720 video (made once by tools/make_test_video.sh, kept in .cache/bench/) and
# compares the peak RSS of the two runs. The issue "Video: streaming in constant memory" asks
# for peak(3000) / peak(300) <= 1.05; this exits 1 when it is above, 2 on bad usage or a failed run.
#
#   bench/video_memory.sh [DLC_BINARY]      (default build/dlc; builds nothing)
#   DLC_BENCH_THREADS=1 bench/video_memory.sh   (--execution-threads, default 2)
#
# Peak RSS is dlc's own VmHWM from /proc/PID/status, read every 0.1 s while it runs (the kernel
# keeps the high-water mark, so only growth in the last 0.1 s could be missed). Not
# `/usr/bin/time -f %M`: that is the largest peak among dlc and the ffmpeg children it waited
# for, and at 720p x264's encoder (about 300 MB) outweighs dlc. The ffmpeg decoder and encoder
# peaks are shown beside it, summed, for the whole footprint; the ratio is of dlc's own peaks.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
threads="${DLC_BENCH_THREADS:-2}"
source_face="$root/.cache/media/astronaut.png"
cache="$root/.cache/bench"
size="1280x720"
limit="1.05"

[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "$0: DLC_BENCH_THREADS must be a whole number > 0" >&2; exit 2; }
[[ -f "$source_face" ]] || { echo "$0: $source_face is missing; run scripts/setup.sh" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-video-memory-XXXXXX")"
pid=""  # the dlc run in progress, stopped if this script ends first
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# VmHWM of PID in KiB, or nothing once it has exited.
hwm_kib() {
  local key value _
  while read -r key value _; do
    if [[ "$key" == "VmHWM:" ]]; then
      echo "$value"
      return
    fi
  done 2>/dev/null <"/proc/$1/status" || true
}

# Runs dlc on VIDEO; sets frames, wall_s, pipeline_s, dlc_kib, children_kib.
measure() {
  local video="$1" out="$work/out.mp4" log="$work/dlc.log"
  rm -f "$out"
  local argv=("$dlc" run -s "$source_face" -t "$video" -o "$out" --execution-threads "$threads"
              --memory-monitor-interval 0)
  local start="$EPOCHREALTIME"
  "${argv[@]}" >"$log" 2>&1 &
  pid=$!
  local -A child_kib=()
  dlc_kib=0
  while kill -0 "$pid" 2>/dev/null; do
    local kib child children
    kib="$(hwm_kib "$pid")"
    if [[ -n "$kib" ]]; then dlc_kib="$kib"; fi
    # The decoder (dlc-decode, or ffmpeg) and the ffmpeg encoder; each task file lists the children
    # that thread started. A thread can end between the glob and cat, hence || true (set -e holds in
    # the subshell).
    read -r -a children < <(cat /proc/"$pid"/task/*/children 2>/dev/null || true; echo)
    for child in "${children[@]}"; do
      # Not the short ffprobe runs before the stream starts: they never overlap the two children.
      [[ "$(cat "/proc/$child/comm" 2>/dev/null || true)" =~ ^(ffmpeg|dlc-decode)$ ]] || continue
      kib="$(hwm_kib "$child")"
      if [[ -n "$kib" ]]; then child_kib[$child]="$kib"; fi
    done
    sleep 0.1
  done
  local rc=0
  wait "$pid" || rc=$?
  pid=""
  wall_s="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
  if ((rc != 0)); then
    echo "$0: dlc exited $rc on $video:" >&2
    tail -n 5 "$log" >&2
    exit 2
  fi
  children_kib=0
  for child in "${!child_kib[@]}"; do children_kib=$((children_kib + child_kib[$child])); done
  frames="$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$out")"
  # dlc's last line: "dlc: wrote OUT (N frames in S s, ...)": S excludes start-up (model loading).
  pipeline_s="$(sed -n 's/.*frames in \([0-9.]*\) s.*/\1/p' "$log" | tail -n 1)"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

mkdir -p "$cache"
printf '%-7s %7s %8s %8s %9s %14s %16s\n' frames threads wall_s pipe_s pipe_fps "dlc_peak_MiB" "ffmpeg_peak_MiB"
declare -A peak=()
for count in 300 3000; do
  video="$cache/grace_${count}_${size}.mp4"
  if [[ ! -s "$video" ]]; then
    "$root/tools/make_test_video.sh" "$video.part.mp4" "$count" "$size"
    mv "$video.part.mp4" "$video"
  fi
  measure "$video"
  fps="$(awk -v f="$frames" -v s="$pipeline_s" 'BEGIN { if (s > 0) printf "%.1f", f / s; else print "?" }')"
  printf '%-7s %7s %8s %8s %9s %14s %16s\n' "$frames" "$threads" "$wall_s" "${pipeline_s:-?}" "$fps" \
    "$(mib "$dlc_kib")" "$(mib "$children_kib")"
  if ((frames != count)); then
    echo "$0: the output has $frames frames, not $count" >&2
    exit 2
  fi
  peak[$count]="$dlc_kib"
done

ratio="$(awk -v a="${peak[3000]}" -v b="${peak[300]}" 'BEGIN { printf "%.3f", a / b }')"
echo "dlc peak RSS 3000 / 300 frames: $ratio (limit $limit)"
awk -v r="$ratio" -v l="$limit" 'BEGIN { exit !(r <= l) }' || { echo "$0: above $limit: memory grows with the video" >&2; exit 1; }
