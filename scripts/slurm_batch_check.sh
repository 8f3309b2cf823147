#!/usr/bin/env bash
# The issue's must-show for `dlc batch slurm`, on a single-node Slurm on this machine
# (scripts/slurm_local.sh): a 250-frame clip with audio in 4 parts, submitted; part 1 requeued
# while it runs; the joined output checked for 250 frames, the audio and, lossless
# (--video-quality 0), the framemd5 of one whole `dlc run`; a part deleted and the join refused;
# each part's peak (dlc's own "memory: peak RSS" line: the kernel's figures for dlc and its ffmpeg
# children) against the --mem it was given.
#
#   scripts/slurm_batch_check.sh [WORK_DIR]      (build/dlc must be built)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-$(mktemp -d /tmp/dlc-slurm.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
dlc="$root/build/dlc"
face="$root/.cache/media/astronaut.png"
# The default smoothing: with the parts' 150-frame pre-roll they are bitwise those of a whole run on
# this clip (README, "Many videos, many machines"); DLC_CHECK_FLAGS adds flags (e.g. --face-smoothing off).
flags=(--video-quality 0 --execution-threads 2 --memory-monitor-interval 1 ${DLC_CHECK_FLAGS:-})

"$root/scripts/slurm_local.sh" start "$work/slurm"
export SLURM_CONF="$work/slurm/slurm.conf"
trap '"$root/scripts/slurm_local.sh" stop "$work/slurm"' EXIT

"$root/tools/make_test_video.sh" "$work/clip.mp4" 250 640x360 >/dev/null
echo "[check] whole run"
"$dlc" run -s "$face" -t "$work/clip.mp4" -o "$work/whole.mp4" "${flags[@]}" >/dev/null
echo "[check] dlc batch slurm --parts 4 --submit"
out=$("$dlc" batch slurm -s "$face" -t "$work/clip.mp4" -o "$work/joined.mp4" --parts 4 \
  --work-dir "$work/shared" --submit "${flags[@]}")
echo "$out"
array=$(sed -n 's/.*submitted the parts as job \([0-9]*\) and the join as job \([0-9]*\).*/\1/p' <<<"$out")
join=$(sed -n 's/.*and the join as job \([0-9]*\).*/\1/p' <<<"$out")
mem=$(sed -n 's/^#SBATCH --mem=//p' "$work/shared/parts.sbatch")

# Part 1 killed while it runs and requeued: wait until it is running, then requeue it.
for _ in $(seq 600); do
  [[ $(squeue -h -j "${array}_1" -o %T 2>/dev/null) == RUNNING ]] && break
  sleep 0.5
done
sleep 3
echo "[check] requeue ${array}_1 while $(squeue -h -j "${array}_1" -o %T)"
scontrol requeue "${array}_1"
while squeue -h -j "$join" 2>/dev/null | grep -q .; do sleep 2; done

frames=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/joined.mp4")
audio=$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name,duration -of csv=p=0 "$work/joined.mp4")
ffmpeg -v error -i "$work/whole.mp4" -map 0:v -f framemd5 - | grep -v '^#' | awk -F, '{print $NF}' >"$work/whole.md5"
ffmpeg -v error -i "$work/joined.mp4" -map 0:v -f framemd5 - | grep -v '^#' | awk -F, '{print $NF}' >"$work/joined.md5"
echo "[check] joined: $frames frames, audio $audio; framemd5 $(cmp -s "$work/whole.md5" "$work/joined.md5" && echo EQUAL || echo DIFFERENT) to the whole run"
echo "[check] part 1's log (its first run was killed, the requeued one finished):"
grep -h "memory: peak" "$work/shared/logs/part-1.log" | sed 's/^/    /' || true
for i in 0 1 2 3; do
  peak=$(grep -h "memory: peak" "$work/shared/logs/part-$i.log" | tail -1 | sed "s/.*memory: //")
  echo "[check] part $i (--mem=${mem}): $peak"
done
rm "$work/shared/part-0002.mkv"
echo "[check] join without part 2:"
"$dlc" join "$work"/shared/part-000{0,1,3}.mkv -o "$work/again.mp4" && exit 1 || echo "    exit $?"
