#!/bin/sh
# Step numbering (doc/design.md section 7): a step's index counts from 0
# everywhere.  Each step the command names (an error's "at step S",
# "resumed at step S", the verdict's "converged at step S" and "stable
# since step S", inspect's "(steps F-L)") is compared with the output: row
# t and /schedule's `step` field t are step t, and brainsim.analysis
# computes the same convergence step.  Needs python3 with numpy and h5py
# for the output side (exit 77 without them).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
PY=${PYTHON:-python3}
if ! "$PY" -c "import numpy, h5py" >/dev/null 2>&1; then
  echo "SKIP: $PY cannot import numpy and h5py"; exit 77
fi
PYTHONPATH="$srcdir/../python${PYTHONPATH:+:$PYTHONPATH}"
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE

# out_fact FILE WHAT: a figure of the output, computed by the package
out_fact() {
  "$PY" - "$1" "$2" <<'EOF'
import sys
import numpy as np
import brainsim
from brainsim import analysis
path, what = sys.argv[1], sys.argv[2]
with brainsim.open(path) as run:
    step = run.schedule["step"]
    if what == "rows":                      # rows, and /schedule is 0..rows-1
        ok = np.array_equal(step, np.arange(run.steps))
        print(run.steps if ok else f"schedule steps {list(step)}")
    elif what == "converged":               # winners final from this step
        print(analysis.convergence_step(run.winners("A")))
    elif what == "stable":                  # the first step after the last growth
        print(int(np.flatnonzero(analysis.support_growth(run, "A"))[-1]) + 1)
    elif what == "last_op_steps":           # steps of the last operation
        rows = np.flatnonzero(run.schedule["op"] == run.schedule["op"][-1])
        print(f"{int(step[rows[0]])}-{int(step[rows[-1]])}")
EOF
}

# same WHAT GOT WANT: pass when equal
same() {
  if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: the command says '$2', the output '$3'"; fi
}

cat >conv.yaml <<'YAML'
name: conv
seed: 3
defaults: {p: 0.05, beta: 0.1}
areas: [{name: A, n: 2000, k: 40}]
stimuli: [{name: s, k: 40}]
fibers: [{from: s, to: A, cap: 100}, {from: A, to: A, cap: 100}]
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 24}
expect:
  - {converged: A}
  - {support_stable: A}
YAML
expect_exit 0 "a run to convergence" -- "$BRAINSIM" run conv.yaml -q -o conv.h5
c=$(sed -n 's/.*A converged at step \([0-9]*\).*/\1/p' "$TMP/out")
s=$(sed -n 's/.*stable since step \([0-9]*\).*/\1/p' "$TMP/out")
same "converged: the verdict's step is analysis.convergence_step" "$c" "$(out_fact conv.h5 converged)"
same "support_stable: the verdict's step follows the last growing row" "$s" "$(out_fact conv.h5 stable)"
same "25 steps: rows and /schedule steps 0..24" 25 "$(out_fact conv.h5 rows)"
# by: names a step index too: by the convergence step passes, one before fails
sed "s/{converged: A}/{converged: A, by: $c}/" conv.yaml >by.yaml
expect_exit 0 "converged by step $c" -- "$BRAINSIM" run by.yaml -q -o by.h5
expect_output "A converged at step $c <= $c ok" "by: the convergence step itself passes"
sed "s/{converged: A}/{converged: A, by: $((c - 1))}/" conv.yaml >by1.yaml
expect_exit 3 "converged by step $((c - 1))" -- "$BRAINSIM" run by1.yaml -q -o by1.h5
expect_output "A converged at step $c > $((c - 1)) fail" "by: one step before fails"

# inspect names the operations' steps as the output's rows do
expect_exit 0 "inspect" -- "$BRAINSIM" inspect conv.h5
same "inspect: the last operation's steps" \
  "$(sed -n 's/^  1: .*(steps \([0-9]*-[0-9]*\))$/\1/p' "$TMP/out")" "$(out_fact conv.h5 last_op_steps)"
expect_output "  0: project s->A x1 (steps 0-0)" "inspect: the first operation is step 0"

# a run cut short and resumed: counts are counts, the resumed run starts at
# the index of the steps done
expect_exit 0 "--steps 10" -- "$BRAINSIM" run conv.yaml -n 10 -e 10 -k ck.h5 -o part.h5
expect_output "run stopped after 10 of 25 steps" "--steps 10: ten steps done"
same "--steps 10: rows and /schedule steps 0..9" 10 "$(out_fact part.h5 rows)"
expect_exit 0 "resume" -- "$BRAINSIM" run --resume ck.h5 -o part.h5
expect_output "resumed at step 10" "the resumed run starts at step 10"
same "resumed: rows and /schedule steps 0..24" 25 "$(out_fact part.h5 rows)"
if "$H5DIFF" conv.h5 part.h5 /areas /areas >/dev/null 2>&1; then
  pass "resumed: the rows equal the uninterrupted run's"
else fail "resumed: the rows differ from the uninterrupted run's"; fi

# an error's step: the saturating step S is the output's row count
cat >sat.yaml <<'YAML'
seed: 1
defaults: {p: 1.0, beta: 1.0}
areas: [{name: A, n: 100, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A}]
schedule:
  - project: {fibers: [s->A], rounds: 20}
YAML
expect_exit 1 "a saturating run" -- "$BRAINSIM" run sat.yaml -q -o sat.h5
same "saturation: the error's step is the first row not written" \
  "$(sed -n 's/.*maximum 65535.99998 at step \([0-9]*\) .*/\1/p' "$TMP/out")" "$(out_fact sat.h5 rows)"
finish
