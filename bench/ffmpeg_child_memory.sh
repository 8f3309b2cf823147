#!/usr/bin/env bash
# The peak RSS of the ffmpeg children dlc starts, per encoder, resolution, threads and lookahead:
# the figures behind kFfmpegChildPeaks in src/memory/ffmpeg_memory.cpp (dlc-decode's too).
#
#   bench/ffmpeg_child_memory.sh [OUT.tsv]          (default: stdout)
#   DLC_BENCH_SIZES="1280x720 1920x1080" DLC_BENCH_ENCODERS="libx264" DLC_BENCH_LEVELS="2:d 1:0" \
#     DLC_BENCH_DECODER_THREADS="1 2" bench/ffmpeg_child_memory.sh
#   DLC_DECODE=build/dlc-decode     dlc-decode, measured beside ffmpeg's decoder (default: the build
#                                   tree's, when built; DLC_DECODE=none: only ffmpeg)
#
# Each encoder run is the argv dlc's VideoWriter builds (bgr24 frames on stdin, -crf 18, the
# preset, -threads N and the encoder's lookahead option), fed frames of
# testsrc2 from a second ffmpeg (the lookahead + threads + 16 frames, enough to fill its pipeline); each decoder run is dlc's VideoReader argv (to a bgr24 pipe read
# into /dev/null) over an H.264 clip made here first. The peak is the child's own maximum RSS as
# the kernel reports it when it is reaped (GNU time's %M, from wait4's rusage): ffmpeg is one
# process, so this is exactly its VmHWM. Never pass/fail; memory does not depend on the load.
set -Eeuo pipefail
trap 'echo "$0: line $LINENO failed: $BASH_COMMAND" >&2' ERR

sizes="${DLC_BENCH_SIZES-854x480 1280x720 1920x1080 3840x2160}"
encoders="${DLC_BENCH_ENCODERS-libx264 libx265 libvpx-vp9}"
# Enough frames to fill the encoder's pipeline (its lookahead, a frame per thread, B-frames and
# references) so its peak is reached; more frames only take longer.
extra_frames="${DLC_BENCH_EXTRA_FRAMES:-16}"
# threads:lookahead; "d" keeps the encoder's default lookahead (x264 medium 40, x265 medium 20,
# libvpx lag-in-frames 25).
levels="${DLC_BENCH_LEVELS-8:d 4:d 2:d 2:10 1:0}"
decoder_threads="${DLC_BENCH_DECODER_THREADS-1 2 4 8}"
out="${1:-/dev/stdout}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc_decode="${DLC_DECODE:-$root/build/dlc-decode}"
[[ -x "$dlc_decode" ]] || dlc_decode=""

command -v ffmpeg >/dev/null || { echo "$0: ffmpeg is not installed" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "$0: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-child-memory-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# x265 refuses a lookahead shorter than its 4 consecutive B-frames: 5 is its least (ultrafast's).
effective_lookahead() {  # ENCODER LOOKAHEAD
  if [[ "$1" == libx265 && "$2" != d && "$2" -lt 5 ]]; then echo 5; else echo "$2"; fi
}

lookahead_args() {  # ENCODER LOOKAHEAD
  [[ "$2" == d ]] && return 0
  case "$1" in
    libx264) echo "-x264-params rc-lookahead=$2" ;;
    libx265) echo "-x265-params log-level=error:rc-lookahead=$2" ;;
    libvpx-vp9) echo "-lag-in-frames $2" ;;
  esac
}

codec_args() {  # ENCODER
  case "$1" in
    libx264) echo "-crf 18 -preset medium" ;;
    libx265) echo "-crf 18 -preset medium" ;;
    libvpx-vp9) echo "-crf 18 -b:v 0" ;;
  esac
}

printf 'kind\tcodec\tsize\tthreads\tlookahead\tpeak_kib\n' >"$out"
for size in $sizes; do
  for encoder in $encoders; do
    for level in $levels; do
      threads="${level%%:*}"
      lookahead="$(effective_lookahead "$encoder" "${level##*:}")"
      extra="$(lookahead_args "$encoder" "$lookahead")"
      held="$lookahead"
      [[ "$held" == d ]] && held=40
      frames=$((held + threads + extra_frames))
      [[ "$encoder" == libx265 && -z "$extra" ]] && extra="-x265-params log-level=error"
      # shellcheck disable=SC2086  # the option lists are words
      ffmpeg -v error -nostdin -f lavfi -i "testsrc2=s=$size:r=25" -frames:v "$frames" -pix_fmt bgr24 -f rawvideo pipe:1 |
        /usr/bin/time -f %M -o "$work/peak" ffmpeg -v error -nostdin -f rawvideo -pix_fmt bgr24 -s "$size" -r 25 \
          -i pipe:0 -c:v "$encoder" $(codec_args "$encoder") -threads "$threads" $extra -pix_fmt yuv420p \
          -y "$work/out.mkv"
      printf 'encoder\t%s\t%s\t%s\t%s\t%s\n' "$encoder" "$size" "$threads" "$lookahead" "$(cat "$work/peak")" >>"$out"
    done
  done
  ffmpeg -v error -nostdin -f lavfi -i "testsrc2=s=$size:r=25" -frames:v 30 -c:v libx264 -preset ultrafast \
    -pix_fmt yuv420p -y "$work/clip.mp4"
  for threads in $decoder_threads; do
    /usr/bin/time -f %M -o "$work/peak" ffmpeg -v error -nostdin -threads "$threads" -i "$work/clip.mp4" -f rawvideo \
      -pix_fmt bgr24 -fps_mode passthrough pipe:1 >/dev/null
    printf 'decoder\th264\t%s\t%s\t-\t%s\n' "$size" "$threads" "$(cat "$work/peak")" >>"$out"
    # dlc-decode: the argv dlc's VideoReader gives it, the same clip to the same pipe.
    if [[ -n "$dlc_decode" ]]; then
      /usr/bin/time -f %M -o "$work/peak" "$dlc_decode" --threads "$threads" "$work/clip.mp4" >/dev/null 2>"$work/err"
      printf 'decoder\tdlc-decode\t%s\t%s\t-\t%s\n' "$size" "$threads" "$(cat "$work/peak")" >>"$out"
    fi
  done
done
