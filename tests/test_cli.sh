#!/bin/sh
# The brainsim command: help, version, usage errors, plan vs run pool size,
# the default experiment, fallback and backend errors.
. "${srcdir:-$(dirname "$0")}/lib.sh"

expect_exit 0 "--help" -- "$BRAINSIM" --help
expect_output "usage: brainsim run" "--help shows usage"
expect_exit 0 "run --help" -- "$BRAINSIM" run --help
expect_exit 0 "--version" -- "$BRAINSIM" --version
expect_output "brainsim 0.1.0" "--version prints the version"
expect_exit 2 "no command" -- "$BRAINSIM"
expect_exit 2 "unknown command" -- "$BRAINSIM" frobnicate
expect_output "unknown command 'frobnicate'" "unknown command named"
expect_exit 2 "unknown option" -- "$BRAINSIM" run --frob
expect_output "unknown option '--frob'" "unknown option named"
expect_exit 2 "bad --steps" -- "$BRAINSIM" run --steps -3
expect_output "--steps: '-3'" "bad --steps named"
expect_exit 2 "bad --backend" -- "$BRAINSIM" run --backend gpu
expect_output "--backend: 'gpu'" "bad --backend named"
expect_exit 2 "bad --threads" -- "$BRAINSIM" run --threads 0
expect_exit 2 "missing value" -- "$BRAINSIM" run --out
expect_output "needs a value" "missing value named"
expect_exit 2 "two experiments" -- "$BRAINSIM" run a.yaml b.yaml
expect_exit 2 "--ranks on run" -- "$BRAINSIM" run --ranks 2
expect_exit 1 "missing experiment file" -- "$BRAINSIM" run "$TMP/none.yaml"
expect_output "$TMP/none.yaml" "missing file named"

# plan predicts the pool that run allocates (1 and 3 ranks)
small="$srcdir/good/minimal.yaml"
expect_exit 0 "plan" -- "$BRAINSIM" plan "$small" --ranks 3
planned=$(sed -n 's/^host pool per rank, largest (rank [0-9]*): *\([0-9]*\) bytes.*/\1/p' "$TMP/out")
expect_exit 0 "run default experiment (2 steps)" -- "$BRAINSIM" run --steps 2 -o "$TMP/d.h5"
expect_output "checksum:" "run prints a checksum"
expect_exit 0 "run 3 ranks" -- $MPI 3 "$BRAINSIM" run "$small" -o "$TMP/m.h5"
got=$(sed -n 's/.*host pool \([0-9]*\) bytes per rank (rank 0).*/\1/p' "$TMP/out")
planned0=$("$BRAINSIM" plan "$small" --ranks 3 | sed -n 's/^host pool per rank, largest (rank 0): *\([0-9]*\) bytes.*/\1/p')
if [ -n "$got" ] && [ -n "$planned" ] && [ "$got" -le "$planned" ] && \
   { [ -z "$planned0" ] || [ "$got" = "$planned0" ]; }; then
  pass "plan ($planned bytes max) matches run ($got bytes on rank 0)"
else fail "plan '$planned' vs run '$got'"; fi

# no host buffer but the CPU backend's own (cpu.*) grows with n: the
# manifest's other buffers add up to the same bytes at n = 10^6 and 10^12
for n in 1000000 1000000000000; do
  printf 'seed: 1\nareas: [{name: A, n: %s, k: 100}]\nstimuli: [{name: s, k: 100}]\nfibers: [{from: s, to: A, p: 0.01}]\nschedule: [{project: {rounds: 3}}]\n' "$n" >"$TMP/n$n.yaml"
done
expect_exit 0 "plan at n = 10^6" -- "$BRAINSIM" plan "$TMP/n1000000.yaml"
small_n=$(awk '/^  [a-z]/ && $1 !~ /^cpu\./ { s += $NF } END { print s + 0 }' "$TMP/out")
expect_exit 0 "plan at n = 10^12" -- "$BRAINSIM" plan "$TMP/n1000000000000.yaml"
big_n=$(awk '/^  [a-z]/ && $1 !~ /^cpu\./ { s += $NF } END { print s + 0 }' "$TMP/out")
if awk '$1 == "cpu.input.A" && $NF == 8000000000000 { ok = 1 } END { exit !ok }' "$TMP/out"; then
  pass "plan lists the CPU backend's inputs (8 bytes a neuron)"
else fail "plan lacks cpu.input.A of 8000000000000 bytes"; fi
if [ "$small_n" -gt 0 ] && [ "$small_n" = "$big_n" ]; then
  pass "the host pool without the CPU backend's buffers does not grow with n ($small_n bytes)"
else fail "host pool without cpu.*: $small_n bytes at n = 10^6, $big_n at 10^12"; fi

# --steps stops early and the output holds exactly those steps
expect_exit 0 "--steps 3" -- "$BRAINSIM" run "$small" --steps 3 -o "$TMP/s3.h5"
if command -v h5dump >/dev/null 2>&1; then
  if h5dump -a /steps_complete "$TMP/s3.h5" | grep -q "(0): 3"; then
    pass "--steps 3 writes 3 steps"
  else fail "--steps 3 did not write 3 steps"; fi
fi

# backend selection without a GPU: auto falls back, cuda is an error
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
  expect_exit 0 "auto backend falls back to cpu" -- "$BRAINSIM" run "$small" -o "$TMP/f.h5"
  expect_output "backend: cpu (fallback:" "fallback reason logged"
  if command -v h5dump >/dev/null 2>&1; then
    h5dump -a /fallback_reason "$TMP/f.h5" >"$TMP/out" 2>&1
    expect_output "fallback_reason" "fallback reason recorded in the output"
    if grep -q '"CUDA\|"no CUDA\|"built without' "$TMP/out"; then pass "reason text recorded"
    else fail "reason text missing"; cat "$TMP/out"; fi
  fi
  expect_exit 1 "--backend cuda without a GPU" -- "$BRAINSIM" run "$small" --backend cuda -o "$TMP/c.h5"
  expect_output "--backend cuda:" "cuda error names the option"
fi

# unwritable output
expect_exit 1 "unwritable output" -- "$BRAINSIM" run "$small" -o /nonexistent/dir/x.h5
expect_output "/nonexistent/dir/x.h5" "unwritable output named"
finish
