#!/bin/sh
# Replays the fuzzing corpora (tests/fuzz/FUZZING.md) through the normal
# brainsim: the seed corpora and every input the fuzzers ever found
# (tests/fuzz/regressions/).  Each input is accepted or refused cleanly,
# never a crash (exit >= 128), a hang (timeout: 124) or a sanitizer report
# (in an --enable-sanitizers build).
#   experiments: brainsim plan FILE (parse and plan): exit 0 or 1; when the
#                planned pool is small, brainsim run FILE --steps 0 too
#                (creates the simulator and its output): exit 0 or 1
#   files:       brainsim inspect FILE: exit 0 or 1;
#                brainsim run --resume FILE --steps 0: exit 0 or 1;
#                and FILE as the output of a resumed run (reopened and cut
#                to the checkpoint's step): exit 0 or 1
# tests/fuzz/hdf5_known/ (files that crash HDF5 1.10.8 itself) is replayed
# only with BRAINSIM_FUZZ_HDF5_KNOWN=1 (for a newer HDF5).
. "${srcdir:-$(dirname "$0")}/lib.sh"
FUZZ="$srcdir/fuzz"
cd "$TMP" || exit 1
LIMIT=${BRAINSIM_FUZZ_REPLAY_TIMEOUT:-60}
SMALL_POOL=$((64 << 20))

# exit status, output in $TMP/out; a sanitizer report or a crash is 99+
# (brainsim takes SIGTERM as a request to stop after the current step, so
# a command that hangs is killed 10 s after the timeout's SIGTERM)
replay() {
  timeout -k 10 "$LIMIT" "$@" >"$TMP/out" 2>&1
  rc=$?
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|AddressSanitizer:' "$TMP/out"; then
    rc=99
  fi
  return 0
}
verdict() {  # WHAT FILE OK_CODES...
  what=$1; file=$2; shift 2
  for ok in "$@"; do
    if [ "$rc" -eq "$ok" ]; then n_pass=$((n_pass + 1)); return 0; fi
  done
  case $rc in
    99) why="sanitizer report" ;;
    124|137) why="timed out after $LIMIT s" ;;
    *) if [ "$rc" -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit $rc"; fi ;;
  esac
  fail "$what $(basename "$file"): $why"
  sed 's/^/    /' "$TMP/out" | head -n 30
}

# experiments
n_exp=0
for f in "$FUZZ"/corpus_experiment/* "$FUZZ"/regressions/experiment/*; do
  [ -f "$f" ] || continue
  case $f in */README*) continue ;; esac
  n_exp=$((n_exp + 1))
  replay "$BRAINSIM" plan "$f"
  verdict "plan" "$f" 0 1
  [ "$rc" -eq 0 ] || continue
  # (never run a fuzzed schedule that writes checkpoints to its own paths)
  grep -q checkpoint "$f" && continue
  bytes=$(sed -n 's/^host pool per rank, largest[^:]*: *\([0-9]*\) bytes.*/\1/p' "$TMP/out")
  if [ -n "$bytes" ] && [ "$bytes" -lt "$SMALL_POOL" ]; then
    rm -f "$TMP/run.h5"
    replay "$BRAINSIM" run "$f" --steps 0 -q -t 1 -o "$TMP/run.h5"
    verdict "run --steps 0" "$f" 0 1
  fi
done

# a valid checkpoint of the minimal experiment, to resume into fuzzed outputs
cp "$srcdir/good/minimal.yaml" "$TMP/minimal.yaml"
"$BRAINSIM" run "$TMP/minimal.yaml" -q -t 1 -n 2 -o "$TMP/min.h5" \
  --checkpoint-every 2 --checkpoint "$TMP/min_ck.h5" >"$TMP/out" 2>&1 ||
  { fail "could not make the minimal checkpoint"; cat "$TMP/out"; }

# checkpoints and outputs
n_files=0
known=
[ "${BRAINSIM_FUZZ_HDF5_KNOWN:-0}" = 1 ] && known="$FUZZ/hdf5_known/*"
for f in "$FUZZ"/corpus_checkpoint/* "$FUZZ"/regressions/checkpoint/* $known; do
  [ -f "$f" ] || continue
  case $f in */README*) continue ;; esac
  n_files=$((n_files + 1))
  replay "$BRAINSIM" inspect "$f"
  verdict "inspect" "$f" 0 1
  rm -f "$TMP/resumed.h5"
  replay "$BRAINSIM" run --resume "$f" --steps 0 -q -t 1 -o "$TMP/resumed.h5"
  verdict "run --resume" "$f" 0 1
  cp "$f" "$TMP/output.h5"
  replay "$BRAINSIM" run --resume "$TMP/min_ck.h5" --steps 0 -q -t 1 -o "$TMP/output.h5"
  verdict "resume into it as the output" "$f" 0 1
done
echo "replayed $n_exp experiments and $n_files checkpoint/output files"
[ "$n_exp" -gt 0 ] && [ "$n_files" -gt 0 ] || fail "no corpus found under $FUZZ"
finish
