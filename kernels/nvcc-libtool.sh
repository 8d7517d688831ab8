#!/bin/sh
# Lets libtool drive nvcc: libtool adds host-compiler flags (-fPIC, -DPIC)
# that nvcc must receive through -Xcompiler.  Usage: nvcc-libtool.sh NVCC ARGS...
nvcc=$1
shift
args=
for a in "$@"; do
  case $a in
    -fPIC|-fpic|-pthread|-fopenmp) args="$args -Xcompiler $a" ;;
    -Wl,*) args="$args -Xlinker ${a#-Wl,}" ;;
    *) args="$args '$(printf %s "$a" | sed "s/'/'\\\\''/g")'" ;;
  esac
done
eval exec "\"\$nvcc\"" $args
