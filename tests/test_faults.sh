#!/bin/sh
# Faults a long run meets on machines that fail (issue "Hardening"): the
# disk filling up while the output or a checkpoint is written, an
# unwritable output or checkpoint path, a missing or unreadable experiment
# or checkpoint, a rank that dies (mpirun ends the job), SIGTERM at any
# point, and experiments too large for the machine or for brainsim.  Each
# must end with exit 1 (0 for SIGTERM) and a message naming the file or the
# numbers, never a crash or a hang, and leave every file written before
# valid: outputs readable, checkpoints loadable, and a run resumed from the
# last checkpoint equal to the uninterrupted run.
#
# The full disk is a small tmpfs (mount needs root, as in CI); where it
# cannot be mounted those cases are skipped with a note.  A failed write's
# message ends with the space left on the file system ("(no space left: N
# bytes free on the file system of FILE)"), since MPI-IO does not say why
# a write failed.  (ulimit -f is no
# substitute: Open MPI's PMIx cannot start under a file size limit.)
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
SMALL="$TMP/small"
BG=                                  # background pids started here
cleanup() {
  for p in $BG; do kill -9 "$p" 2>/dev/null; done
  umount "$SMALL" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# A 150-step run whose output grows by 2 MB every 131 steps (winners and
# inputs chunks of 1 MB) and whose checkpoints are 0.8 MB each.
cat >disk.yaml <<'YAML'
seed: 5
defaults: {p: 0.01, beta: 0.1}
areas:
  - {name: A, n: 4000, k: 1000}
stimuli:
  - {name: s, k: 1000}
fibers:                       # capped: uncapped, beta 0.1 would
  - {from: s, to: A, cap: 1000}  # saturate at step 116
  - {from: A, to: A, cap: 1000}
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 149}
YAML
# A 40-step, 2-area run for the multi-rank and signal cases.
cat >mpi.yaml <<'YAML'
seed: 77
defaults: {p: 0.02, beta: 0.1}
areas:
  - {name: A, n: 30000, k: 150}
  - {name: B, n: 20000, k: 100}
stimuli:
  - {name: s, k: 150}
fibers:
  - {from: s, to: A}
  - {from: A, to: A}
  - {from: A, to: B}
schedule:
  - project: {fibers: [s->A], rounds: 4}
  - project: {rounds: 36}
YAML

RUN="$BRAINSIM run -q -t 1"         # a command line (unquoted on purpose)
same_output() {  # REF FILE DESCRIPTION: /areas and /schedule equal
  if "$H5DIFF" "$1" "$2" /areas /areas >diff.txt 2>&1 &&
     "$H5DIFF" "$1" "$2" /schedule /schedule >>diff.txt 2>&1; then pass "$3"
  else fail "$3"; head -n 20 diff.txt; fi
}
loads() {  # CHECKPOINT DESCRIPTION: resumes (and stops at once)
  rm -f load.h5
  expect_exit 0 "$2" -- "$BRAINSIM" run -q -t 1 --resume "$1" --steps 0 -o load.h5
}
readable() {  # OUTPUT DESCRIPTION: brainsim inspect reads it
  expect_exit 0 "$2" -- "$BRAINSIM" inspect "$1"
}
wait_for() {  # FILE PID: until FILE exists or PID ended (60 s at most)
  i=0
  while [ ! -e "$1" ] && kill -0 "$2" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1; i=$((i + 1)); done
}
wait_pid() {  # PID SECONDS: waits for PID (status in $rc); 1 if it hung
  rm -f "$TMP/hung"
  ( i=0
    while [ $i -lt "$2" ] && kill -0 "$1" 2>/dev/null; do sleep 1; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then touch "$TMP/hung"; kill -9 "$1"; fi ) &
  wd=$!
  wait "$1"; rc=$?
  wait "$wd" 2>/dev/null
  [ ! -e "$TMP/hung" ]
}
small_disk() {  # SIZE: a fresh tmpfs of SIZE at $SMALL; 1 when impossible
  umount "$SMALL" 2>/dev/null
  mkdir -p "$SMALL"
  mount -t tmpfs -o "size=$1" tmpfs "$SMALL" 2>/dev/null
}

expect_exit 0 "reference: disk.yaml uninterrupted" -- $RUN disk.yaml -o ref_disk.h5
expect_exit 0 "reference: mpi.yaml uninterrupted" -- $RUN mpi.yaml -o ref_mpi.h5

# ---- (a) out of disk space --------------------------------------------
if small_disk 3m; then
  # the output fills while the checkpoints (elsewhere) go on
  expect_exit 1 "output on a full disk: exit 1" -- \
    $RUN disk.yaml -o "$SMALL/out.h5" --checkpoint-every 25 --checkpoint a_ck.h5
  expect_output "$SMALL/out.h5" "output on a full disk: the message names the file"
  expect_output "write failed" "output on a full disk: the message says the write failed"
  expect_output "(no space left: " "output on a full disk: the message says there is no space left"
  expect_output "bytes free on the file system of $SMALL/out.h5)" \
    "output on a full disk: the message gives the free bytes of the file's file system"
  readable "$SMALL/out.h5" "output on a full disk: the output written so far is readable"
  loads a_ck.h5 "output on a full disk: the last checkpoint loads"
  cp "$SMALL/out.h5" a_out.h5
  expect_exit 0 "output on a full disk: resume elsewhere" -- $RUN --resume a_ck.h5 -o a_out.h5
  same_output ref_disk.h5 a_out.h5 "output on a full disk: resumed output equals the uninterrupted run"

  # the same on 2 ranks: refused on every rank before the collective
  # extension (one rank failing inside HDF5 would leave the other there)
  small_disk 3m
  expect_exit 1 "output on a full disk, 2 ranks: exit 1, no hang" -- \
    $MPI 2 $RUN disk.yaml -o "$SMALL/out.h5" --checkpoint-every 25 --checkpoint a2_ck.h5
  expect_output "(no space left: " "output on a full disk, 2 ranks: the message says there is no space left"
  expect_output "bytes free on the file system of $SMALL/out.h5)" \
    "output on a full disk, 2 ranks: the message gives the free bytes of the file's file system"
  readable "$SMALL/out.h5" "output on a full disk, 2 ranks: the output written so far is readable"
  loads a2_ck.h5 "output on a full disk, 2 ranks: the last checkpoint loads"
  cp "$SMALL/out.h5" a2_out.h5
  expect_exit 0 "output on a full disk, 2 ranks: resume elsewhere on 1 rank" -- \
    $RUN --resume a2_ck.h5 -o a2_out.h5
  same_output ref_disk.h5 a2_out.h5 "output on a full disk, 2 ranks: resumed output equals the uninterrupted run"

  # without that check (a test hook), the HDF5 write fails on one rank:
  # the job is ended with the message instead of hanging
  small_disk 3m
  BRAINSIM_TEST_NO_SPACE_CHECK=1 expect_exit 1 \
    "output on a full disk, 2 ranks, write failing inside HDF5: the job ends (exit 1), no hang" -- \
    $MPI 2 $RUN disk.yaml -o "$SMALL/out.h5" --checkpoint-every 25 --checkpoint a3_ck.h5
  expect_output "ending the job" "output on a full disk, 2 ranks, write failing inside HDF5: the message says why the job ends"
  expect_output "$SMALL/out.h5" "output on a full disk, 2 ranks, write failing inside HDF5: the message names the file"
  loads a3_ck.h5 "output on a full disk, 2 ranks, write failing inside HDF5: the last checkpoint loads"

  # the output cannot take even its first rows
  small_disk 1m
  expect_exit 1 "output full at the first rows: exit 1" -- $RUN disk.yaml -o "$SMALL/out.h5"
  expect_output "$SMALL/out.h5" "output full at the first rows: the message names the file"
  expect_output "bytes free on the file system of $SMALL/out.h5)" \
    "output full at the first rows: the message says there is no space left"
  readable "$SMALL/out.h5" "output full at the first rows: the file is readable (0 steps)"

  # a few KiB left at the start: refused before HDF5 writes anything, with
  # MPI (BRAINSIM_MPI=1) or without, and no signal at exit
  for m in 0 1; do
    small_disk 8k
    expect_exit 1 "output with 8 KiB free (BRAINSIM_MPI=$m): exit 1" -- \
      env BRAINSIM_MPI=$m $RUN disk.yaml -o "$SMALL/out.h5"
    expect_output "bytes free on the file system of $SMALL/out.h5)" \
      "output with 8 KiB free (BRAINSIM_MPI=$m): the message says there is no space left"
  done

  # a checkpoint fills the disk with MPI on one rank (the MPI-IO driver)
  small_disk 2m
  expect_exit 1 "checkpoint on a full disk (BRAINSIM_MPI=1): exit 1" -- \
    env BRAINSIM_MPI=1 $RUN disk.yaml -o bm_out.h5 --checkpoint-every 25 --checkpoint "$SMALL/ck.h5" --keep 2
  expect_output "bytes free on the file system of $SMALL/ck.h5)" \
    "checkpoint on a full disk (BRAINSIM_MPI=1): the message says there is no space left"
  loads "$SMALL/ck.h5" "checkpoint on a full disk (BRAINSIM_MPI=1): the previous checkpoint loads"

  # a checkpoint fills the disk: two fit (rotation), the third does not
  small_disk 2m
  expect_exit 1 "checkpoint on a full disk: exit 1" -- \
    $RUN disk.yaml -o b_out.h5 --checkpoint-every 25 --checkpoint "$SMALL/ck.h5" --keep 2
  expect_output "$SMALL/ck.h5" "checkpoint on a full disk: the message names the checkpoint"
  expect_output "(no space left: " "checkpoint on a full disk: the message says there is no space left"
  expect_output "bytes free on the file system of $SMALL/ck.h5)" \
    "checkpoint on a full disk: the message gives the free bytes of the checkpoint's file system"
  if [ -e "$SMALL/ck.h5.tmp" ]; then fail "checkpoint on a full disk: ck.h5.tmp left behind"
  else pass "checkpoint on a full disk: no .tmp left behind"; fi
  loads "$SMALL/ck.h5" "checkpoint on a full disk: the previous checkpoint loads"
  loads "$SMALL/ck.h5.1" "checkpoint on a full disk: the one before loads"
  readable b_out.h5 "checkpoint on a full disk: the output is readable"
  expect_exit 0 "checkpoint on a full disk: resume" -- $RUN --resume "$SMALL/ck.h5" -o b_out.h5
  same_output ref_disk.h5 b_out.h5 "checkpoint on a full disk: resumed output equals the uninterrupted run"

  # a read-only file system
  umount "$SMALL"
  if mount -t tmpfs -o ro,size=1m tmpfs "$SMALL" 2>/dev/null; then
    expect_exit 1 "output on a read-only file system" -- $RUN disk.yaml -o "$SMALL/out.h5"
    expect_output "$SMALL/out.h5" "read-only file system: the message names the file"
  fi
  umount "$SMALL"
else
  echo "note: cannot mount a tmpfs here (needs root): the full-disk cases are skipped"
fi

# ---- (b) unwritable output or checkpoint path --------------------------
expect_exit 1 "output in a missing directory" -- $RUN disk.yaml -o nodir/out.h5
expect_output "nodir/out.h5" "missing directory: the message names the file"
mkdir -p adir
expect_exit 1 "output path is a directory" -- $RUN disk.yaml -o adir
expect_output "adir" "output path is a directory: the message names it"
expect_exit 1 "output where nobody may create files (/proc)" -- $RUN disk.yaml -o /proc/brainsim-test.h5
expect_output "/proc/brainsim-test.h5" "unwritable output: the message names the file"
expect_exit 1 "unwritable checkpoint path" -- \
  $RUN disk.yaml -o c_out.h5 --checkpoint-every 25 --checkpoint nodir/ck.h5
expect_output "nodir/ck.h5" "unwritable checkpoint path: the message names it"
# refused up front (its lock file cannot be created): no output written
[ ! -e c_out.h5 ] && pass "unwritable checkpoint path: refused before the output was created" ||
  readable c_out.h5 "unwritable checkpoint path: the output stays readable"

# an output on a device that fails every write (/dev/full): refused (not
# a regular file) with MPI or without, and no signal at exit
if [ -c /dev/full ]; then
  for m in 0 1; do
    expect_exit 1 "output /dev/full (BRAINSIM_MPI=$m): exit 1" -- \
      env BRAINSIM_MPI=$m $RUN disk.yaml -o /dev/full
    expect_output "/dev/full is a character device" "output /dev/full (BRAINSIM_MPI=$m): the message names it"
  done
fi

# ---- (c) missing or unreadable experiment or checkpoint ------------------
expect_exit 1 "missing experiment (run)" -- $RUN missing.yaml -o x.h5
expect_output "missing.yaml" "missing experiment: the message names it"
expect_exit 1 "missing experiment (plan)" -- "$BRAINSIM" plan missing.yaml
expect_output "missing.yaml" "missing experiment (plan): the message names it"
expect_exit 1 "experiment path is a directory" -- $RUN adir -o x.h5
expect_exit 1 "missing checkpoint (--resume)" -- $RUN --resume missing_ck.h5 -o x.h5
expect_output "missing_ck.h5" "missing checkpoint: the message names it"
if [ -e x.h5 ]; then fail "a refused run created its output"; else pass "no output created by the refused runs"; fi
# unreadable: as root, run as nobody (root reads any file)
mkdir -p priv && chmod 777 priv && chmod 711 "$TMP"
cp disk.yaml priv/secret.yaml && chmod 000 priv/secret.yaml
cp a_ck.h5 priv/secret_ck.h5 2>/dev/null || $RUN mpi.yaml -o priv/o.h5 --steps 4 --checkpoint-every 4 --checkpoint priv/secret_ck.h5
chmod 000 priv/secret_ck.h5
AS=
if [ "$(id -u)" -eq 0 ]; then
  if command -v setpriv >/dev/null 2>&1; then
    AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    $AS true 2>/dev/null || AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
    $AS true 2>/dev/null || AS=none
  else AS=none; fi
fi
if [ "$AS" = none ]; then
  echo "note: running as root without setpriv: the unreadable-file cases are skipped"
else
  cd priv || exit 1
  expect_exit 1 "unreadable experiment" -- $AS "$BRAINSIM" run -q secret.yaml -o out.h5
  expect_output "secret.yaml" "unreadable experiment: the message names it"
  expect_output "Permission denied" "unreadable experiment: the message says why"
  expect_exit 1 "unreadable checkpoint" -- $AS "$BRAINSIM" run -q --resume secret_ck.h5 -o out.h5
  expect_output "secret_ck.h5" "unreadable checkpoint: the message names it"
  cd "$TMP" || exit 1
fi

# ---- (d) a rank dies: mpirun ends the job ------------------------------
rank_dies() {  # PAUSE WAIT_FOR DESCRIPTION
  rm -f d_ck.h5* d_out.h5
  BRAINSIM_TEST_CHECKPOINT_PAUSE=$1 $MPI 2 "$BRAINSIM" run mpi.yaml -q -t 1 \
    -o d_out.h5 --checkpoint d_ck.h5 --checkpoint-every 4 --keep 2 >d.txt 2>&1 &
  pid=$!; BG="$BG $pid"
  wait_for d_ck.h5 "$pid"
  [ -n "$2" ] && wait_for "$2" "$pid"
  sleep 0.3
  victim=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
  if [ -z "$victim" ]; then fail "$3: no rank to kill (the job ended early)"; wait "$pid"; return; fi
  kill -9 "$victim"
  if wait_pid "$pid" 60; then pass "$3: mpirun ended the job (exit $rc)"
  else fail "$3: mpirun still running 60 s after a rank died"; return; fi
  [ "$rc" -ne 0 ] && pass "$3: the job's exit status says it failed ($rc)" || fail "$3: exit 0"
  loads d_ck.h5 "$3: the last checkpoint loads"
  expect_exit 0 "$3: resume on 2 ranks" -- $MPI 2 "$BRAINSIM" run -q -t 1 --resume d_ck.h5 -o d_out.h5
  same_output ref_mpi.h5 d_out.h5 "$3: resumed output equals the uninterrupted run"
}
rank_dies 0.2 "" "a rank killed between steps"
rank_dies 2 d_ck.h5.tmp "a rank killed while writing a checkpoint"

# ---- (e) SIGTERM at any point ------------------------------------------
# Stops after the current step (during start-up: the first step) with a
# checkpoint and exit 0 (or, if it comes before the signal handler is in
# place, while the program is being loaded, ends the process before it has
# written anything).  Every checkpoint present loads.
term_at() {  # DELAY PAUSE WAIT_FOR DESCRIPTION [RESUME]
  rm -f e_ck.h5* e_out.h5
  BRAINSIM_TEST_CHECKPOINT_PAUSE=$2 "$BRAINSIM" run mpi.yaml -t 1 -o e_out.h5 \
    --checkpoint e_ck.h5 --checkpoint-every 4 >e.txt 2>&1 &
  pid=$!; BG="$BG $pid"
  [ -n "$3" ] && wait_for "$3" "$pid"
  sleep "$1"
  kill -TERM "$pid" 2>/dev/null
  if ! wait_pid "$pid" 60; then fail "$4: still running 60 s after SIGTERM"; return; fi
  if [ "$rc" -eq 0 ] && grep -q "resume with" e.txt; then
    pass "$4: exit 0 with a resume hint ($(grep -o 'after [0-9]* steps*' e.txt))"
  elif [ "$rc" -eq 0 ] && grep -q "^checksum:" e.txt; then
    pass "$4: the run had finished (exit 0)"
  elif [ "$rc" -eq 143 ] && [ ! -e e_out.h5 ] && ! ls e_ck.h5* >/dev/null 2>&1; then
    pass "$4: ended during start-up, before writing anything (exit 143)"
  else fail "$4: exit $rc"; sed 's/^/    /' e.txt | head -n 20; return; fi
  if ls e_ck.h5.tmp >/dev/null 2>&1; then fail "$4: e_ck.h5.tmp left behind"; fi
  for ck in e_ck.h5 e_ck.h5.1; do
    [ -e "$ck" ] && loads "$ck" "$4: $ck loads"
  done
  [ -e e_out.h5 ] && readable e_out.h5 "$4: the output is readable"
  if [ -n "${5:-}" ] && [ -e e_ck.h5 ]; then
    expect_exit 0 "$4: resume" -- $RUN --resume e_ck.h5 -o e_out.h5
    same_output ref_mpi.h5 e_out.h5 "$4: resumed output equals the uninterrupted run"
  fi
}
term_at 0 0.2 "" "SIGTERM at once (start-up)"

# SIGTERM during start-up: brainsim installs its handler before MPI is
# initialised, so a signal before or during MPI_Init, before anything is
# written, is a stop request: the run takes its first step, writes the
# checkpoint and exits 0 with the resume hint.  (A signal before the
# handler, while the program is still being loaded, ends the process before
# it has written anything: "SIGTERM at once" above.)  Two cases: the signal
# 1.5 s into a 3 s pause held before MPI_Init (BRAINSIM_TEST_START_PAUSE;
# fails if the handler comes after MPI_Init), and the signal as soon as the
# handler is in place (seen in /proc: SIGTERM and SIGINT caught), while
# MPI_Init runs (it takes 0.1-0.5 s here, the poll of /proc a few ms).
handler_ready() {  # PID: 0 once PID catches SIGTERM (bit 14) and SIGINT (bit 1)
  while read -r key val; do
    if [ "$key" = "SigCgt:" ]; then
      [ $(( 0x$val >> 14 & 1 )) -eq 1 ] && [ $(( 0x$val >> 1 & 1 )) -eq 1 ]
      return; fi
  done <"/proc/$1/status" 2>/dev/null
  return 1
}
term_early_check() {  # DESCRIPTION EXACT: sends SIGTERM to $pid, checks the stop
  # EXACT=1: the signal is known to come before the first step (the pause
  # holds the process there), so the stop must follow 1 step.  EXACT=0: the
  # signal is sent as soon as the handler is seen, but on a loaded machine
  # the process may have run on before it lands: any step will do, as long
  # as the stop is a clean one (exit 0, checkpoint, resume hint, a resume
  # equal to the uninterrupted run).
  # (a run's lock files, NAME.lock, are taken before anything is written)
  written=$(ls e_out.h5 e_ck.h5* 2>/dev/null | grep -v '\.lock$')
  kill -TERM "$pid" 2>/dev/null
  if ! wait_pid "$pid" 60; then fail "$1: still running 60 s after SIGTERM"; return; fi
  if [ -z "$written" ]; then
    pass "$1: the signal came during start-up, before anything was written"
  elif [ "$2" = 1 ]; then
    fail "$1: the signal came too late: $written already written"; return
  else echo "note: $1: the process had written $written when the signal was sent (a loaded machine)"; fi
  steps='1 step'; [ "$2" = 1 ] || steps='[0-9]* steps*'
  if [ "$rc" -eq 0 ] && grep -q "stopped by a signal after $steps; checkpoint e_ck.h5 written" e.txt &&
     grep -q "resume with: brainsim run --resume e_ck.h5 -o e_out.h5" e.txt; then
    pass "$1: exit 0, stopped after a step with a checkpoint and a resume hint"
  else fail "$1: exit $rc"; sed 's/^/    /' e.txt | head -n 20; return; fi
  if ls e_ck.h5.tmp >/dev/null 2>&1; then fail "$1: e_ck.h5.tmp left behind"
  else pass "$1: no e_ck.h5.tmp left behind"; fi
  loads e_ck.h5 "$1: the checkpoint loads"
  readable e_out.h5 "$1: the output is readable"
  expect_exit 0 "$1: resume" -- $RUN --resume e_ck.h5 -o e_out.h5
  same_output ref_mpi.h5 e_out.h5 "$1: resumed output equals the uninterrupted run"
}
term_early() {  # DESCRIPTION: signal as soon as the handler is in place
  rm -f e_ck.h5* e_out.h5
  "$BRAINSIM" run mpi.yaml -t 1 -o e_out.h5 --checkpoint e_ck.h5 \
    --checkpoint-every 4 >e.txt 2>&1 &
  pid=$!; BG="$BG $pid"
  i=0
  while ! handler_ready "$pid" && kill -0 "$pid" 2>/dev/null && [ $i -lt 200000 ]; do
    i=$((i + 1)); done
  term_early_check "$1" 0
}
term_paused() {  # DESCRIPTION: signal in a 3 s pause before MPI_Init
  rm -f e_ck.h5* e_out.h5
  BRAINSIM_TEST_START_PAUSE=3 "$BRAINSIM" run mpi.yaml -t 1 \
    -o e_out.h5 --checkpoint e_ck.h5 --checkpoint-every 4 >e.txt 2>&1 &
  pid=$!; BG="$BG $pid"
  # once the handler is in place (it comes before the pause), or 1.5 s in
  # where /proc cannot tell
  if [ -r "/proc/$$/status" ]; then
    i=0
    while ! handler_ready "$pid" && kill -0 "$pid" 2>/dev/null && [ $i -lt 200000 ]; do
      i=$((i + 1)); done
  else sleep 1.5; fi
  term_early_check "$1" 1
}
term_paused "SIGTERM before MPI initialisation"
if [ -r "/proc/$$/status" ]; then
  term_early "SIGTERM during MPI start-up (as soon as the handler is in place)"
else
  echo "note: no /proc/PID/status here: the SIGTERM-during-MPI-start-up case is skipped"
fi
term_at 0.3 0.2 "" "SIGTERM during setup"
term_at 0 0.2 e_out.h5 "SIGTERM as the output appears (before the first step)" resume
r=$(awk 'BEGIN { srand(); printf "%.2f", rand() * 1.5 }')
term_at "$r" 0.2 e_ck.h5 "SIGTERM at a random step ($r s after the first checkpoint)" resume
term_at 0.5 2 e_ck.h5.tmp "SIGTERM while a checkpoint is written" resume

# ---- (f) limits ---------------------------------------------------------
printf 'defaults: {p: 0.01, beta: 0.05}\nareas:\n' >huge.yaml
for a in A B C; do echo "  - {name: $a, n: 1099511627776, k: 1000}" >>huge.yaml; done
printf 'stimuli:\n  - {name: s, k: 1000}\nfibers:\n  - {from: s, to: A}\nschedule:\n  - project: {rounds: 2}\n' >>huge.yaml
expect_exit 1 "a plan larger than this machine's memory is refused" -- $RUN huge.yaml -o huge.h5
expect_output "exceeds the memory available" "the refusal says so"
expect_output "bytes" "the refusal gives the numbers"
if [ -e huge.h5 ]; then fail "the refused run created its output"; else pass "nothing was created"; fi
expect_exit 0 "plan of the same experiment still works (nothing allocated)" -- "$BRAINSIM" plan huge.yaml
# the most neurons brainsim accepts: 4096 areas of 2^40 (no overflow: the
# sum, 2^52 neurons, needs over 2^55 bytes)
printf 'defaults: {p: 0.01, beta: 0.05}\nareas:\n' >most.yaml
i=0; while [ $i -lt 4096 ]; do echo "  - {name: A$i, n: 1099511627776, k: 1}"; i=$((i + 1)); done >>most.yaml
printf 'schedule:\n  - fix: A0\n' >>most.yaml
expect_exit 0 "plan of 4096 areas of 2^40 neurons" -- "$BRAINSIM" plan most.yaml
bytes=$(sed -n 's/^host pool per rank, largest[^:]*: *\([0-9]*\) bytes.*/\1/p' "$TMP/out")
if awk -v b="${bytes:-0}" 'BEGIN { exit !(b + 0 > 2 ^ 55) }'; then
  pass "the plan's bytes did not overflow ($bytes)"
else fail "the plan's bytes look wrapped: '${bytes}'"; fi
expect_exit 1 "running it is refused" -- $RUN most.yaml -o most.h5
expect_output "exceeds the memory available" "the refusal says so"
limit() {  # AREA_SPEC STIM_K WANT DESCRIPTION: refused at parse time
  printf 'defaults: {p: 0.01, beta: 0.05}\nareas:\n  - {name: A, %s}\nstimuli:\n  - {name: s, k: %s}\nfibers:\n  - {from: s, to: A}\nschedule:\n  - project: {rounds: 1}\n' "$1" "$2" >lim.yaml
  expect_exit 1 "$4 (run)" -- $RUN lim.yaml -o lim.h5
  expect_output "lim.yaml:" "$4: the message has file:line:col"
  expect_output "$3" "$4: the message says what is allowed"
  expect_exit 1 "$4 (plan)" -- "$BRAINSIM" plan lim.yaml
}
limit "n: 1099511627777, k: 10" 10 "1..1099511627776" "n above 2^40"
limit "n: 18446744073709551616, k: 10" 10 "1..1099511627776" "n overflowing 64 bits"
limit "n: -1, k: 10" 10 "areas[0].n" "negative n"
limit "n: 0, k: 1" 1 "areas[0].n" "zero-sized area"
limit "n: 1000, k: 0" 1 "areas[0].k" "zero cap"
limit "n: 1000, k: 1001" 10 "1..n (n = 1000)" "k > n"
limit "n: 1099511627776, k: 16777217" 10 "areas[0].k" "k above 2^24"
limit "n: 1000, k: 10" 0 "stimuli[0].k" "zero-sized stimulus"
if [ -e lim.h5 ]; then fail "a refused run created its output"; else pass "no output from refused experiments"; fi
finish
