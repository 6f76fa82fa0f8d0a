#!/usr/bin/env bash
# Spark resource discovery for GPUs: prints {"name":"gpu","addresses":[...]} for
# spark.executor.resource.gpu.discoveryScript (or spark.worker.resource.gpu.discoveryScript on a standalone Worker).
#
# The addresses are the CUDA device ordinals this process will see, which is what the trainer passes to DJL
# (Device.gpu(address)):
# - CUDA_VISIBLE_DEVICES unset: the indices that `nvidia-smi --query-gpu=index` lists.
# - CUDA_VISIBLE_DEVICES set: CUDA renumbers the devices it names from 0, so the addresses are 0..k-1 for the k
#   entries CUDA accepts, read as CUDA reads them: entries in order, up to the first one that is not a listed
#   index (an unknown or negative index, or a repeat, hides it and every later entry). Empty hides every GPU.
#   UUID entries (GPU-..., MIG-...) cannot be checked against the index list: each counts as one device, at most
#   as many as nvidia-smi lists.
# No nvidia-smi, no GPU, or a failing nvidia-smi: an empty list (Spark then gives the executor no GPU, and a
# configuration that asks for one fails at start-up instead of hanging).

indices=()
if command -v nvidia-smi >/dev/null 2>&1; then
  # only the lines that are indices: nvidia-smi reports problems such as "No devices were found" on stdout
  while IFS= read -r line; do
    line="${line//[[:space:]]/}"
    [[ "$line" =~ ^[0-9]+$ ]] && indices+=("$line")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)
fi

addresses=()
if [[ -z "${CUDA_VISIBLE_DEVICES+set}" ]]; then
  addresses=("${indices[@]}")
else
  seen=" "
  IFS=',' read -r -a entries <<< "$CUDA_VISIBLE_DEVICES"
  for entry in "${entries[@]}"; do
    entry="${entry//[[:space:]]/}"
    if [[ "$entry" =~ ^[0-9]+$ ]]; then
      entry=$((10#$entry))
      [[ " ${indices[*]} " == *" $entry "* && "$seen" != *" $entry "* ]] || break
      seen+="$entry "
    elif [[ "$entry" != GPU-* && "$entry" != MIG-* ]]; then
      break
    fi
    (( ${#addresses[@]} < ${#indices[@]} )) || break
    addresses+=("${#addresses[@]}")
  done
fi

json=""
for a in "${addresses[@]}"; do
  json+="${json:+,}\"$a\""
done
printf '{"name":"gpu","addresses":[%s]}\n' "$json"
