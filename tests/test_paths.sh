#!/bin/sh
# Nothing a user types destroys a file (issue 15): every file a run writes
# is compared with every file it reads and writes (by inode: through ./,
# symbolic and hard links), only regular files are written, and a second
# run on the same output or checkpoint is refused while the first holds
# it.  Each colliding command must exit 1 naming both paths, never end in
# a signal, and leave the experiment file, an earlier output and a device
# node byte-identical.  FIFOs and directories given as files to read are
# refused at once (no blocking open).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
cat >exp.yaml <<'YAML'
seed: 3
areas:
  - {name: A, n: 10000, k: 100}
stimuli:
  - {name: s, k: 100}
fibers:
  - {from: s, to: A, p: 0.01}
  - {from: A, to: A, p: 0.01}
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 11}
YAML
"$BRAINSIM" run exp.yaml -q -o earlier.h5 >/dev/null || fail "the reference run"
cp exp.yaml exp.orig
cp earlier.h5 earlier.orig
ln -s exp.yaml link.yaml
ln exp.yaml hard.yaml
# a device node that is not /dev itself: mknod needs root, else a FIFO
mknod node c 1 3 2>/dev/null || mkfifo node
unchanged() {  # DESCRIPTION: every file as before, and no stray output
  if cmp -s exp.yaml exp.orig && cmp -s earlier.h5 earlier.orig &&
     [ ! -f node ] && [ ! -e k.h5 ] && [ ! -e o.h5 ]; then
    pass "$1: every file unchanged"
  else fail "$1: a file changed or was created"; ls -l; fi
}
collides() {  # A B DESCRIPTION -- COMMAND: exits 1 naming A and B
  a=$1; b=$2; what=$3; shift 4
  expect_exit 1 "$what" -- "$@"
  expect_output "$a" "$what: the message names $a"
  expect_output "$b" "$what: the message names $b"
  unchanged "$what"
}
R="$BRAINSIM run -q"
collides "output exp.yaml" "experiment exp.yaml" "--out equal to the experiment" -- $R exp.yaml -o exp.yaml
collides "output ./exp.yaml" "experiment exp.yaml" "--out ./ of the experiment" -- $R exp.yaml -o ./exp.yaml
collides "output link.yaml" "experiment exp.yaml" "--out a symbolic link to the experiment" -- $R exp.yaml -o link.yaml
collides "output hard.yaml" "experiment exp.yaml" "--out a hard link to the experiment" -- $R exp.yaml -o hard.yaml
collides "checkpoint exp.yaml" "experiment exp.yaml" "--checkpoint equal to the experiment" -- $R exp.yaml -o o.h5 -e 4 -k exp.yaml
collides "checkpoint earlier.h5" "output earlier.h5" "--checkpoint equal to the output" -- $R exp.yaml -o earlier.h5 -e 4 -k earlier.h5
cp earlier.orig k.h5.1
collides "rotation name k.h5.1" "output k.h5.1" "--out k.h5.1 --checkpoint k.h5" -- $R exp.yaml -o k.h5.1 -e 4 -k k.h5
cmp -s k.h5.1 earlier.orig && pass "--out k.h5.1 --checkpoint k.h5: k.h5.1 unchanged" || fail "k.h5.1 changed"
rm -f k.h5.1
cp earlier.orig k.h5.tmp
collides "temporary name k.h5.tmp" "output k.h5.tmp" "--out the checkpoint's .tmp" -- $R exp.yaml -o k.h5.tmp -e 4 -k k.h5
cmp -s k.h5.tmp earlier.orig && pass "--out k.h5.tmp: unchanged" || fail "k.h5.tmp changed"
rm -f k.h5.tmp
collides "rotation name earlier.h5.1" "output earlier.h5.1" "--keep 3: the second rotation name" -- $R exp.yaml -o earlier.h5.1 -e 4 -k earlier.h5 -K 3
cat >sched.yaml <<'YAML'
seed: 3
areas: [{name: A, n: 1000, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A, p: 0.05}]
schedule:
  - project: {rounds: 2}
  - checkpoint: earlier.h5
YAML
collides "checkpoint earlier.h5" "output earlier.h5" "a schedule checkpoint naming the output" -- $R sched.yaml -o earlier.h5
sed 's/earlier.h5/sched.yaml/' sched.yaml >s2.yaml && mv s2.yaml sched.yaml
collides "checkpoint sched.yaml" "experiment sched.yaml" "plan: a schedule checkpoint naming the experiment" -- "$BRAINSIM" plan sched.yaml
collides "checkpoint node" "regular" "--checkpoint a device node" -- $R exp.yaml -o o.h5 -e 4 -k node
collides "output node" "regular" "--out a device node" -- $R exp.yaml -o node
"$BRAINSIM" run exp.yaml -q -o ckout.h5 -e 4 -k ck.h5 >/dev/null || fail "checkpointed run"
cp ck.h5 ck.orig
collides "output ck.h5" "checkpoint to resume ck.h5" "resume into the checkpoint itself" -- $R --resume ck.h5 -o ck.h5
cmp -s ck.h5 ck.orig && pass "resume into the checkpoint itself: it is unchanged" || fail "the checkpoint changed"
expect_exit 0 "resume writing checkpoints over the one it resumes from" -- $R --resume ck.h5.1 -o o.h5 -e 4 -k ck.h5
rm -f o.h5 ck.h5* ckout.h5
# a name whose last component is too long (Open MPI's shared-file-pointer
# component overflows a buffer on one over 240 bytes)
long=$(printf 'x%.0s' $(seq 1 250))
expect_exit 1 "--out with a 250-byte name" -- $R exp.yaml -o "$long.h5"
expect_output "longer than 200 bytes" "--out with a 250-byte name: said why"
expect_exit 1 "--resume with a 250-byte name" -- $R --resume "$long.h5" -o o.h5
expect_exit 1 "--out ending in /." -- $R exp.yaml -o "sub/."
# FIFOs and directories to read: refused at once, no blocking open
mkfifo fifo
mkdir dir
expect_exit 1 "a FIFO as the experiment" -- $R fifo -o o.h5
expect_output "fifo: cannot open: is a FIFO" "a FIFO as the experiment: said why"
expect_exit 1 "a FIFO as --resume" -- $R --resume fifo -o o.h5
expect_output "checkpoint fifo: is a FIFO" "a FIFO as --resume: said why"
expect_exit 1 "a directory as --resume" -- $R --resume dir -o o.h5
if [ "$(wc -l <"$TMP/out")" -le 2 ]; then pass "a directory as --resume: one line, no MPI-IO noise"
else fail "a directory as --resume printed $(wc -l <"$TMP/out") lines"; head "$TMP/out"; fi
expect_exit 1 "inspect of a FIFO" -- "$BRAINSIM" inspect fifo
expect_exit 1 "plan of a FIFO" -- "$BRAINSIM" plan fifo
# two runs at once: the second is refused, the first equals an undisturbed
# run (the first pauses after 3 steps while the second tries)
rm -f o.h5 o.h5.lock
for target in "-o o.h5" "-o other.h5 -e 4 -k ck.h5"; do
  rm -f first.txt     # (else the wait below may read the last round's)
  BRAINSIM_TEST_STEP_PAUSE=3:30 "$BRAINSIM" run exp.yaml -q -o o.h5 -e 4 -k ck.h5 >first.txt 2>&1 &
  pid=$!
  i=0; while ! grep -q "test pause" first.txt && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  expect_exit 1 "a second run with $target while the first runs" -- $R exp.yaml $target
  expect_output "in use by another brainsim run (pid $pid" "second run ($target): names the file and the other run"
  kill -TERM "$pid"    # stops the first with a checkpoint after its pause
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] && pass "the first run ended normally" ||
    { fail "the first run: exit $rc"; sed 's/^/    /' first.txt | head; }
  $R --resume ck.h5 -o o.h5 >/dev/null 2>&1 || fail "resume of the first run"
  if "$H5DIFF" earlier.h5 o.h5 /areas /areas >diff.txt 2>&1; then
    pass "second run ($target): the first run's output equals an undisturbed run's"
  else fail "second run ($target): the first run's output differs"; head diff.txt; fi
  rm -f o.h5 ck.h5* other.h5
done
ls *.lock >/dev/null 2>&1 && { fail "lock files left behind: $(ls *.lock)"; } || pass "no lock file outlives its run"
finish
