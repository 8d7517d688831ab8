"""Fixtures of the brainsim Python tests.

Paths come from the environment, as tests/test_python.sh sets them:
  BRAINSIM          the brainsim binary (default: <repo>/brainsim)
  BRAINSIM_LIBRARY  libbrainsim (default: <repo>/.libs/libbrainsim.so);
                    set but empty: the Simulator tests are skipped
  MPIRUN            mpirun for the 3-rank run (default: mpirun on PATH)
Output files are written by the CLI once per session: data/small.yaml on
1 and 3 ranks.
"""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SMALL = os.path.join(DATA, "small.yaml")
LONG = os.path.join(DATA, "long.yaml")
SMALL_STEPS = 20

# The environment before any MPI initialisation in this process (libbrainsim
# initialises MPI on the first Simulator; its variables must not leak into
# the mpirun or brainsim processes the tests start).
_ENV = dict(os.environ)

if "BRAINSIM_LIBRARY" not in os.environ:
    _default = os.path.join(REPO, ".libs", "libbrainsim.so")
    os.environ["BRAINSIM_LIBRARY"] = _default if os.path.exists(_default) else ""


def subprocess_env(**extra):
    """A clean environment for child processes (MPI may run as root,
    oversubscribed), plus `extra`."""
    env = dict(_ENV)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    import brainsim     # children import the same package as the tests
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(brainsim.__file__)))] +
        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


def brainsim_bin():
    path = os.environ.get("BRAINSIM") or os.path.join(REPO, "brainsim")
    if not os.access(path, os.X_OK):
        pytest.skip(f"no brainsim binary at {path} (set BRAINSIM)")
    return path


def run_cli(experiment, out, ranks=1, args=()):
    """Runs `brainsim run experiment -q -o out` on `ranks` ranks; returns
    the CompletedProcess (asserts success)."""
    cmd = [brainsim_bin(), "run", experiment, "-q", "-o", out, *args]
    if ranks > 1:
        mpirun = os.environ.get("MPIRUN") or shutil.which("mpirun")
        if not mpirun:
            pytest.skip("no mpirun (set MPIRUN)")
        cmd = [mpirun, "-np", str(ranks)] + cmd
    proc = subprocess.run(cmd, env=subprocess_env(OMP_NUM_THREADS="1"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="session")
def run1(tmp_path_factory):
    """Path of data/small.yaml's output on 1 rank."""
    out = str(tmp_path_factory.mktemp("cli") / "small1.h5")
    run_cli(SMALL, out)
    return out


@pytest.fixture(scope="session")
def run3(tmp_path_factory):
    """Path of data/small.yaml's output on 3 ranks."""
    out = str(tmp_path_factory.mktemp("cli") / "small3.h5")
    run_cli(SMALL, out, ranks=3)
    return out


@pytest.fixture(scope="session")
def small_text():
    with open(SMALL, encoding="utf-8") as f:
        return f.read()


@pytest.fixture
def needs_lib():
    """Skips unless libbrainsim is available (BRAINSIM_LIBRARY)."""
    path = os.environ.get("BRAINSIM_LIBRARY", "")
    if not path:
        pytest.skip("BRAINSIM_LIBRARY is empty: libbrainsim was not built")
    return path
