#!/usr/bin/env bash
# Makes a 25 fps test video of Grace Hopper's portrait (.cache/media/grace_hopper.jpg, fetched by
# scripts/setup.sh) that slowly pans and zooms, so the face moves and changes size from frame to
# frame, with a 440 Hz tone of the same length: H.264 (libx264, yuv420p) and AAC.
#
#   tools/make_test_video.sh OUT.mp4 FRAMES [WxH] [--no-audio]
#
# WxH defaults to 1280x720 and must be even both ways (yuv420p). ffmpeg runs from an argv array,
# never through a shell string.
set -euo pipefail

usage() {
  echo "usage: $0 OUT.mp4 FRAMES [WxH] [--no-audio]" >&2
  exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
photo="$root/.cache/media/grace_hopper.jpg"
fps=25

out=""
frames=""
size="1280x720"
audio=1
for arg in "$@"; do
  case "$arg" in
    --no-audio) audio=0 ;;
    -h | --help) usage ;;
    *)
      if [[ -z "$out" ]]; then
        out="$arg"
      elif [[ -z "$frames" ]]; then
        frames="$arg"
      else
        size="$arg"
      fi
      ;;
  esac
done
[[ -n "$out" && -n "$frames" ]] || usage
[[ "$frames" =~ ^[1-9][0-9]*$ ]] || { echo "$0: FRAMES must be a whole number > 0, not '$frames'" >&2; exit 2; }
[[ "$size" =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || { echo "$0: size must be WxH, not '$size'" >&2; exit 2; }
width="${BASH_REMATCH[1]}"
height="${BASH_REMATCH[2]}"
if ((width % 2 || height % 2)); then
  echo "$0: $size: yuv420p needs an even width and height" >&2
  exit 2
fi
[[ -f "$photo" ]] || { echo "$0: $photo is missing; run scripts/setup.sh" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "$0: ffmpeg is not installed" >&2; exit 1; }

# The portrait (512x600) is padded with gray to the frame's aspect ratio, then zoompan turns the
# one picture into FRAMES frames: the zoom swings between 1.1x and 1.4x over 4 s and the view
# drifts left and right over 6 s, so a detector sees the face move and change size.
seconds="$((frames / fps)).$(printf '%02d' $((frames % fps * 100 / fps)))"
picture="pad=w='max(iw,ih*${width}/${height})':h='max(ih,iw*${height}/${width})':x='(ow-iw)/2':y='(oh-ih)/2':color=gray"
motion="zoompan=z='1.25+0.15*sin(2*PI*on/100)':x='(iw-iw/zoom)/2*(1+sin(2*PI*on/150))':y='(ih-ih/zoom)/2'"
motion+=":d=${frames}:s=${width}x${height}:fps=${fps}"

argv=(ffmpeg -v error -nostdin -y -i "$photo")
if ((audio)); then
  argv+=(-f lavfi -i "sine=frequency=440:sample_rate=48000:duration=${seconds}")
fi
argv+=(-filter_complex "[0:v]${picture},${motion},format=yuv420p[v]" -map "[v]")
# -preset veryfast: a fixture, made once; the pipeline decodes it the same at any preset.
argv+=(-c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p)
if ((audio)); then
  argv+=(-map 1:a -c:a aac)
fi
argv+=("$out")
"${argv[@]}"
