# BRAINSIM_HARDENING: --enable-sanitizers (AddressSanitizer and
# UndefinedBehaviorSanitizer in every C compile and link).
AC_DEFUN([BRAINSIM_HARDENING], [
AC_ARG_ENABLE([sanitizers],
  [AS_HELP_STRING([--enable-sanitizers], [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
  [], [enable_sanitizers=no])
AS_IF([test "x$enable_sanitizers" = xyes], [
  CFLAGS="$CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -g"
  LDFLAGS="$LDFLAGS -fsanitize=address,undefined"
])
AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" = xyes])
])
