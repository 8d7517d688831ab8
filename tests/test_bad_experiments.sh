#!/bin/sh
# Every file in tests/bad/ is refused: exit 1, a message holding its
# '# expect:' text and the file's name with a line number, never a crash
# (exit > 128) or a hang (timeout).  The same on 2 ranks for a few.
. "${srcdir:-$(dirname "$0")}/lib.sh"

for f in "$srcdir"/bad/*.yaml; do
  name=$(basename "$f")
  want=$(sed -n 's/^# expect: //p' "$f" | head -n 1)
  timeout 60 "$BRAINSIM" run "$f" -o "$TMP/bad.h5" -q >"$TMP/out" 2>&1
  rc=$?
  if [ "$rc" -ne 1 ]; then fail "$name: exit $rc, expected 1"; cat "$TMP/out"; continue; fi
  if ! grep -q "$name:[0-9][0-9]*:[0-9][0-9]*: " "$TMP/out"; then
    fail "$name: message lacks file:line:col"; cat "$TMP/out"; continue; fi
  if [ -n "$want" ] && ! grep -qF -- "$want" "$TMP/out"; then
    fail "$name: message lacks '$want'"; cat "$TMP/out"; continue; fi
  if [ -e "$TMP/bad.h5" ]; then fail "$name: an output file was created"; rm -f "$TMP/bad.h5"; continue; fi
  pass "$name: $(head -n 1 "$TMP/out" | cut -c1-110)"
done
for name in k_gt_n.yaml dup_area_names.yaml; do
  expect_exit 1 "$name on 2 ranks" -- $MPI 2 "$BRAINSIM" run "$srcdir/bad/$name" -q -o "$TMP/bad2.h5"
done
finish
