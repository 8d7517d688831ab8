#!/bin/sh
# The checkpoint file tests (tests/test_checkpoint_io.c) on 1 and on 3
# ranks, in a temporary directory.
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
for n in 1 3; do
  expect_exit 0 "test_checkpoint_io on $n rank(s)" -- \
    $MPI $n "$top_builddir/tests/test_checkpoint_io"
  expect_output "Checks: " "test_checkpoint_io on $n rank(s) ran its checks"
done
finish
