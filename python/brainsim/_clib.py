"""Locating, loading and binding libbrainsim with ctypes.

Search order of library() (the first that loads wins):
  1. the environment variable BRAINSIM_LIBRARY: a path to the library file
     or to a directory holding it.  When set (non-empty) it is the only
     place tried: a wrong value is an error, never silently bypassed.
  2. brainsim._libpath.LIBRARY, when a build or install recorded one.
  3. libbrainsim.so (then .so.0, .dylib) in sys.prefix/lib, /usr/local/lib,
     /usr/lib and the multiarch /usr/lib/<triplet>.
  4. ctypes.util.find_library("brainsim") (ldconfig, LD_LIBRARY_PATH).
Failure raises LibraryNotFoundError naming every place tried and why each
failed.  The loaded handle is cached for the life of the process (the
package's only module-level mutable state); a failure is not cached, so
setting BRAINSIM_LIBRARY and retrying works.
"""
import ctypes
import ctypes.util
import os
import sys
import sysconfig
import threading

from . import _libpath
from .errors import LibraryNotFoundError

_NAMES = ("libbrainsim.so", "libbrainsim.so.0", "libbrainsim.dylib")
_lib = None
_lock = threading.Lock()


class Options(ctypes.Structure):
    """struct bs_options of include/brainsim.h (same field order), plus
    spare bytes: bs_options_init of a newer library that appends fields
    writes into them instead of past the end.  A library older than
    keep_checkpoints ignores that field."""
    _fields_ = [
        ("backend", ctypes.c_int),           # bs_backend_kind
        ("n_threads", ctypes.c_int),
        ("out_path", ctypes.c_char_p),
        ("plastic_capacity", ctypes.c_uint64),
        ("quiet", ctypes.c_int),
        ("keep_checkpoints", ctypes.c_int),  # 0 means 1
        ("checkpoint_path", ctypes.c_char_p),  # checked and locked
        ("_spare", ctypes.c_char * 256),     # fields of later versions
    ]


BACKENDS = {"auto": 0, "cpu": 1, "cuda": 2}   # bs_backend_kind

_P = ctypes.c_void_p                         # bs_sim *
_SIGNATURES = {
    # name: (restype, argtypes)
    "bs_options_init": (None, [ctypes.POINTER(Options)]),
    "bs_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "bs_create_from_file": (ctypes.c_int, [
        ctypes.c_char_p, ctypes.POINTER(Options), ctypes.POINTER(_P),
        ctypes.c_char_p, ctypes.c_size_t]),
    "bs_create_from_text": (ctypes.c_int, [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Options),
        ctypes.POINTER(_P), ctypes.c_char_p, ctypes.c_size_t]),
    "bs_step": (ctypes.c_int, [_P, ctypes.c_uint64,
                               ctypes.POINTER(ctypes.c_uint64)]),
    "bs_run": (ctypes.c_int, [_P]),
    "bs_steps_done": (ctypes.c_uint64, [_P]),
    "bs_steps_total": (ctypes.c_uint64, [_P]),
    "bs_n_areas": (ctypes.c_int, [_P]),
    "bs_area_name": (ctypes.c_char_p, [_P, ctypes.c_int]),
    "bs_area_k": (ctypes.c_uint64, [_P, ctypes.c_int]),
    "bs_winners": (ctypes.c_int, [_P, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_uint64),
                                  ctypes.c_size_t,
                                  ctypes.POINTER(ctypes.c_size_t)]),
    "bs_support": (ctypes.c_int, [_P, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_uint64)]),
    "bs_backend_name": (ctypes.c_char_p, [_P]),
    "bs_fallback_reason": (ctypes.c_char_p, [_P]),
    "bs_error": (ctypes.c_char_p, [_P]),
    "bs_destroy": (None, [ctypes.POINTER(_P)]),
}
# Bound on first use (optional(): None when the library predates them).
_OPTIONAL = {
    "bs_checkpoint": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "bs_resume": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p,
                                 ctypes.POINTER(Options), ctypes.POINTER(_P),
                                 ctypes.c_char_p, ctypes.c_size_t]),
    "bs_version": (ctypes.c_char_p, []),
    "bs_apply": (ctypes.c_int, [_P, ctypes.c_char_p]),
    "bs_project": (ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_char_p),
                                  ctypes.c_size_t, ctypes.c_uint64]),
    "bs_weights": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t,
                                  ctypes.POINTER(ctypes.c_uint64),
                                  ctypes.POINTER(ctypes.c_uint64),
                                  ctypes.POINTER(ctypes.c_double)]),
    "bs_inputs": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_uint64),
                                 ctypes.POINTER(ctypes.c_double)]),
    "bs_support_ids": (ctypes.c_int, [_P, ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.c_uint64),
                                      ctypes.c_size_t,
                                      ctypes.POINTER(ctypes.c_size_t)]),
}


def _candidates():
    """Returns [(label, path)] in search order, after BRAINSIM_LIBRARY."""
    out = []
    if _libpath.LIBRARY:
        out.append(("brainsim._libpath.LIBRARY", _libpath.LIBRARY))
    dirs = [os.path.join(sys.prefix, "lib"), "/usr/local/lib", "/usr/lib"]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs.append(os.path.join("/usr/lib", multiarch))
    for d in dirs:
        for name in _NAMES:
            out.append((d, os.path.join(d, name)))
    return out


def _in_dir(path):
    """A directory given as the library: the first library name inside."""
    for name in _NAMES:
        if os.path.exists(os.path.join(path, name)):
            return os.path.join(path, name)
    return os.path.join(path, _NAMES[0])


def _bind(lib, where):
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryNotFoundError(
                f"{where} is not a usable libbrainsim: it lacks {name}") from None
        fn.restype, fn.argtypes = restype, argtypes
    lib.brainsim_path = where
    return lib


def _load_env(value):
    path = _in_dir(value) if os.path.isdir(value) else value
    if not os.path.exists(path):
        raise LibraryNotFoundError(
            f"libbrainsim not found: BRAINSIM_LIBRARY={value!r}: no such file")
    try:
        return _bind(ctypes.CDLL(path), path)
    except OSError as e:
        raise LibraryNotFoundError(
            f"libbrainsim could not be loaded from BRAINSIM_LIBRARY={value!r}: "
            f"{e}") from None


def _search():
    tried = []
    for label, path in _candidates():
        if not os.path.exists(path):
            tried.append(f"{path}: no such file")
            continue
        try:
            return _bind(ctypes.CDLL(path), path)
        except OSError as e:
            tried.append(f"{path}: {e}")
    found = ctypes.util.find_library("brainsim")
    if found:
        try:
            return _bind(ctypes.CDLL(found), found)
        except OSError as e:
            tried.append(f"find_library('brainsim') -> {found}: {e}")
    else:
        tried.append("ctypes.util.find_library('brainsim'): not found")
    raise LibraryNotFoundError(
        "libbrainsim not found; set BRAINSIM_LIBRARY to its path "
        "(for a build tree: <builddir>/.libs/libbrainsim.so).  Tried:\n  "
        + "\n  ".join(["BRAINSIM_LIBRARY: not set"] + tried))


def library():
    """Returns the loaded, bound libbrainsim (a ctypes.CDLL whose attribute
    brainsim_path says where it came from).  Raises LibraryNotFoundError
    (an ImportError) naming every place tried.  Thread-safe."""
    global _lib
    with _lock:
        if _lib is None:
            env = os.environ.get("BRAINSIM_LIBRARY", "")
            _lib = _load_env(env) if env else _search()
        return _lib


def optional(lib, name):
    """The optional function `name` of lib, bound, or None when this
    libbrainsim does not export it.  Can't fail."""
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return None
    fn.restype, fn.argtypes = _OPTIONAL[name]
    return fn


def describe(lib):
    """'libbrainsim VERSION at PATH' for messages; VERSION from bs_version()
    when exported, else the file name the path resolves to."""
    fn = optional(lib, "bs_version")
    path = lib.brainsim_path
    version = (fn().decode() if fn else
               os.path.basename(os.path.realpath(path)) + ", no bs_version()")
    return f"libbrainsim ({version}) at {path}"
