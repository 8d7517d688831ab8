# BRAINSIM_CHECK_CUDA: --with-cuda=auto|yes|no|DIR, --with-nccl, --with-cuda-arch.
# Test-compiles and links a __global__ function with nvcc; with --with-cuda=yes
# a failure is an error, with auto it disables the backend.  Links against
# the CUDA runtime (and the driver stubs where present), so the build works
# on machines with no GPU driver.
AC_DEFUN([BRAINSIM_CHECK_CUDA], [
AC_ARG_WITH([cuda],
  [AS_HELP_STRING([--with-cuda=auto|yes|no|DIR], [build the CUDA backend (default: auto; DIR: toolkit prefix)])],
  [], [with_cuda=auto])
AC_ARG_WITH([nccl],
  [AS_HELP_STRING([--with-nccl=auto|yes|no|DIR], [merge top-k candidates with NCCL (default: auto with CUDA)])],
  [], [with_nccl=auto])
AC_ARG_WITH([cuda-arch],
  [AS_HELP_STRING([--with-cuda-arch=FLAGS], [nvcc code generation flags (default: sm_90 plus PTX)])],
  [CUDA_ARCH_FLAGS="$with_cuda_arch"],
  [CUDA_ARCH_FLAGS="-gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_90,code=compute_90"])
AC_ARG_VAR([NVCC], [CUDA compiler])
brainsim_cuda=no
brainsim_nccl=no
CUDA_CFLAGS=
CUDA_LIBS=
AS_CASE([$with_cuda],
  [no], [],
  [yes|auto], [cuda_prefix=/usr/local/cuda],
  [cuda_prefix=$with_cuda])
AS_IF([test "x$with_cuda" != xno], [
  AS_IF([test -z "$NVCC"], [AC_PATH_PROG([NVCC], [nvcc], [], [$cuda_prefix/bin:$PATH])])
  AS_IF([test -n "$NVCC"], [
    cuda_prefix=`dirname "$NVCC"`; cuda_prefix=`dirname "$cuda_prefix"`
    AC_MSG_CHECKING([whether $NVCC builds a kernel for $CUDA_ARCH_FLAGS])
    cat > conftest_cuda.cu <<_BSEOF
__global__ void bs_probe(int *x) { x[[threadIdx.x]] = 1; }
int main(void) { int *p = 0; bs_probe<<<1, 1>>>(p); return 0; }
_BSEOF
    AS_IF([$NVCC $CUDA_ARCH_FLAGS -o conftest_cuda conftest_cuda.cu >&AS_MESSAGE_LOG_FD 2>&1],
      [AC_MSG_RESULT([yes]); brainsim_cuda=yes],
      [AC_MSG_RESULT([no])])
    rm -f conftest_cuda conftest_cuda.cu
  ])
  AS_IF([test "x$brainsim_cuda" = xyes], [
    CUDA_CFLAGS="-I$cuda_prefix/include"
    cuda_libdir=$cuda_prefix/lib64
    test -d "$cuda_libdir" || cuda_libdir=$cuda_prefix/lib
    CUDA_LIBS="-L$cuda_libdir -lcudart_static -ldl -lrt -lpthread -lstdc++"
  ])
  AS_IF([test "x$with_cuda" != xauto && test "x$brainsim_cuda" = xno],
    [AC_MSG_ERROR([--with-cuda=$with_cuda: nvcc not found or it cannot build a kernel (see config.log)])])
])
AS_IF([test "x$brainsim_cuda" = xyes && test "x$with_nccl" != xno], [
  nccl_prefix=
  AS_CASE([$with_nccl], [yes|auto], [], [nccl_prefix=$with_nccl])
  save_CFLAGS=$CFLAGS; save_LIBS=$LIBS
  AS_IF([test -n "$nccl_prefix"], [NCCL_CFLAGS="-I$nccl_prefix/include"; NCCL_LIBS="-L$nccl_prefix/lib"],
        [NCCL_CFLAGS="$CUDA_CFLAGS"; NCCL_LIBS="-L$cuda_libdir"])
  CFLAGS="$CFLAGS $NCCL_CFLAGS"; LIBS="$NCCL_LIBS $CUDA_LIBS $LIBS"
  AC_CHECK_LIB([nccl], [ncclCommInitRank], [brainsim_nccl=yes; NCCL_LIBS="$NCCL_LIBS -lnccl"])
  CFLAGS=$save_CFLAGS; LIBS=$save_LIBS
  AS_IF([test "x$with_nccl" = xyes && test "x$brainsim_nccl" = xno],
    [AC_MSG_ERROR([--with-nccl=yes: NCCL not found (libnccl)])])
])
AS_IF([test "x$brainsim_cuda" = xyes], [AC_DEFINE([BS_HAVE_CUDA], [1], [CUDA backend built])])
AS_IF([test "x$brainsim_nccl" = xyes], [AC_DEFINE([BS_HAVE_NCCL], [1], [NCCL merge built])])
AM_CONDITIONAL([HAVE_CUDA], [test "x$brainsim_cuda" = xyes])
AM_CONDITIONAL([HAVE_NCCL], [test "x$brainsim_nccl" = xyes])
AC_SUBST([CUDA_CFLAGS])
AC_SUBST([CUDA_LIBS])
AC_SUBST([NCCL_CFLAGS])
AC_SUBST([NCCL_LIBS])
AC_SUBST([CUDA_ARCH_FLAGS])
])
