#!/usr/bin/env bash
# Start-up cost: `dlc --version`'s peak RSS and libraries, and the time from exec to the first
# frame of a video job with the fixture models, taken apart into phases from `strace -f -ttt`.
# Never pass/fail; exit 2 on bad usage.
#
#   bench/startup.sh [DLC_BINARY]        (default build/dlc; builds nothing)
#     DLC_BENCH_RUNS=5             runs of each measurement (default 3)
#     DLC_BENCH_SIZE=640x480       the clip's size (tools/make_test_video.sh), 20 frames
#     DLC_BENCH_MODELS=DIR         models folder (default build/fixtures: tiny weights, so the
#                                  figures are dlc's own start-up, not inference)
#     DLC_BENCH_TOP=20             files shown in the per-file RSS table
#     DLC_BENCH_BASELINE=BINARY    another dlc (e.g. an older commit's) run in turn with this one in
#                                  the measurement without strace: the A/B figures, medians at the end
#
# Phases, in seconds after dlc's execve (strace's own cost included: it slows every syscall, so
# the figures are an upper bound; say the load average next to them, printed at the end):
#   libs      the last shared library opened before anything else (ld.so's work)
#   probe     ffprobe's exec .. its exit (beside the decoder; after the first frame without audio)
#   models    the first .onnx opened (sessions are built from here to the first frame)
#   decoder   the decoder child's exec (dlc-decode, or the first ffmpeg where dlc decodes with ffmpeg)
#   encoder   the encoder's (the next ffmpeg)
#   frame     dlc's first write of a whole BGR frame to the encoder's pipe
# then the exec-to-first-frame time again without strace (the figure to quote), for the clip with
# audio and one without.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dlc="${1:-$root/build/dlc}"
runs="${DLC_BENCH_RUNS:-3}"
size="${DLC_BENCH_SIZE:-640x480}"
models="${DLC_BENCH_MODELS:-$root/build/fixtures}"
source_face="$root/.cache/media/astronaut.png"

[[ -x "$dlc" ]] || { echo "$0: $dlc is not an executable; build it or pass its path" >&2; exit 2; }
[[ -f "$source_face" ]] || { echo "$0: $source_face is missing; run scripts/setup.sh" >&2; exit 2; }
[[ -d "$models" ]] || { echo "$0: $models is not a folder; build the fixtures (cmake --build build --target dlc_fixtures)" >&2; exit 2; }
[[ "$size" =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "$0: DLC_BENCH_SIZE=$size is not WxH" >&2; exit 2; }
frame_bytes=$((BASH_REMATCH[1] * BASH_REMATCH[2] * 3))
command -v strace >/dev/null || { echo "$0: strace is missing (apt-get install strace)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dlc-startup-XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== dlc --version: peak RSS (/usr/bin/time -v) and libraries (ldd)"
echo "libraries: $(ldd "$dlc" | wc -l)"
for ((i = 1; i <= runs; i++)); do
  /usr/bin/time -v "$dlc" --version 2>"$work/time.txt" >/dev/null
  awk -F': ' '/Maximum resident/ { peak = $2 } /Elapsed/ { wall = $2 }
              END { printf "run %d: %.1f MB peak, %s wall\n", '"$i"', peak / 1024, wall }' "$work/time.txt"
done

# Where the peak goes: /proc/self/smaps read by a preloaded library's destructor, after dlc's
# own exit handlers (so at its largest), summed per file: Rss and the part of it that is private
# and dirty (relocations, .data, .bss). The helper is compiled here; a C compiler is needed.
echo "== dlc --version: RSS per mapped file at exit, in kB (Rss, Private_Dirty), largest first"
cat >"$work/smaps_at_exit.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
static void __attribute__((destructor)) dump(void) {
  const char* path = getenv("DLC_SMAPS_OUT");
  FILE* in = fopen("/proc/self/smaps", "r");
  FILE* out = path ? fopen(path, "w") : NULL;
  char buffer[65536];
  size_t n;
  while (in && out && (n = fread(buffer, 1, sizeof buffer, in)) > 0) fwrite(buffer, 1, n, out);
  if (in) fclose(in);
  if (out) fclose(out);
}
C
if cc -shared -fPIC -O2 -o "$work/smaps_at_exit.so" "$work/smaps_at_exit.c" 2>/dev/null; then
  DLC_SMAPS_OUT="$work/smaps.txt" LD_PRELOAD="$work/smaps_at_exit.so" "$dlc" --version >/dev/null
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anonymous]" : $6) }
       /^Rss:/ { rss[name] += $2; total += $2 }
       /^Private_Dirty:/ { dirty[name] += $2 }
       END { for (k in rss) printf "%7d %6d  %s\n", rss[k], dirty[k], k; printf "%7d         total\n", total }' \
    "$work/smaps.txt" | grep -v smaps_at_exit | sort -rn | head -n "${DLC_BENCH_TOP:-20}"
else
  echo "(no C compiler: skipped)"
fi

clip="$work/clip.mp4"
"$root/tools/make_test_video.sh" "$clip" 20 "$size" >/dev/null 2>&1

echo "== dlc run on a 20-frame $size clip, models in $models: seconds after exec"
printf '%-4s %7s %7s %7s %7s %7s %7s %7s %7s\n' run libs probe+ probe- models decoder encoder frame total
for ((i = 1; i <= runs; i++)); do
  rm -f "$work/out.mp4"
  strace -f -ttt -q -e trace=execve,openat,write -o "$work/trace.txt" \
    "$dlc" run -s "$source_face" -t "$clip" -o "$work/out.mp4" --models-dir "$models" --log-level error \
    >/dev/null 2>"$work/err.txt" || { echo "run $i failed:"; cat "$work/err.txt"; continue; }
  # One line per syscall: "PID TIME call(...) = result"; children are told apart by their execve.
  awk -v frame_bytes="$frame_bytes" '
    function at(t) { return t == "" ? "-" : sprintf("%.3f", t - t0) }
    $3 ~ /^execve\(/ {
      if (t0 == "") { t0 = $2; dlc = $1; next }
      if ($3 ~ /ffprobe/ && probe_start == "") { probe_start = $2; probe_pid = $1 }
      else if ($0 ~ /dlc-decode|ffmpeg/ && decoder == "") { decoder = $2; decoder_pid = $1 }
      else if ($0 ~ /ffmpeg/ && encoder == "" && $1 != decoder_pid) encoder = $2
    }
    $1 == probe_pid && $0 ~ /\+\+\+ exited/ && probe_end == "" { probe_end = $2 }
    $1 != dlc && $3 ~ /^execve\(/ { child[$1] = 1 }
    !($1 in child) && $3 ~ /^openat\(/ {
      if (!libs_over) { if ($0 ~ /\.so[."]/) libs = $2; else if ($0 !~ /ld\.so\.cache/) libs_over = 1 }
      if ($0 ~ /\.onnx"/ && models == "") models = $2
    }
    # A write another thread interrupts is logged "<unfinished ...>", its length already there.
    !($1 in child) && $3 ~ /^write\(/ && frame == "" && $0 ~ (", " frame_bytes "(\\)| <unfinished)") { frame = $2 }
    { last = $2 }
    END { printf "%7s %7s %7s %7s %7s %7s %7s %7s\n", at(libs), at(probe_start), at(probe_end), at(models), at(decoder), at(encoder), at(frame), at(last) }
  ' "$work/trace.txt" | sed "s/^/$(printf '%-4s' "$i")/"
done
# The same figure without strace, which slows every syscall: the wall time from dlc's execve
# (bash's $EPOCHREALTIME just before the exec, in the subshell whose pid dlc then has) to its first
# write() of a whole frame, seen by a preloaded write() that acts in dlc's own pid only (its ffmpeg
# children inherit the preload). A clip without audio too: its ffprobe runs after the first frame.
cat >"$work/first_frame.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static ssize_t (*real_write)(int, const void*, size_t);
static size_t frame_bytes;
static int armed;
static void __attribute__((constructor)) arm(void) {
  const char* pid = getenv("DLC_FIRST_FRAME_PID");
  const char* bytes = getenv("DLC_FRAME_BYTES");
  armed = pid && bytes && getenv("DLC_FIRST_FRAME_OUT") && atol(pid) == (long)getpid();
  frame_bytes = bytes ? strtoul(bytes, NULL, 10) : 0;
}
ssize_t write(int fd, const void* data, size_t n) {
  if (!real_write) real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (armed && n == frame_bytes) {
    armed = 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    FILE* out = fopen(getenv("DLC_FIRST_FRAME_OUT"), "w");
    if (out) {
      fprintf(out, "%ld.%06ld\n", (long)now.tv_sec, now.tv_nsec / 1000);
      fclose(out);
    }
  }
  return real_write(fd, data, n);
}
C
if cc -shared -fPIC -O2 -o "$work/first_frame.so" "$work/first_frame.c" -ldl 2>/dev/null; then
  "$root/tools/make_test_video.sh" "$work/silent.mp4" 20 "$size" --no-audio >/dev/null 2>&1
  echo "== the same without strace: seconds from exec to the first frame written (wall; preloaded write())"
  binaries=("$dlc")
  if [[ -n "${DLC_BENCH_BASELINE:-}" ]]; then
    [[ -x "$DLC_BENCH_BASELINE" ]] || { echo "$0: DLC_BENCH_BASELINE=$DLC_BENCH_BASELINE is not an executable" >&2; exit 2; }
    binaries=("$DLC_BENCH_BASELINE" "$dlc")
    echo "(taken in turn: baseline $DLC_BENCH_BASELINE, then $dlc)"
  fi
  printf '%-4s %-9s %9s %9s\n' run binary audio silent
  for ((i = 1; i <= runs; i++)); do
    for b in "${binaries[@]}"; do
      row=""
      for target in "$clip" "$work/silent.mp4"; do
        rm -f "$work/out.mp4" "$work/first_frame.txt"
        (
          export DLC_FIRST_FRAME_PID=$BASHPID DLC_FRAME_BYTES=$frame_bytes DLC_FIRST_FRAME_OUT="$work/first_frame.txt"
          echo "$EPOCHREALTIME" >"$work/exec_at.txt"
          LD_PRELOAD="$work/first_frame.so" exec "$b" run -s "$source_face" -t "$target" -o "$work/out.mp4" \
            --models-dir "$models" --log-level error >/dev/null 2>"$work/err.txt"
        ) || { echo "run $i failed:"; cat "$work/err.txt"; }
        if [[ -f "$work/first_frame.txt" ]]; then
          row+=$(awk -v t0="$(cat "$work/exec_at.txt")" '{ printf " %9.3f", $1 - t0 }' "$work/first_frame.txt")
        else
          row+=$(printf ' %9s' -)
        fi
      done
      name=$([[ "$b" == "$dlc" ]] && echo this || echo baseline)
      printf '%-4s %-9s%s\n' "$i" "$name" "$row" | tee -a "$work/first_frames.txt"
    done
  done
  # Per binary and clip: min / median / max over the runs, and how many were under 0.3 s.
  awk '$3 != "-" && $4 != "-" { n[$2]++; a[$2, n[$2]] = $3; s[$2, n[$2]] = $4 }
       function stats(v, k,    i, j, t, m) {
         for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
         m = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
         under = 0; for (i = 1; i <= k; i++) if (v[i] < 0.3) under++
         return sprintf("%.3f / %.3f / %.3f (%d of %d under 0.3 s)", v[1], m, v[k], under, k)
       }
       END { for (b in n) { k = n[b]; for (i = 1; i <= k; i++) { x[i] = a[b, i]; y[i] = s[b, i] }
                            printf "%-9s audio %s; silent %s\n", b, stats(x, k), stats(y, k) } }' "$work/first_frames.txt"
else
  echo "(no C compiler: the run without strace skipped)"
fi
# Who spends the CPU of a start (dlc and its ffprobe, decoder and encoder children), on a 2-frame
# clip so that start-up is most of it: perf's samples by process and library.
if command -v perf >/dev/null && "$root/tools/make_test_video.sh" "$work/two.mp4" 2 "$size" >/dev/null 2>&1; then
  echo "== CPU of a 2-frame job by process and library (perf record -F 999; % of the samples)"
  rm -f "$work/out.mp4"
  if perf record -q -o "$work/perf.data" -F 999 -- "$dlc" run -s "$source_face" -t "$work/two.mp4" -o "$work/out.mp4" \
       --models-dir "$models" --log-level error >/dev/null 2>&1; then
    perf report -i "$work/perf.data" --no-children --sort comm,dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
      head -n 12
  else
    echo "(perf record failed: perf_event_paranoid may forbid it)"
  fi
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
