#!/bin/sh
# The Python package (python/brainsim) under pytest: the reader on 1- and
# 3-rank CLI outputs, analysis, the ctypes Simulator, the report command.
# make check sets top_builddir, srcdir (this directory) and MPIRUN.
# Exit status: pytest's (5, "no tests collected", counts as a failure);
# 77 (skipped) when python3 lacks numpy, h5py or pytest.  Without
# libbrainsim.so only the Simulator tests are skipped.
set -u
: "${srcdir:=$(cd "$(dirname "$0")" && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${MPIRUN:=mpirun}"
PY=${PYTHON:-python3}

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "SKIP: no $PY"; exit 77
fi
for mod in numpy h5py pytest; do
  if ! "$PY" -c "import $mod" >/dev/null 2>&1; then
    echo "SKIP: $PY cannot import $mod (pip install numpy h5py pytest)"
    exit 77
  fi
done

BRAINSIM="$top_builddir/brainsim"
BRAINSIM_LIBRARY="$top_builddir/.libs/libbrainsim.so"
if [ ! -f "$BRAINSIM_LIBRARY" ]; then
  echo "note: no $BRAINSIM_LIBRARY: the Simulator tests are skipped"
  BRAINSIM_LIBRARY=
fi
PYTHONPATH="$srcdir/../python${PYTHONPATH:+:$PYTHONPATH}"
# no bytecode or cache written into the (possibly read-only) source tree
PYTHONDONTWRITEBYTECODE=1
export BRAINSIM BRAINSIM_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE MPIRUN

TMP=$(mktemp -d "${TMPDIR:-/tmp}/brainsim-pytest.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 99
"$PY" -m pytest -q -p no:cacheprovider --basetemp="$TMP/t" \
  "$srcdir/../python/tests"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "FAIL: pytest collected no tests"; rc=1
fi
exit "$rc"
