"""python -m brainsim report / summary."""
import os
import subprocess
import sys

import pytest

import brainsim
from brainsim import report
from conftest import subprocess_env

PNGS = ["support.png", "overlap_consecutive.png", "overlap_matrix.png",
        "phase_times.png"]


def _cli(*args, code=None):
    cmd = [sys.executable] + (["-c", code] if code else ["-m", "brainsim"])
    return subprocess.run(cmd + list(args), env=subprocess_env(),
                          capture_output=True, text=True, timeout=120)


def test_report_writes_files(run3, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "rep"
    proc = _cli("report", run3, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(out)) == sorted(PNGS + ["summary.txt"])
    for name in PNGS:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    text = (out / "summary.txt").read_text()
    for want in ("experiment: Small two-area experiment for the Python tests",
                 "seed: 11", "ranks: 3", "steps: 20 of 20 (complete)",
                 "accumulate", "events/s"):
        assert want in text, want
    with brainsim.open(run3) as run:
        assert f"backend: {run.backend}" in text
        for name in run.areas:
            line = next(l for l in text.splitlines()
                        if l.split()[:1] == [name])
            assert str(int(run.support(name)[-1])) in line.split()


def test_summary_command(run1):
    proc = _cli("summary", run1)
    assert proc.returncode == 0, proc.stderr
    assert "seed: 11" in proc.stdout and "ranks: 1" in proc.stdout


def test_summary_of_partial_run(run1, tmp_path):
    import h5py
    import shutil
    import numpy as np
    path = tmp_path / "p.h5"
    shutil.copy(run1, path)
    with h5py.File(path, "r+") as f:
        f.attrs["steps_complete"] = np.uint64(3)
    with brainsim.open(path) as run:
        text = report.summary_text(run)
    assert "steps: 3 of 20 (INCOMPLETE" in text
    assert "never" in text                           # B has not fired


def test_report_without_matplotlib(run1, tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from brainsim.__main__ import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "rep"
    proc = _cli("report", run1, "-o", str(out), code=code)
    assert proc.returncode == 1
    assert "brainsim[plots]" in proc.stderr
    assert not out.exists()


def test_report_errors(tmp_path):
    proc = _cli("report", str(tmp_path / "missing.h5"), "-o", str(tmp_path))
    assert proc.returncode == 1 and "missing.h5" in proc.stderr
    bad = tmp_path / "bad.h5"
    bad.write_text("x")
    proc = _cli("summary", str(bad))
    assert proc.returncode == 1 and "is not a brainsim file" in proc.stderr
    assert _cli("frobnicate").returncode == 2


def test_experiment_name(run1):
    with brainsim.open(run1) as run:
        assert report.experiment_name(run) == \
            "Small two-area experiment for the Python tests"
