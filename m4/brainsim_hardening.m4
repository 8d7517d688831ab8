# BRAINSIM_HARDENING: --enable-sanitizers and the compiler for `make fuzz`.
#
# --enable-sanitizers builds everything (library, command, tests) with
# AddressSanitizer and UndefinedBehaviorSanitizer.  Undefined behaviour is
# fatal (-fno-sanitize-recover=undefined), so a test that hits it fails
# instead of printing a warning and passing.  The flags are checked: with a
# compiler (through the MPI wrapper) that does not compile and link them,
# configure stops and says so, rather than building something that is not
# sanitized.  The sanitizers' run-time options for the tests are in
# tests/fuzz/FUZZING.md ("Sanitizer build"): .ci/run exports them.
#
# FUZZ_CLANG is the clang that `make fuzz` (tests/fuzz/fuzz.mk) compiles
# the libFuzzer targets with; empty when there is none (make fuzz then
# explains and skips).
AC_DEFUN([BRAINSIM_HARDENING], [
AC_ARG_ENABLE([sanitizers],
  [AS_HELP_STRING([--enable-sanitizers],
    [build with AddressSanitizer and UndefinedBehaviorSanitizer (UB is fatal)])],
  [], [enable_sanitizers=no])
AS_CASE([$enable_sanitizers], [yes|no], [],
  [AC_MSG_ERROR([--enable-sanitizers takes no value (got '$enable_sanitizers')])])
AS_IF([test "x$enable_sanitizers" = xyes], [
  brainsim_san_flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  AC_MSG_CHECKING([whether $CC compiles and links with $brainsim_san_flags])
  save_CFLAGS=$CFLAGS; save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS $brainsim_san_flags"
  LDFLAGS="$LDFLAGS -fsanitize=address,undefined"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdlib.h>]],
                                  [[char *p = malloc(4); p[0] = 1; free(p);]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([$CC cannot build with AddressSanitizer and UndefinedBehaviorSanitizer (Debian: gcc provides libasan and libubsan; for clang install libclang-rt-dev)])])
  CFLAGS="$save_CFLAGS $brainsim_san_flags -g"
  LDFLAGS="$save_LDFLAGS -fsanitize=address,undefined"
])
AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" = xyes])

# Files from other people are read with HDF5, and HDF5 itself can be
# crashed by corrupt files before brainsim's own checks run: the fuzzers
# crashed and hung 1.10.8 (Debian 12), a series no longer maintained
# upstream (tests/fuzz/FUZZING.md, "Findings in HDF5").  Warn below 1.14.
save_CFLAGS=$CFLAGS; CFLAGS="$CFLAGS $HDF5_CFLAGS"
AC_MSG_CHECKING([whether HDF5 is 1.14 or later])
AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <hdf5.h>]],
  [[#if H5_VERS_MAJOR == 1 && H5_VERS_MINOR < 14
#error older
#endif]])],
  [AC_MSG_RESULT([yes])],
  [AC_MSG_RESULT([no])
   AC_MSG_WARN([HDF5 before 1.14 is unmaintained upstream, and 1.10.8 crashes or hangs on some corrupt files (tests/fuzz/FUZZING.md): to read checkpoints and outputs from others, prefer the newest HDF5 (--with-hdf5)])])
CFLAGS=$save_CFLAGS

AC_ARG_VAR([FUZZ_CLANG], [clang used by `make fuzz` for the libFuzzer targets (default: the first of clang, clang-19 ... clang-14 found)])
AS_IF([test -z "$FUZZ_CLANG"],
  [AC_CHECK_PROGS([FUZZ_CLANG], [clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14], [])])
])
