#!/usr/bin/env bash
# check.sh: the GPU check of a CUDA machine, from a clean clone: builds the project (bin/dac) and runs
# `bin/dac bench gpu` on a CUDA libtorch: the golden parity tests on the device, a ViT-B/16 DAC step at batch 32 in
# each precision of dac.model.precision against the frozen forward+backward floor, device-host transfers per step,
# peak GPU memory, the merged model's inference images/s; one markdown table, printed and written to --out
# (default gpu-check.md), plus the peak memory.used that nvidia-smi saw. Exit status: 0 when every row passed.
#
#   deploy/gpu/check.sh [bench gpu options: --device cuda:0 --batch 32 --iters 5 --precision fp32,fp16 --out FILE
#                        --golden DIR]
#
# Needs: Java 17 and Maven (the build downloads the project's dependencies), nvidia-smi, the golden set
# (../shared/golden next to the clone, or --golden DIR), and a CUDA libtorch of the pinned version, 2.7.1:
#   - PYTORCH_LIBRARY_PATH=/path/to/libtorch/lib, or else
#   - the lib folder of python3's torch (pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu128).
# PYTORCH_FLAVOR (default cu128) picks DJL's JNI build for it; nothing is downloaded at run time (DJL_OFFLINE=true).
# Another torch (an image's own): DJL_JNI_LIBRARY=/path/to/libdjl_torch.so, DJL 0.36.0's JNI built against that torch
# (README, "GPU check"); python3's torch then gives the version and the flavour (cu + its CUDA version).
# Exit status 2: something it needs is missing (said why).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fail() {
  echo "gpu-check: $*" >&2
  exit 2
}

command -v java >/dev/null || fail "java is not on the PATH (Java 17 is needed)"
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')"
[[ "${java_major%%.*}" -ge 17 ]] 2>/dev/null || fail "java is version ${java_major:-unknown}; Java 17 or later is needed"
command -v mvn >/dev/null || fail "mvn is not on the PATH (Maven builds the project)"

if [[ -z "${PYTORCH_LIBRARY_PATH:-}" ]]; then
  command -v python3 >/dev/null || fail "no PYTORCH_LIBRARY_PATH, and no python3 to find an installed torch"
  found="$(python3 -c 'import os, torch; print(torch.__version__, torch.version.cuda or "none", os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)" \
    || fail "no PYTORCH_LIBRARY_PATH, and python3 cannot import torch: set PYTORCH_LIBRARY_PATH to a CUDA libtorch 2.7.1's lib folder"
  read -r torch_version torch_cuda torch_lib <<< "$found"
  [[ "$torch_version" == 2.7.1* || -n "${DJL_JNI_LIBRARY:-}" ]] \
    || fail "python3's torch is $torch_version; DJL's JNI needs 2.7.1 (pip install torch==2.7.1 --index-url https://download.pytorch.org/whl/cu128, or PYTORCH_LIBRARY_PATH), or DJL_JNI_LIBRARY: DJL 0.36.0's JNI built against torch $torch_version"
  [[ "$torch_cuda" != none ]] || fail "python3's torch $torch_version is a CPU build; a CUDA build is needed"
  PYTORCH_LIBRARY_PATH="$torch_lib"
  PYTORCH_VERSION="${torch_version%%+*}"
  [[ -n "${DJL_JNI_LIBRARY:-}" ]] && PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu${torch_cuda//./}}"
  echo "gpu-check: libtorch from python3's torch $torch_version (CUDA $torch_cuda): $PYTORCH_LIBRARY_PATH" >&2
fi
[[ -d "$PYTORCH_LIBRARY_PATH" ]] || fail "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH is not a directory"
export PYTORCH_LIBRARY_PATH PYTORCH_VERSION="${PYTORCH_VERSION:-2.7.1}" PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}" DJL_OFFLINE=true
if [[ -n "${DJL_JNI_LIBRARY:-}" ]]; then
  # DJL looks for the JNI of a libtorch version and flavour in its cache before anything else
  [[ -f "$DJL_JNI_LIBRARY" ]] || fail "DJL_JNI_LIBRARY=$DJL_JNI_LIBRARY is not a file"
  export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}"
  jni_dir="$DJL_CACHE_DIR/pytorch/$PYTORCH_VERSION-$PYTORCH_FLAVOR-linux-x86_64"
  mkdir -p "$jni_dir" && cp "$DJL_JNI_LIBRARY" "$jni_dir/0.36.0-libdjl_torch.so" || fail "cannot copy DJL_JNI_LIBRARY into $jni_dir"
  echo "gpu-check: DJL's JNI for libtorch $PYTORCH_VERSION ($PYTORCH_FLAVOR): $DJL_JNI_LIBRARY" >&2
fi

# nvidia-smi's view of the memory, beside the check's own sampling: every 100 ms, the most any GPU had in use
smi_log="$(mktemp)"
smi=""
if command -v nvidia-smi >/dev/null; then
  (while nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits >>"$smi_log" 2>/dev/null; do sleep 0.1; done) &
  smi=$!
fi
start=$SECONDS
status=0
"$ROOT/bin/dac" bench gpu "$@" || status=$?
[[ -z "$smi" ]] || kill "$smi" 2>/dev/null || true
peak="$(sort -n "$smi_log" | tail -n 1)"
rm -f "$smi_log"
echo "nvidia-smi: peak memory.used ${peak:-unknown} MiB; the check took $((SECONDS - start)) s with the build"
exit "$status"
