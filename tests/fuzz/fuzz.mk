# Fuzz targets (filled in by the hardening work); included by Makefile.am.
