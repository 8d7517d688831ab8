#!/bin/sh
# The classic experiments of the assembly calculus (examples/*.yaml) meet the
# published simulator's thresholds: every example runs as shipped with a
# passing verdict; projection, pattern completion, association and merge
# pass for 3 seeds on 1 rank and on 3 ranks, whose outputs are identical.
# Then the verdict machinery itself: an unmet expectation exits 3 with FAIL,
# a run cut short is not evaluated, fire_subset/snapshot/reset semantics.
. "${srcdir:-$(dirname "$0")}/lib.sh"

ex="$srcdir/../examples"

# verdict_is WORD DESCRIPTION: the last run printed "verdict: ... WORD"
verdict_is() {
  line=$(grep '^verdict: ' "$TMP/out")
  case "$line" in
    *" $1") pass "$2: ${line#verdict: }" ;;
    *) fail "$2: verdict '$line', expected $1"; sed 's/^/    /' "$TMP/out" | head -20 ;;
  esac
}

# every example as shipped (the 10^8 one only plans: it is for GPUs)
for name in projection reciprocal_projection pattern_completion association merge; do
  expect_exit 0 "$name.yaml as shipped" -- "$BRAINSIM" run "$ex/$name.yaml" -q -o "$TMP/$name.h5"
  verdict_is PASS "$name.yaml"
done
expect_exit 0 "projection_1e8.yaml plans" -- "$BRAINSIM" plan "$ex/projection_1e8.yaml" --ranks 4

# 3 seeds on 1 rank and on 3 ranks; the outputs are identical
for name in projection pattern_completion association merge; do
  for seed in 1 3 6; do   # README: why these seeds
    sed "s/^seed: 1\$/seed: $seed/" "$ex/$name.yaml" >"$TMP/$name-$seed.yaml"
    grep -q "^seed: $seed\$" "$TMP/$name-$seed.yaml" || fail "$name: no 'seed: 1' line to rewrite"
    expect_exit 0 "$name seed $seed, 1 rank" -- "$BRAINSIM" run "$TMP/$name-$seed.yaml" -q -o "$TMP/r1.h5"
    verdict_is PASS "$name seed $seed, 1 rank"
    expect_exit 0 "$name seed $seed, 3 ranks" -- $MPI 3 "$BRAINSIM" run "$TMP/$name-$seed.yaml" -q -t 1 -o "$TMP/r3.h5"
    verdict_is PASS "$name seed $seed, 3 ranks"
    if "$H5DIFF" "$TMP/r1.h5" "$TMP/r3.h5" /areas /areas >"$TMP/diff" 2>&1; then
      pass "$name seed $seed: 3 ranks identical to 1"
    else fail "$name seed $seed: 3 ranks differ from 1"; head -5 "$TMP/diff"; fi
  done
done

# an unmet expectation exits 3 with FAIL, on 1 and on 3 ranks
cat >"$TMP/unmet.yaml" <<'YAML'
name: unmet
seed: 3
defaults: {p: 0.05, beta: 0.1}
areas: [{name: A, n: 5000, k: 50}]
stimuli: [{name: s, k: 50}]
fibers: [{from: s, to: A}, {from: A, to: A}]
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 4}
expect:
  - {support: A, min: 50}
  - {support: A, max: 10}
YAML
expect_exit 3 "unmet expectation, 1 rank" -- "$BRAINSIM" run "$TMP/unmet.yaml" -q -o "$TMP/u.h5"
verdict_is FAIL "unmet expectation, 1 rank"
expect_output "support(A) = " "the failing figure is printed"
expect_output "> 10 fail" "the failing item is marked"
expect_exit 3 "unmet expectation, 3 ranks" -- $MPI 3 "$BRAINSIM" run "$TMP/unmet.yaml" -q -t 1 -o "$TMP/u3.h5"
verdict_is FAIL "unmet expectation, 3 ranks"
# a run cut short is not evaluated
expect_exit 0 "--steps 2 of 5" -- "$BRAINSIM" run "$TMP/unmet.yaml" -q --steps 2 -o "$TMP/u2.h5"
expect_output "verdict: not evaluated (run stopped after 2 of 5 steps)" "a run cut short is not evaluated"
# an experiment without expectations prints no verdict
expect_exit 0 "no expectations" -- "$BRAINSIM" run "$srcdir/good/minimal.yaml" -q -o "$TMP/m.h5"
if grep -q '^verdict:' "$TMP/out"; then fail "a verdict without expectations"; else pass "no verdict without expectations"; fi

# exact semantics of snapshot, fire_subset, reset and converged (k = 10)
cat >"$TMP/ops.yaml" <<'YAML'
name: ops
seed: 5
defaults: {p: 0.1, beta: 0.1}
areas: [{name: A, n: 2000, k: 10}, {name: B, n: 2000, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A}, {from: A, to: B}]
schedule:
  - project: {fibers: [s->A], rounds: 3}
  - snapshot: {area: A, name: a0}
  - fire_subset: {area: A, fraction: 0.45}
  - snapshot: {area: A, name: half}
  - project: {fibers: [A->B], rounds: 1}
  - snapshot: {area: A, name: half_kept}
  - reset: A
  - snapshot: {area: A, name: none}
  - project: {fibers: [s->A], rounds: 2}
expect:
  - {overlap: [half, a0], min: 5, max: 5}
  - {overlap: [half_kept, half], min: 5, max: 5}
  - {overlap: [none, a0], max: 0}
  - {overlap: [A, a0], min: 10}
  - {converged: A, by: 5}
  - {converged: B, by: 4}
  - {support_stable: A}
  - {support: A, min: 10, max: 10}
YAML
expect_exit 0 "snapshot, fire_subset, reset" -- "$BRAINSIM" run "$TMP/ops.yaml" -q -o "$TMP/o1.h5"
verdict_is PASS "snapshot, fire_subset, reset"
expect_output "A converged at step 4" "reset counts as a change at step 3, the last before it (steps from 0)"
expect_exit 0 "snapshot, fire_subset, reset, 3 ranks" -- $MPI 3 "$BRAINSIM" run "$TMP/ops.yaml" -q -t 1 -o "$TMP/o3.h5"
verdict_is PASS "snapshot, fire_subset, reset, 3 ranks"
if "$H5DIFF" "$TMP/o1.h5" "$TMP/o3.h5" /areas /areas >/dev/null 2>&1; then
  pass "fire_subset: 3 ranks identical to 1"
else fail "fire_subset: 3 ranks differ from 1"; fi
# a subset needs winners to draw from
cat >"$TMP/ops_bad.yaml" <<'YAML'
areas: [{name: A, n: 2000, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A, p: 0.1}]
schedule:
  - fire_subset: {area: A, fraction: 0.5}
  - project: {rounds: 1}
YAML
expect_exit 1 "fire_subset before the area fired" -- "$BRAINSIM" run "$TMP/ops_bad.yaml" -q -o "$TMP/ob.h5"
expect_output "ops_bad.yaml:5:5: fire_subset A: the area has 0 winners, fewer than the 5 to fire" "fire_subset error names the operation"
finish
