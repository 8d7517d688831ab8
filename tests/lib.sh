# tests/lib.sh - helpers for the shell tests (sourced).  make check sets
# srcdir (tests source dir), top_builddir, MPIRUN and H5DIFF.
set -u
: "${srcdir:=$(cd "$(dirname "$0")" && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${MPIRUN:=mpirun}"
: "${H5DIFF:=h5diff}"
BRAINSIM="$top_builddir/brainsim"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/brainsim-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
n_fail=0
n_pass=0

pass() { n_pass=$((n_pass + 1)); echo "ok: $*"; }
fail() { n_fail=$((n_fail + 1)); echo "FAIL: $*"; }

# expect_exit CODE DESCRIPTION -- COMMAND...: runs COMMAND with a timeout
# (SIGTERM after 120 s, which brainsim may take as a stop request, then
# SIGKILL), output in $TMP/out; checks the exit status.
expect_exit() {
  want=$1; what=$2; shift 3
  timeout -k 10 120 "$@" >"$TMP/out" 2>&1
  got=$?
  if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"
  else fail "$what: exit $got, expected $want"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# expect_output SUBSTRING DESCRIPTION: the last command's output contains it.
expect_output() {
  if grep -qF -- "$1" "$TMP/out"; then pass "$2"
  else fail "$2: output lacks '$1'"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# $MPI N COMMAND...: COMMAND on N ranks (unquoted on purpose: it is a command line)
MPI="$MPIRUN --oversubscribe -np"

finish() {
  echo "$n_pass passed, $n_fail failed"
  [ "$n_fail" -eq 0 ]
}
