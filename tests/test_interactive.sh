#!/bin/sh
# Operations applied one at a time (bs_apply, from the C program
# tests/interactive_session): the session's output is the same on 1 and 3
# ranks, and equals `brainsim run` of the experiment it records (h5diff of
# /areas and /schedule); its checkpoint, taken in the middle of the
# session after a snapshot, resumes from the CLI (with the recorded
# experiment) to the same output; `brainsim inspect` shows what ran; an
# experiment without steps has nothing to run (exit 0).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
SESSION="$top_builddir/tests/interactive_session"
PY=${PYTHON:-python3}

same() {  # A B DESCRIPTION: /areas and /schedule of A and B are equal
  if "$H5DIFF" "$1" "$2" /areas /areas >diff.txt 2>&1 &&
     "$H5DIFF" "$1" "$2" /schedule /schedule >>diff.txt 2>&1; then pass "$3"
  else fail "$3"; head -n 20 diff.txt; fi
}

mkdir r1 r3 replay resume
cd r1 && expect_exit 0 "session on 1 rank" -- "$SESSION" s.h5 mid.h5 && cd ..
cp "$TMP/out" r1.txt
cd r3 && expect_exit 0 "session on 3 ranks" -- $MPI 3 "$SESSION" s.h5 mid.h5 && cd ..
if [ "$(grep '^session:' r1.txt)" = "$(grep '^session:' "$TMP/out")" ] &&
   grep -q '^session:' r1.txt; then pass "3 ranks: the same checksum"
else fail "3 ranks: checksums differ"; cat r1.txt "$TMP/out"; fi
same r1/s.h5 r3/s.h5 "3 ranks: output identical to 1 rank"

expect_exit 0 "inspect the session's output" -- "$BRAINSIM" inspect r1/s.h5
expect_output "experiment: recorded as it ran" "inspect: recorded"
expect_output "plasticity off" "inspect: the operations"
expect_output "fire A (5)" "inspect: the fire operation"
steps=$(sed -n 's/^session: \([0-9]*\) steps.*/\1/p' r1.txt)
expect_output "steps: $steps of $steps complete" "inspect: steps_total grew"

if "$PY" -c "import h5py" 2>/dev/null; then
  "$PY" -c "import h5py,sys; sys.stdout.write(h5py.File('r1/s.h5','r')['experiment'].asstr()[()])" >replay/rec.yaml
  cd replay && expect_exit 0 "brainsim run of the recorded experiment" -- \
     "$BRAINSIM" run rec.yaml -q -o rep.h5 && cd ..
  same r1/s.h5 replay/rep.h5 "the recorded experiment replays the session"
  cd replay && expect_exit 0 "replay on 3 ranks" -- \
     $MPI 3 "$BRAINSIM" run rec.yaml -q -o rep3.h5 && cd ..
  same r1/s.h5 replay/rep3.h5 "the replay on 3 ranks equals the session"
  # resume the mid-session checkpoint (taken after a snapshot) with the
  # recorded experiment, which extends its schedule, into a copy of the
  # output whose rows after the checkpoint are blanked: the resumed run
  # must write them again, equal
  cp r1/s.h5 resume/s.h5
  cp replay/rec.yaml resume/rec.yaml
  "$PY" - <<'PYEOF'
import h5py, numpy as np
step = int(h5py.File("r1/mid.h5", "r").attrs["step"])
with h5py.File("resume/s.h5", "r+") as f:
    for a in f["areas"].values():
        for d in a.values():
            d[step:] = 0
    f["schedule"][step:] = np.zeros(f["schedule"].shape[0] - step,
                                    dtype=f["schedule"].dtype)
PYEOF
  if "$H5DIFF" r1/s.h5 resume/s.h5 /areas /areas >/dev/null 2>&1; then
    fail "the blanked copy should differ"; fi
  cd resume && expect_exit 0 "resume the session's checkpoint from the CLI" -- \
     $MPI 2 "$BRAINSIM" run --resume ../r1/mid.h5 rec.yaml -q -o s.h5 && cd ..
  same r1/s.h5 resume/s.h5 "resumed on 2 ranks equals the session"
else
  echo "note: $PY cannot import h5py: the replay and resume checks are skipped"
fi

expect_exit 0 "an experiment without steps" -- "$BRAINSIM" run "$srcdir/good/empty_schedule.yaml" -o e.h5
expect_output "nothing to run" "nothing to run: says so"
printf 'areas: [{name: A, n: 100, k: 10}]\n' >none.yaml
expect_exit 0 "an experiment without a schedule" -- "$BRAINSIM" run none.yaml -q -o e.h5
expect_output "nothing to run" "no schedule: says so"
finish
