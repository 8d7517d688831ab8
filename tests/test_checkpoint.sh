#!/bin/sh
# Checkpoint and restart (doc/design.md section 2): a run stopped and resumed, on
# another number of ranks, equals the uninterrupted run bit for bit; a job
# killed with SIGKILL (also in the middle of a checkpoint write) resumes from
# its last complete checkpoint to the same result; SIGTERM leaves a
# checkpoint and exits 0.
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1

cat >exp.yaml <<'YAML'
seed: 31
defaults: {p: 0.01, beta: 0.1}
areas:
  - {name: A, n: 120000, k: 300}
  - {name: B, n: 50000, k: 200}
stimuli:
  - {name: s, k: 300}
fibers:
  - {from: s, to: A}
  - {from: A, to: A}
  - {from: A, to: B}
  - {from: B, to: B, cap: 2.0}
schedule:
  - project: {fibers: [s->A], rounds: 3}
  - project: {fibers: [s->A, A->A, A->B], rounds: 1}
  - project: {rounds: 11}
  - fix: A
  - project: {rounds: 5}
  - unfix: A
  - inhibit: s->A
  - project: {rounds: 10}
  - disinhibit: s->A
  - set_assembly: {area: B, random: true}
  - project: {rounds: 10}
YAML

same_output() {  # FILE DESCRIPTION: /areas and /schedule equal full.h5's
  if "$H5DIFF" full.h5 "$1" /areas /areas >diff.txt 2>&1 &&
     "$H5DIFF" full.h5 "$1" /schedule /schedule >>diff.txt 2>&1; then pass "$2"
  else fail "$2"; head -n 20 diff.txt; fi
}
same_checkpoint() {  # A B DESCRIPTION: state groups equal
  if "$H5DIFF" "$1" "$2" /areas /areas >diff.txt 2>&1 &&
     "$H5DIFF" "$1" "$2" /fibers /fibers >>diff.txt 2>&1; then pass "$3"
  else fail "$3"; head -n 20 diff.txt; fi
}

# the uninterrupted run, with checkpoints every 20 steps
expect_exit 0 "uninterrupted 40 steps" -- "$BRAINSIM" run exp.yaml -q -o full.h5 \
  --checkpoint-every 20 --checkpoint full_ck.h5
expect_exit 0 "inspect a checkpoint" -- "$BRAINSIM" inspect full_ck.h5
expect_output "step: 40" "inspect shows the step"
expect_exit 0 "inspect an output" -- "$BRAINSIM" inspect full.h5
expect_output "steps: 40 of 40 complete" "inspect shows the steps"

# 20 steps on 1 rank, resume for 20 on 3; 20 on 4, resume on 2
for pair in "1 3" "4 2"; do
  set -- $pair
  expect_exit 0 "20 steps on $1 rank(s)" -- $MPI "$1" "$BRAINSIM" run exp.yaml -q -t 1 \
    --steps 20 --checkpoint-every 20 --checkpoint half$1.h5 -o part$1.h5
  expect_exit 0 "resume on $2 ranks" -- $MPI "$2" "$BRAINSIM" run -q -t 1 \
    --resume half$1.h5 --checkpoint-every 20 --checkpoint end$1.h5 -o part$1.h5
  same_output "part$1.h5" "$1 -> $2 ranks: output equals the uninterrupted run"
  same_checkpoint full_ck.h5 "end$1.h5" "$1 -> $2 ranks: final checkpoint equals"
done
same_checkpoint full_ck.h5.1 half1.h5 "checkpoint at step 20 is the same from 1 or 4 ranks"

# resuming with a changed experiment is refused; an extended schedule is not
sed 's/seed: 31/seed: 32/' exp.yaml >other.yaml
expect_exit 1 "resume with another experiment" -- "$BRAINSIM" run -q --resume half1.h5 other.yaml -o x.h5
expect_output "only appending operations" "the refusal says why"
cp exp.yaml longer.yaml
echo "  - project: {rounds: 2}" >>longer.yaml
expect_exit 0 "resume with an extended schedule" -- "$BRAINSIM" run --resume half1.h5 longer.yaml -o longer.h5
expect_output "extends the schedule" "the extension is announced"

# SIGKILL after a random step, and in the middle of a checkpoint write
wait_for() {  # FILE PID: until FILE exists (or the process ended), 60 s at most
  i=0
  while [ ! -e "$1" ] && kill -0 "$2" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1; i=$((i + 1)); done
}
wait_for_line() {  # FILE TEXT PID: until FILE holds TEXT (or the process ended), 60 s at most
  i=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null && kill -0 "$3" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1; i=$((i + 1)); done
}
# SIGKILL after S steps (a random S, printed in the test's name): the run
# pauses after that step (BRAINSIM_TEST_STEP_PAUSE, announced on stderr)
# and the kill lands in the pause, however slow the machine is.
kill_at_step() {  # STEP DESCRIPTION
  rm -f k_ck.h5* k_out.h5
  BRAINSIM_TEST_STEP_PAUSE="$1:60" "$BRAINSIM" run exp.yaml -q -o k_out.h5 \
    --checkpoint-every 4 --checkpoint k_ck.h5 --keep 2 >k_err.txt 2>&1 &
  pid=$!
  wait_for_line k_err.txt "test pause, steps done: $1" "$pid"
  if ! grep -qF "test pause, steps done: $1" k_err.txt || ! kill -9 "$pid" 2>/dev/null; then
    fail "$2: the run did not pause after $1 steps"; sed 's/^/    /' k_err.txt | head -20
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return
  fi
  wait "$pid" 2>/dev/null
  ck=k_ck.h5
  [ -e k_ck.h5 ] || ck=k_ck.h5.1
  expect_exit 0 "$2: resume from $ck" -- "$BRAINSIM" run -q --resume "$ck" -o k_out.h5
  same_output k_out.h5 "$2: resumed output equals the uninterrupted run"
}
# a random step in 5..39, after the first checkpoint (step 4) exists
r=$(awk 'BEGIN { srand(); printf "%d", 5 + int(rand() * 35) }')
kill_at_step "$r" "kill -9 after $r steps (BRAINSIM_TEST_STEP_PAUSE=$r:60 reproduces it)"
# kill -9 inside the second rotation (k_ck.h5.1 linked, k_ck.h5.tmp not
# yet renamed over k_ck.h5): k_ck.h5 is still there and resumes
rm -f k_ck.h5* k_out.h5
BRAINSIM_TEST_ROTATE_PAUSE=30 "$BRAINSIM" run exp.yaml -q -o k_out.h5 \
  --checkpoint-every 4 --checkpoint k_ck.h5 --keep 2 >/dev/null 2>&1 &
pid=$!
wait_for k_ck.h5.1 "$pid"
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e k_ck.h5 ] && [ -e k_ck.h5.1 ] && [ -e k_ck.h5.tmp ]; then
  pass "kill -9 inside the rotation: the checkpoint is still in place"
else fail "kill -9 inside the rotation: $(ls k_ck.h5* 2>&1 | tr '\n' ' ')"; fi
expect_exit 0 "kill -9 inside the rotation: resume from k_ck.h5" -- \
  "$BRAINSIM" run -q --resume k_ck.h5 -o k_out.h5
same_output k_out.h5 "kill -9 inside the rotation: resumed output equals the uninterrupted run"
# kill while the first checkpoint is being written (paused inside): only
# "<checkpoint>.tmp" exists, and loading that incomplete file is refused
rm -f k_ck.h5* k_out.h5
BRAINSIM_TEST_CHECKPOINT_PAUSE=5 "$BRAINSIM" run exp.yaml -q -o k_out.h5 \
  --checkpoint-every 4 --checkpoint k_ck.h5 >/dev/null 2>&1 &
pid=$!
wait_for k_ck.h5.tmp "$pid"
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e k_ck.h5.tmp ] && [ ! -e k_ck.h5 ]; then
  pass "kill -9 during the first write: no checkpoint, only the .tmp file"
else fail "kill -9 during the first write: $(ls k_ck* 2>/dev/null | tr '\n' ' ')"; fi
expect_exit 1 "resuming from the incomplete .tmp file is refused" -- \
  "$BRAINSIM" run -q --resume k_ck.h5.tmp -o k_out.h5
rm -f k_ck.h5* k_out.h5
# let the first checkpoint complete, then kill during the second write
BRAINSIM_TEST_CHECKPOINT_PAUSE=2 "$BRAINSIM" run exp.yaml -q -o k_out.h5 \
  --checkpoint-every 4 --checkpoint k_ck.h5 --keep 2 >/dev/null 2>&1 &
pid=$!
wait_for k_ck.h5 "$pid"
wait_for k_ck.h5.tmp "$pid"
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e k_ck.h5 ] && [ -e k_ck.h5.tmp ]; then
  pass "kill -9 during the second write: the first checkpoint is intact"
  expect_exit 0 "resume from the first checkpoint" -- "$BRAINSIM" run -q --resume k_ck.h5 -o k_out.h5
  same_output k_out.h5 "kill during a write: resumed output equals the uninterrupted run"
else fail "kill during the second write: files $(ls k_ck* 2>/dev/null | tr '\n' ' ')"; fi

# SIGTERM: finish the step, checkpoint, exit 0, resume to the same result
# (the run pauses after 10 steps until the signal arrives)
rm -f t_ck.h5* t_out.h5
BRAINSIM_TEST_STEP_PAUSE=10:60 "$BRAINSIM" run exp.yaml -o t_out.h5 \
  --checkpoint t_ck.h5 --checkpoint-every 4 >term.txt 2>&1 &
pid=$!
wait_for_line term.txt "test pause, steps done: 10" "$pid"
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "resume with" term.txt && ! grep -q "40 of 40 steps" term.txt; then
  pass "SIGTERM: stopped mid-run, exit 0 with a resume hint"
else fail "SIGTERM: exit $rc"; cat term.txt; fi
expect_exit 0 "resume after SIGTERM" -- "$BRAINSIM" run -q --resume t_ck.h5 -o t_out.h5
same_output t_out.h5 "SIGTERM: resumed output equals the uninterrupted run"

# SIGTERM to every rank of a 2-rank job (both pause after 10 steps)
rm -f t2_ck.h5* t2_out.h5
BRAINSIM_TEST_STEP_PAUSE=10:60 $MPI 2 "$BRAINSIM" run exp.yaml -o t2_out.h5 \
  --checkpoint t2_ck.h5 --checkpoint-every 4 >term2.txt 2>&1 &
pid=$!
wait_for_line term2.txt "test pause, steps done: 10" "$pid"
# the ranks (mpirun's children), as a batch scheduler signals them
pkill -TERM -P "$pid"
wait "$pid" 2>/dev/null
if grep -q "resume with" term2.txt; then
  expect_exit 0 "resume the 2-rank job on 3 ranks" -- $MPI 3 "$BRAINSIM" run -q --resume t2_ck.h5 -o t2_out.h5
  same_output t2_out.h5 "2-rank SIGTERM: resumed output equals the uninterrupted run"
else fail "2-rank SIGTERM left no checkpoint"; cat term2.txt; fi
finish
