#!/usr/bin/env bash
# `dlc bench` against plain ONNX Runtime (bench/dlc_ort_baseline) on the same model files, threads
# and number of timed runs: what dlc's session settings and pipeline cost or save per model.
#   bench/compare_ort.sh [--dlc PATH] [--baseline PATH] [--threads N] [--frames N] [DIR]
# DIR: the models (default .cache/standins, made with scripts/standins.sh when missing; a folder
# of real models works too). Env defaults: DLC (build/dlc), DLC_ORT_BASELINE
# (build/bench/dlc_ort_baseline), THREADS (2), FRAMES (20).
# dlc bench times the job's models together, frame by frame (detector, swapper, enhancer; the
# recognizer once, cold, as the pipeline calls it; never 2d106det): its per-model p50 is compared
# with the baseline's p50 over FRAMES runs after one warm-up, as dlc bench does.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dlc=${DLC:-$root/build/dlc}
baseline=${DLC_ORT_BASELINE:-$root/build/bench/dlc_ort_baseline}
threads=${THREADS:-2}
frames=${FRAMES:-20}
dir=""
while (($#)); do
  case $1 in
    --dlc) dlc=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --frames) frames=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | cut -c3-; exit 0 ;;
    -*) echo "compare_ort.sh: unknown option $1" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
dir=${dir:-$root/.cache/standins}
for bin in "$dlc" "$baseline"; do
  [[ -x "$bin" ]] || { echo "compare_ort.sh: $bin not found; build it (or pass --dlc/--baseline)" >&2; exit 2; }
done

models=(det_10g.onnx w600k_r50.onnx 2d106det.onnx inswapper_128.onnx GFPGANv1.4.onnx)
present=()
for m in "${models[@]}"; do [[ -f "$dir/$m" ]] && present+=("$m"); done
# A stand-in folder (or an empty one) is brought up to date; a folder of real models is left alone.
if ((${#present[@]} == 0)) || [[ -f "$dir/standins.json" ]]; then
  "$root/scripts/standins.sh" "$dir" >/dev/null
  present=("${models[@]}")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "dlc bench: $dlc --models-dir $dir, $threads threads, $frames frames" >&2
processors=(face_swapper)
[[ -f "$dir/GFPGANv1.4.onnx" ]] && processors+=(face_enhancer)
"$dlc" bench --models-dir "$dir" --frame-processor "${processors[@]}" --execution-threads "$threads" \
  --frames "$frames" --memory-monitor-interval 0 --json >"$tmp/dlc.json"

for m in "${present[@]}"; do
  echo "bare ONNX Runtime: $m" >&2
  "$baseline" --model "$dir/$m" --threads "$threads" --runs "$frames" --warmup 1 --json >"$tmp/$m.json"
done

/usr/bin/python3 - "$tmp" "${present[@]}" <<'EOF'
import json, os, sys

tmp, names = sys.argv[1], sys.argv[2:]
with open(os.path.join(tmp, "dlc.json")) as f:
    text = f.read()
dlc = {s["file"]: s for s in json.loads(text[text.index("{"):])["stages"]}
print("| model | dlc p50 ms | bare ORT p50 ms | ratio | dlc calls |")
print("|---|---:|---:|---:|---:|")
for name in names:
    with open(os.path.join(tmp, name + ".json")) as f:
        base = json.load(f)
    stage = dlc.get(name)
    if stage is None:
        print("| %s | not run by dlc bench | %.1f | - | 0 |" % (name, base["p50_ms"]))
        continue
    ratio = stage["p50_ms"] / base["p50_ms"] if base["p50_ms"] > 0 else float("nan")
    print("| %s | %.1f | %.1f | %.2f | %d |" % (name, stage["p50_ms"], base["p50_ms"], ratio,
                                               stage["calls"]))
EOF
