#!/bin/sh
# The HDF5 writer's unit tests on 3 ranks (test_io runs on 1 rank alone).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
expect_exit 0 "test_io on 3 ranks" -- $MPI 3 "$top_builddir/tests/test_io"
finish
