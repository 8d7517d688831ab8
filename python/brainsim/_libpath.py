"""Where libbrainsim was installed, recorded at build or install time.

LIBRARY is None in the source tree and after ``pip install ./python``; a
build system that knows the install prefix may replace this file with
``LIBRARY = "/prefix/lib/libbrainsim.so"``.  The search order that uses it is
documented in brainsim._clib.
"""
LIBRARY = None
