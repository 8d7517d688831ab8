#!/bin/sh
# Plastic stores that grow between steps (src/sim_grow.c): the association
# example from an initial reservation of 4 entries per fiber and rank
# equals, bit for bit (h5diff of /areas and /schedule), the same run from
# a reservation large enough never to grow and the planned one, on 1 and 3
# ranks; each growth is logged once; when memory runs out the run stops
# with the error naming the sizes and --plastic-capacity.
. "${srcdir:-$(dirname "$0")}/lib.sh"

ex="$srcdir/../examples/association.yaml"

# expect_exit with a longer limit: a 50-step association takes 10 s on an
# idle 2-core machine, but make check -j runs it beside other tests
expect_exit_long() {
  want=$1; what=$2; shift 3
  timeout -k 10 900 "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"
  else fail "$what: exit $got, expected $want"; sed 's/^/    /' "$TMP/out" | head -20; fi
}
same() {
  if "$H5DIFF" "$1" "$2" /areas /areas >"$TMP/diff" 2>&1 &&
     "$H5DIFF" "$1" "$2" /schedule /schedule >>"$TMP/diff" 2>&1; then
    pass "$3: identical"
  else fail "$3: outputs differ"; head -10 "$TMP/diff"; fi
}

expect_exit_long 0 "association, reservation 4, 1 rank" -- "$BRAINSIM" run "$ex" -c 4 -o "$TMP/small.h5"
expect_output "plastic store grown to" "growth is logged"
grep "plastic store grown to" "$TMP/out" >"$TMP/growths"
for f in 'stimA->A' 'stimB->B' 'A->A' 'B->B' 'A->C' 'B->C' 'C->C'; do
  grep -qF "fiber $f: plastic store grown to" "$TMP/growths" ||
    fail "fiber $f never grew from a reservation of 4"
done
pass "every fiber grew ($(wc -l <"$TMP/growths") growths)"
if [ -z "$(sed 's/ (.*//' "$TMP/growths" | sort | uniq -d)" ]; then
  pass "each growth logged once"
else fail "a growth is logged twice"; cat "$TMP/growths"; fi
sum_small=$(grep '^checksum' "$TMP/out")

expect_exit_long 0 "association, reservation 400000, 1 rank" -- "$BRAINSIM" run "$ex" -c 400000 -o "$TMP/large.h5"
if grep -q "grown to" "$TMP/out"; then fail "the large reservation grew"
else pass "the large reservation never grows"; fi
expect_output "$sum_small" "same checksum as the reservation of 4"
same "$TMP/small.h5" "$TMP/large.h5" "reservation 4 vs 400000"

expect_exit_long 0 "association, planned reservation" -- "$BRAINSIM" run "$ex" -q -o "$TMP/planned.h5"
same "$TMP/small.h5" "$TMP/planned.h5" "reservation 4 vs planned"

expect_exit_long 0 "association, reservation 4, 3 ranks" -- $MPI 3 "$BRAINSIM" run "$ex" -q -t 1 -c 4 -o "$TMP/small3.h5"
same "$TMP/small.h5" "$TMP/small3.h5" "3 ranks from 4 vs 1 rank from 4"
expect_exit_long 0 "association, reservation 400000, 3 ranks" -- $MPI 3 "$BRAINSIM" run "$ex" -q -t 1 -c 400000 -o "$TMP/large3.h5"
same "$TMP/small.h5" "$TMP/large3.h5" "3 ranks from 400000 vs 1 rank from 4"

# a checkpoint of grown stores resumes from a reservation of 4 (the stores
# grow to its synapses) and continues identically, on 3 ranks then 1
expect_exit_long 0 "association, reservation 4, stopped at step 8 on 3 ranks" -- $MPI 3 "$BRAINSIM" run "$ex" -q -t 1 -c 4 -n 8 -e 8 -k "$TMP/ck.h5" -o "$TMP/resumed.h5"
expect_exit_long 0 "resumed on 1 rank from a reservation of 4" -- "$BRAINSIM" run --resume "$TMP/ck.h5" -c 4 -o "$TMP/resumed.h5"
expect_output "grown to" "the resumed stores grew"
same "$TMP/small.h5" "$TMP/resumed.h5" "resumed vs uninterrupted"

# the comparison can fail: another seed differs
sed 's/^seed: 1$/seed: 2/' "$ex" >"$TMP/seed2.yaml"
expect_exit_long 0 "association, seed 2" -- "$BRAINSIM" run "$TMP/seed2.yaml" -q -c 4 -o "$TMP/seed2.h5"
if "$H5DIFF" "$TMP/small.h5" "$TMP/seed2.h5" /areas /areas >/dev/null 2>&1; then
  fail "seed 2 equals seed 1: the comparison cannot fail"
else pass "seed 2 differs (the comparison can fail)"; fi

# out of memory while growing: a clear error, exit 1 (p = 1: each of the
# 5000 winners gains an entry per firing source, 2.5e7 entries a step)
cat >"$TMP/big.yaml" <<'YAML'
seed: 1
areas: [{name: A, n: 100000, k: 5000}]
stimuli: [{name: s, k: 5000}]
fibers: [{from: s, to: A, p: 1.0, beta: 0.1}]
schedule: [{project: {rounds: 2}}]
YAML
# (AddressSanitizer reserves terabytes of shadow address space and cannot
# start under `ulimit -v`: there the same failure comes from its own cap on
# one allocation, which it then answers with NULL)
if [ "${BRAINSIM_SANITIZERS:-0}" = 1 ]; then
  expect_exit 1 "growth beyond memory (max_allocation_size_mb)" -- \
    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=256" \
    "$BRAINSIM" run "$TMP/big.yaml" -c 4 -o "$TMP/big.h5"
else
  expect_exit 1 "growth beyond memory (ulimit -v)" -- sh -c "ulimit -v 900000 && exec '$BRAINSIM' run '$TMP/big.yaml' -c 4 -o '$TMP/big.h5'"
fi
expect_output "fiber s->A on rank 0: the plastic store holds 0 of 4 entries" "the error names the fiber and the sizes"
expect_output "out of host memory; raise the initial reservation with --plastic-capacity" "the error names the option"
finish
