#!/bin/sh
# Weight saturation (doc/design.md section 7): a potentiation that would
# pass the Q16.16 maximum 65535.99998 on a fiber without a cap fails its
# step with an error naming the fiber and the step, the same on every rank
# and backend path, exit 1, the output readable up to the step before.
#
# With p = 1 every edge exists, so the first step's inputs tie and the
# lowest ids win (or a fixed assembly wins); they keep winning, and the
# stimulus' synapses onto them are potentiated once per step, from step 0.
# The predicted failing step (steps are numbered from 0) is the number of
# potentiations w <- (w M + 2^15) >> 16 from w = 2^16 that stay at most
# 2^32 - 1:
#   beta = 1:    M = 131072, w doubles: 2^16 .. 2^31 fit, the 16th
#                potentiation (step 15) reaches 2^32
#   beta = 0.05: M = round(1.05 * 2^16) = 68813: the 228th (step 227),
#                computed below with the shell's 64-bit arithmetic
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1

# predicted_step M: the index of the step whose potentiation saturates
predicted_step() {
  w=65536; r=0
  while :; do
    w=$(( (w * $1 + 32768) >> 16 ))
    [ "$w" -gt 4294967295 ] && { echo "$r"; return; }
    r=$((r + 1))
  done
}
s1=$(predicted_step 131072)
s05=$(predicted_step 68813)
if [ "$s1" = 15 ] && [ "$s05" = 227 ]; then pass "predicted steps: $s1 (beta 1), $s05 (beta 0.05)"
else fail "predicted steps $s1 and $s05, expected 15 and 227"; fi

experiment() {  # experiment BETA ROUNDS [FIBER_EXTRA] [SCHEDULE_PREFIX]
  cat <<YAML
seed: 1
defaults: {p: 1.0, beta: $1}
areas: [{name: A, n: 100, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A${3:-}}]
schedule:
${4:-}  - project: {fibers: [s->A], rounds: $2}
YAML
}
experiment 1.0 20 >sat.yaml
experiment 0.05 300 >sat05.yaml
experiment 1.0 20 ", cap: 1000" >cap.yaml
experiment 1.0 20 ", cap: 65535" >cap_max.yaml
experiment 1.0 20 "" "  - fire: {area: A, neurons: [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]}
  - fix: A
" >high.yaml

msg="fiber s->A: a weight reached the Q16.16 maximum 65535.99998 at step"

# rows_of FILE: the rows of /areas/A/winners that the output holds
rows_of() {
  "$BRAINSIM" inspect "$1" 2>/dev/null | sed -n 's/^  A: n 100, k 10, \([0-9]*\) rows$/\1/p'
}

# saturates NAME RUN...: the run exits 1 naming fiber and step $step, once,
# and its output holds the $step rows before the failing step
saturates() {
  what=$1; out=$2; shift 2
  expect_exit 1 "$what" -- "$@"
  expect_output "brainsim: error: $msg $step (steps are numbered from 0); give the fiber a cap" \
    "$what: the error names the fiber and step $step"
  n=$(grep -c "reached the Q16.16 maximum" "$TMP/out")
  if [ "$n" = 1 ]; then pass "$what: the message is printed once"
  else fail "$what: the message is printed $n times"; fi
  got=$(rows_of "$out")
  if [ "$got" = "$step" ]; then pass "$what: the output holds steps 0..$((step - 1))"
  else fail "$what: the output holds '$got' rows, expected $step"; fi
}

step=$s1
saturates "beta 1, no cap" s1.h5 "$BRAINSIM" run sat.yaml -q -o s1.h5
saturates "beta 1, no cap, regenerating plasticity" s1r.h5 \
  env BRAINSIM_CPU_RECORD=0 "$BRAINSIM" run sat.yaml -q -o s1r.h5
saturates "beta 1, no cap, 3 ranks" s3.h5 $MPI 3 "$BRAINSIM" run sat.yaml -q -t 1 -o s3.h5
for f in s1r s3; do
  if "$H5DIFF" s1.h5 $f.h5 /areas /areas >/dev/null 2>&1; then
    pass "$f.h5: the rows before the failure equal 1 rank's"
  else fail "$f.h5: the rows before the failure differ from 1 rank's"; fi
done
# the saturating weights lie on the last of 3 ranks only: the others learn
# of it through the step's agreement and fail with the same message
saturates "fixed assembly 90..99, 1 rank" h1.h5 "$BRAINSIM" run high.yaml -q -o h1.h5
saturates "fixed assembly 90..99, 3 ranks" h3.h5 $MPI 3 "$BRAINSIM" run high.yaml -q -t 1 -o h3.h5

# two fibers saturate in step 15: t->C (declared first) into C's fixed
# assembly on the last of 3 ranks, s->A into A's lowest ids on the first;
# every rank names the first declared, t->C, as one rank does
cat >two.yaml <<'YAML'
seed: 1
defaults: {p: 1.0, beta: 1.0}
areas: [{name: A, n: 100, k: 10}, {name: C, n: 100, k: 10}]
stimuli: [{name: s, k: 10}, {name: t, k: 10}]
fibers: [{from: t, to: C}, {from: s, to: A}]
schedule:
  - fire: {area: C, neurons: [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]}
  - fix: C
  - project: {rounds: 20}
YAML
for r in 1 3; do
  expect_exit 1 "two saturating fibers, $r rank(s)" -- $MPI $r "$BRAINSIM" run two.yaml -q -t 1 -o two$r.h5
  expect_output "brainsim: error: fiber t->C: a weight reached the Q16.16 maximum 65535.99998 at step 15 " \
    "two saturating fibers, $r rank(s): the first declared is named"
done

step=$s05
saturates "beta 0.05, no cap" s05.h5 "$BRAINSIM" run sat05.yaml -q -o s05.h5

# a checkpoint before the failing step resumes to the same failure
expect_exit 1 "checkpoint every 10 steps" -- "$BRAINSIM" run sat.yaml -q -e 10 -k ck.h5 -o c1.h5
step=$s1
saturates "resumed at step 10 on 2 ranks" c1.h5 $MPI 2 "$BRAINSIM" run --resume ck.h5 -q -t 1 -o c1.h5

# a cap saturates by design: no error
expect_exit 0 "beta 1, cap 1000" -- "$BRAINSIM" run cap.yaml -q -o cap.h5
expect_exit 0 "beta 1, cap 65535 (the largest)" -- "$BRAINSIM" run cap_max.yaml -q -o capm.h5
expect_exit 0 "beta 1, cap 65535, 3 ranks" -- $MPI 3 "$BRAINSIM" run cap_max.yaml -q -t 1 -o capm3.h5
if "$H5DIFF" capm.h5 capm3.h5 /areas /areas >/dev/null 2>&1; then
  pass "capped: 3 ranks equal 1"
else fail "capped: 3 ranks differ from 1"; fi
finish
