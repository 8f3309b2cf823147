#!/usr/bin/env bash
# Architecture-faithful, random-weight stand-ins of dlc's models, for benchmarks only (their
# outputs are meaningless): inswapper_128, w600k_r50, det_10g, 2d106det, GFPGANv1.4 and
# gfpgan-1024 (~1.4 GB in all).
#   scripts/standins.sh [DIR]        (default: .cache/standins, ignored by git)
# Generated only when a file is missing or tools/make_standin_models.py / tools/standin_layers.py
# changed (their sha256 is kept in DIR/.generator-sha256). Each model has a fixed seed, so the
# files are the same bytes on every run. Prints DIR/REPORT.md (params and MACs against the real
# models' figures); exit 1 when a model is outside tolerance (params 1 %, MACs 5 %), exit 2 when
# DIR holds a model file the generator did not write (it is never overwritten).
# Use them with: build/dlc bench --models-dir DIR ...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$root/.cache/standins}
python=/usr/bin/python3   # Debian's interpreter: it sees python3-onnx and python3-numpy
generator=("$root/tools/make_standin_models.py" "$root/tools/standin_layers.py")
models=(inswapper_128.onnx w600k_r50.onnx det_10g.onnx 2d106det.onnx GFPGANv1.4.onnx gfpgan-1024.onnx)

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Two runs on one folder (e.g. two bench scripts) would write the same files at once.
exec 9>"$dir/.lock"
flock 9

# Never overwrite a model this generator did not write (e.g. DIR is a folder of real models).
for m in "${models[@]}"; do
  if [[ -f "$dir/$m" ]] && ! grep -qF "\"$m\"" "$dir/standins.json" 2>/dev/null; then
    echo "standins.sh: $dir/$m was not written by tools/make_standin_models.py (not in" \
         "$dir/standins.json); refusing to overwrite it: pick another folder" >&2
    exit 2
  fi
done

want_sha=$(cat "${generator[@]}" | sha256sum | cut -d' ' -f1)
have_sha=$(cat "$dir/.generator-sha256" 2>/dev/null || true)
up_to_date=1
[[ "$want_sha" == "$have_sha" && -f "$dir/REPORT.md" ]] || up_to_date=0
for m in "${models[@]}"; do [[ -f "$dir/$m" ]] || up_to_date=0; done

if ((up_to_date)); then
  echo "stand-ins in $dir are up to date (generator sha256 ${want_sha:0:16})" >&2
else
  echo "generating stand-ins in $dir (~1.4 GB, a few minutes)" >&2
  rm -f "$dir/.generator-sha256"
  # The generator itself skips a file whose spec and content still match its manifest.
  if ! "$python" "$root/tools/make_standin_models.py" "$dir" --report-md "$dir/REPORT.md" >&2; then
    cat "$dir/REPORT.md" 2>/dev/null || true
    echo "standins.sh: the generator failed or a model is outside tolerance (see above)" >&2
    exit 1
  fi
  echo "$want_sha" >"$dir/.generator-sha256"
fi

cat "$dir/REPORT.md"
if grep -q 'OUTSIDE TOLERANCE' "$dir/REPORT.md"; then
  echo "standins.sh: a model is outside tolerance" >&2
  exit 1
fi
