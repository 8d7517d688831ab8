#!/bin/sh
# bs_weights and bs_inputs on 3 ranks (tests/test_weights runs on 1 rank
# alone): the same tests pass, and the weights read are byte for byte the
# ones 1 rank reads.
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
T="$top_builddir/tests/test_weights"
expect_exit 0 "test_weights on 1 rank" -- env BS_WEIGHTS_DUMP="$TMP/w1" "$T"
expect_exit 0 "test_weights on 3 ranks" -- env BS_WEIGHTS_DUMP="$TMP/w3" $MPI 3 "$T"
if [ -s "$TMP/w1" ] && cmp -s "$TMP/w1" "$TMP/w3"; then
  pass "weights read on 3 ranks equal 1 rank's ($(wc -c <"$TMP/w1") bytes)"
else fail "weights read on 3 ranks differ from 1 rank's"; fi
finish
