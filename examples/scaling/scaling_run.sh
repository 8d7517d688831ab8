#!/bin/sh
# scaling_run.sh - weak and strong scaling of the projection benchmark on
# the GPUs of one host (examples/scaling/README.md, "Scaling").
#   weak:   n = 1e8 neurons per GPU, k = 1e4, p = 1e-3, recurrence on
#   strong: n = 1e9 in one area, k = 31623, p = 3.2e-4
# Every run prints the checksum of its winners; the strong-scaling outputs
# are kept (OUT_DIR/strong_R.h5) to be compared bit for bit.
# usage: scaling_run.sh BIN_DIR OUT_DIR [GPU COUNTS...]
set -u
bin=$(cd "$1" && pwd); out=$2; shift 2
counts=${*:-"1 2 4 8"}
here=$(cd "$(dirname "$0")" && pwd)
B="$bin/brainsim"; bench="$here/bench_projection.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 NCCL_NVLS_ENABLE=0
mkdir -p "$out"; work=$(mktemp -d); cd "$work" || exit 1
exec >"$out/scaling_log.txt" 2>&1
ngpu=$(nvidia-smi -L | wc -l)
date -u; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | sort | uniq -c
for g in $counts; do
  [ "$g" -le "$ngpu" ] || continue
  echo "=== weak: $g GPU(s), n = $g x 1e8"
  sh "$bench" -B "$B" -R "$g" -n $((g * 100000000)) -k 10000 -p 0.001 -r 20 -d weak$g 2>&1 \
    | grep -E "^(run|checksum|step |steps/s|merge|accumulate|topk|plasticity|synaptic|[0-9])"
done
for g in $counts; do
  [ "$g" -ge 2 ] && [ "$g" -le "$ngpu" ] || continue
  echo "=== strong: $g GPUs, n = 1e9, k = 31623, p = 3.2e-4"
  sh "$bench" -B "$B" -R "$g" -n 1000000000 -k 31623 -p 0.00032 -r 6 -d strong$g 2>&1 \
    | grep -E "^(run|checksum|step |steps/s|merge|accumulate|topk|plasticity|synaptic)"
  cp "strong$g/run.h5" "$out/strong_$g.h5"
done
echo "=== done"
