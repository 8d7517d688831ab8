"""Locating libbrainsim: runs without the library (only these tests and
`import brainsim` must work then)."""
import subprocess
import sys

import pytest

import brainsim
from brainsim import _clib
from conftest import subprocess_env


def test_library_not_found_lists_places(monkeypatch):
    monkeypatch.setattr(_clib, "_candidates",
                        lambda: [("d", "/nonexistent/libbrainsim.so")])
    monkeypatch.setattr(_clib.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(brainsim.LibraryNotFoundError) as e:
        _clib._search()
    msg = str(e.value)
    assert isinstance(e.value, ImportError)
    assert "/nonexistent/libbrainsim.so" in msg and "find_library" in msg
    assert "BRAINSIM_LIBRARY" in msg


def test_bad_library_env_only_fails_on_construction():
    code = ("import brainsim\n"
            "try:\n"
            "    brainsim.Simulator('x')\n"
            "except ImportError as e:\n"
            "    print('ERR', e)\n")
    env = subprocess_env(BRAINSIM_LIBRARY="/nonexistent/libbrainsim.so")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ERR" in out.stdout and "/nonexistent/libbrainsim.so" in out.stdout


def test_import_loads_neither_library_nor_matplotlib():
    code = ("import sys, brainsim\n"
            "print(brainsim._clib._lib is None, 'matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


def test_empty_directory_env(tmp_path):
    with pytest.raises(brainsim.LibraryNotFoundError, match="no such file"):
        _clib._load_env(str(tmp_path))
