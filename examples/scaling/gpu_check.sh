#!/bin/sh
# gpu_check.sh - the GPU validation and benchmark run recorded in
# examples/scaling/README.md: CPU-vs-CUDA comparison tests, outputs of the
# example experiments on 1 and 2 GPUs (compared bit for bit against CPU
# runs with h5diff afterwards, where HDF5 tools exist), compute-sanitizer,
# and the projection benchmarks (weak scaling, accumulate, top-k, steps/s,
# checkpoint write/read).
#
# usage: gpu_check.sh BIN_DIR OUT_DIR
#   BIN_DIR holds brainsim and test_cuda; OUT_DIR receives outputs.tar.gz
#   and log.txt.  Needs mpirun for the 2-GPU parts.
set -u
bin=$(cd "$1" && pwd); out=$2; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd); ex="$here/.."
B="$bin/brainsim"; T="$bin/test_cuda"
work=$(mktemp -d); cd "$work" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 NCCL_NVLS_ENABLE=0
exec >"$out/log.txt" 2>&1
ngpu=$(nvidia-smi -L | wc -l)
date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "GPUs: $ngpu"; mkdir -p o

echo "=== 1. test_cuda (CPU vs CUDA, every step), 1 rank"
timeout 300 "$T" 2>&1 | tail -3
if [ "$ngpu" -ge 2 ]; then
  echo "=== 1b. test_cuda on 2 ranks (2 GPUs)"
  timeout 300 mpirun -np 2 "$T" 2>&1 | grep -v "^Running" | sort | uniq -c
fi

echo "=== 2. example outputs on CUDA (compared with CPU runs afterwards)"
cp "$here/../../tests/good/mixed.yaml" mixed.yaml
for e in "$ex/projection.yaml" mixed.yaml "$ex/association.yaml" "$ex/merge.yaml" "$ex/pattern_completion.yaml"; do
  [ -f "$e" ] || continue
  name=$(basename "$e" .yaml)
  "$B" run "$e" -b cuda -q -o "o/${name}_cuda1.h5" | grep -E "checksum|verdict"
  if [ "$ngpu" -ge 2 ]; then
    mpirun -np 2 "$B" run "$e" -b cuda -q -o "o/${name}_cuda2.h5" | grep -E "checksum|verdict"
  fi
done
# stop at step 20 on 2 GPUs, resume on 1 GPU
if [ "$ngpu" -ge 2 ]; then
  mpirun -np 2 "$B" run mixed.yaml -b cuda -q --steps 9 --checkpoint-every 9 --checkpoint ck.h5 -o o/mixed_resumed.h5 | grep checksum
  "$B" run -b cuda -q --resume ck.h5 -o o/mixed_resumed.h5 | grep checksum
fi

echo "=== 3. compute-sanitizer memcheck"
cat >small.yaml <<'YAML'
seed: 5
areas:
  - {name: A, n: 50000, k: 200}
  - {name: B, n: 3000, k: 60}
stimuli:
  - {name: s, k: 200}
fibers:
  - {from: s, to: A, p: 0.02}
  - {from: A, to: A, p: 0.02}
  - {from: A, to: B, p: 0.05, cap: 2.0}
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 5}
YAML
timeout 400 compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
  "$B" run small.yaml -b cuda -q -o o/small_cuda_memcheck.h5 2>&1 | tail -4
echo "memcheck exit: $?"

echo "=== 4. benchmarks (incremental steps on, then off: BRAINSIM_CUDA_INCREMENTAL=0)"
bench="$here/bench_projection.sh"
for inc in 1 0; do
  echo "--- 1 GPU: n=1e8 k=1e4 p=1e-3, 20 rounds, incremental=$inc"
  BRAINSIM_CUDA_INCREMENTAL=$inc sh "$bench" -B "$B" -n 100000000 -k 10000 -p 0.001 -r 20 -d b1_$inc 2>&1 | grep -v "^area\|^output"
  if [ "$ngpu" -ge 2 ]; then
    echo "--- 2 GPUs: n=2e8 (1e8 per GPU) k=1e4 p=1e-3, 20 rounds (weak scaling), incremental=$inc"
    BRAINSIM_CUDA_INCREMENTAL=$inc sh "$bench" -B "$B" -R 2 -n 200000000 -k 10000 -p 0.001 -r 20 -d b2_$inc 2>&1 | grep -v "^area\|^output"
  fi
done
echo "--- 1 GPU: n=1e6 k=1e4 p=1e-3, 20 rounds (little device work: the fixed cost of a step)"
sh "$bench" -B "$B" -n 1000000 -k 10000 -p 0.001 -r 20 -d b0 2>&1 | grep -E "^(phase|accumulate|topk|merge|plasticity|record|agree|step |steps/s)"
echo "--- 1 GPU: n=1e8 k=1e4 p=1e-2"
sh "$bench" -B "$B" -n 100000000 -k 10000 -p 0.01 -r 4 -d b3 2>&1 | grep -v "^area\|^output"
echo "--- 1 GPU: n=1e9 k=1e4 p=1e-3 (top-k at 1e9)"
sh "$bench" -B "$B" -n 1000000000 -k 10000 -p 0.001 -r 3 -d b4 2>&1 | grep -v "^area\|^output"
if [ -f "$ex/projection_1e8.yaml" ]; then
  echo "--- examples/projection_1e8.yaml, 1 GPU"
  "$B" run "$ex/projection_1e8.yaml" -b cuda -o p8.h5 2>&1 | grep -v "^brainsim: step"
fi
if [ "$ngpu" -ge 2 ]; then
  echo "--- checkpoint write and read, 2 GPUs, 1e8 neurons per rank"
  mpirun -np 2 "$B" run b2_1/projection.yaml -b cuda -o ckrun.h5 --steps 6 \
    --checkpoint-every 6 --checkpoint big_ck.h5 2>&1 | grep -E "checkpoint|run:"
  ls -l big_ck.h5
  mpirun -np 2 "$B" run -b cuda --resume big_ck.h5 -o ckrun.h5 --steps 8 2>&1 | grep -E "resumed|run:"
fi
tar czf "$out/outputs.tar.gz" o
echo "=== done"
