"""brainsim.open on files written by the CLI: metadata, lazy rows, 1 vs 3
ranks, partial files (stopped, still running, killed)."""
import shutil
import subprocess
import time

import h5py
import numpy as np
import pytest

try:
    import yaml
except ImportError:         # the reader then keeps the experiment as text
    yaml = None

import brainsim
from conftest import (LONG, SMALL, SMALL_STEPS, brainsim_bin, run_cli,
                      subprocess_env)


def test_metadata(run1, small_text):
    with brainsim.open(run1) as run:
        assert run.steps == run.steps_total == SMALL_STEPS
        assert run.seed == 11 and run.n_ranks == 1
        assert run.backend in ("cpu", "cuda")
        assert isinstance(run.fallback_reason, str)
        assert run.version == brainsim.__version__
        assert run.format_version == 3
        assert run.experiment_text == small_text
        if yaml is not None:
            assert run.experiment == yaml.safe_load(small_text)
        else:
            assert run.experiment == small_text
        assert list(run.areas) == ["A", "B"]
        assert run.areas["A"] == brainsim.Area("A", 3000, 50)
        assert (run.areas["B"].n, run.areas["B"].k) == (2000, 40)
        assert len(run.operations) == 11
        assert run.operations[0] == "project s->A x1"
        assert "A" in repr(run)


def test_version_matches_cli(run1):
    out = subprocess.run([brainsim_bin(), "--version"], capture_output=True,
                         text=True, env=subprocess_env()).stdout
    with brainsim.open(run1) as run:
        assert out.split()[-1] == run.version


def test_winners_layout(run1):
    with brainsim.open(run1) as run:
        for name, area in run.areas.items():
            w = np.asarray(run.winners(name))
            assert w.shape == (SMALL_STEPS, area.k) and w.dtype == np.uint64
            fired = run.fired(name)
            assert fired.dtype == bool and fired.shape == (SMALL_STEPS,)
            assert np.all(w[~fired] == brainsim.PAD)
            for row in w[fired]:
                ids = row[row != brainsim.PAD]
                assert ids.size and np.all(row[:ids.size] == ids)  # PAD last
                assert np.all(np.diff(ids.astype(np.int64)) > 0)
                assert ids.max() < area.n
        # B first fires at step 8 (A->B becomes active)
        assert np.flatnonzero(run.fired("B"))[0] == 8
        assert run.fired("A").all()
        sup = run.support("A")
        assert sup.dtype == np.uint64 and sup[0] == 50
        assert np.all(np.diff(sup.astype(np.int64)) >= 0)


def test_lazy_rows(run1):
    with brainsim.open(run1) as run:
        view = run.winners("A")
        full = np.asarray(view)
        assert view.shape == (SMALL_STEPS, 50) and len(view) == SMALL_STEPS
        assert view.ndim == 2 and view.dtype == np.uint64
        assert np.array_equal(view[3:7], full[3:7])
        assert np.array_equal(view[5], full[5])
        assert np.array_equal(view[-1], full[-1])
        assert np.array_equal(view[::-3], full[::-3])
        assert np.array_equal(view[2:15:4], full[2:15:4])
        assert np.array_equal(view[[0, 19, 7, 7]], full[[0, 19, 7, 7]])
        assert np.array_equal(view[np.array([1, 18])], full[[1, 18]])
        mask = np.arange(SMALL_STEPS) % 2 == 0
        assert np.array_equal(view[mask], full[mask])
        assert np.array_equal(view[4:9, :5], full[4:9, :5])
        assert np.array_equal(view[4, 10:], full[4, 10:])
        assert np.array_equal(view[...], full)
        assert view[30:].shape == (0, 50)
        assert np.array_equal(np.stack(list(view)), full)
        assert np.array_equal(view.read(), full)
        assert np.asarray(view, dtype=np.int64).dtype == np.int64
        for bad in (SMALL_STEPS, -SMALL_STEPS - 1, [0, SMALL_STEPS]):
            with pytest.raises(IndexError):
                view[bad]
        with pytest.raises(TypeError):
            view["x"]


class _Spy:
    """Wraps a dataset and records every selection read."""

    def __init__(self, ds):
        self.ds, self.reads = ds, []
        self.shape, self.dtype = ds.shape, ds.dtype

    def __getitem__(self, sel):
        self.reads.append(sel)
        return self.ds[sel]


def test_slice_reads_only_those_rows(run1):
    with brainsim.open(run1) as run:
        view = run.winners("A")
        spy = view._ds = _Spy(view._ds)
        rows = view[3:7]
        assert rows.shape == (4, 50)
        assert spy.reads == [np.s_[3:7:1]]


def test_inputs(run1):
    with brainsim.open(run1) as run:
        raw = np.asarray(run.inputs("A", raw=True))
        val = np.asarray(run.inputs("A"))
        assert raw.dtype == np.uint64 and val.dtype == np.float64
        assert np.array_equal(val, raw / 65536.0)
        # step 0: only s->A fires, weights 1: inputs are whole edge counts
        assert np.all(val[0] == np.round(val[0])) and np.all(val[0] >= 1)
        assert np.array_equal(run.inputs("A")[2:4], val[2:4])
        b = np.asarray(run.inputs("B", raw=True))
        assert np.all(b[~run.fired("B")] == 0)


def test_schedule_and_metrics(run1):
    with brainsim.open(run1) as run:
        s = run.schedule
        assert s.dtype.names == ("step", "op", "round")
        assert np.array_equal(s["step"], np.arange(SMALL_STEPS))
        assert s["op"].max() < len(run.operations)
        assert run.operations[s["op"][0]].startswith("project")
        m = run.metrics
        assert m.dtype.names == ("accumulate_s", "topk_s", "merge_s",
                                 "plasticity_s", "record_s", "agree_s",
                                 "synaptic_events")
        assert len(m) == SMALL_STEPS
        assert all(np.all(m[p + "_s"] >= 0) for p in brainsim.PHASES)
        assert np.all(m["synaptic_events"] > 0)
        assert run.phase_seconds().shape == (SMALL_STEPS, 6)


def test_one_and_three_ranks_identical(run1, run3):
    with brainsim.open(run1) as r1, brainsim.open(run3) as r3:
        assert (r1.n_ranks, r3.n_ranks) == (1, 3)
        assert r1.steps == r3.steps == SMALL_STEPS
        assert r1.areas == r3.areas and r1.operations == r3.operations
        assert r1.experiment_text == r3.experiment_text
        for name in r1.areas:
            assert np.array_equal(np.asarray(r1.winners(name)),
                                  np.asarray(r3.winners(name)))
            assert np.array_equal(np.asarray(r1.inputs(name, raw=True)),
                                  np.asarray(r3.inputs(name, raw=True)))
            assert np.array_equal(r1.support(name), r3.support(name))
            assert np.array_equal(r1.fired(name), r3.fired(name))
        assert np.array_equal(r1.schedule, r3.schedule)
        assert np.array_equal(r1.metrics["synaptic_events"],
                              r3.metrics["synaptic_events"])


def test_stopped_early(run1, tmp_path):
    out = str(tmp_path / "first7.h5")
    run_cli(SMALL, out, args=["-n", "7"])
    with brainsim.open(out) as part, brainsim.open(run1) as full:
        assert part.steps == 7 and part.steps_total == SMALL_STEPS
        for name in full.areas:
            assert np.array_equal(np.asarray(part.winners(name)),
                                  np.asarray(full.winners(name))[:7])
        assert len(part.metrics) == 7 and len(part.schedule) == 7


def test_steps_complete_below_extent(run1, tmp_path):
    """Rows beyond steps_complete (a block being written) are not read."""
    path = str(tmp_path / "partial.h5")
    shutil.copy(run1, path)
    with h5py.File(path, "r+") as f:
        f.attrs["steps_complete"] = np.uint64(5)
    with brainsim.open(path) as run, brainsim.open(run1) as full:
        assert run.steps == 5
        assert np.array_equal(np.asarray(run.winners("A")),
                              np.asarray(full.winners("A"))[:5])
        assert run.support("B").shape == (5,) and len(run.metrics) == 5
        assert run.fired("A").shape == (5,)
        with pytest.raises(IndexError):
            run.winners("A")[5]


def test_steps_complete_above_extent(run1, tmp_path):
    """steps never exceeds what the datasets hold."""
    path = str(tmp_path / "inconsistent.h5")
    shutil.copy(run1, path)
    with h5py.File(path, "r+") as f:
        f.attrs["steps_complete"] = np.uint64(1000)
    with brainsim.open(path) as run:
        assert run.steps == SMALL_STEPS


def _kill_after_first_flush(path):
    """Runs data/long.yaml into path, SIGKILLs it once rows are readable."""
    proc = subprocess.Popen([brainsim_bin(), "run", LONG, "-q", "-t", "1",
                             "-o", path], env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with brainsim.open(path) as run:
                    if run.steps > 0:
                        return
            except Exception:   # not created yet, or caught mid-write
                pass
            time.sleep(0.02)
        pytest.fail("no rows flushed within 60 s")
    finally:
        proc.kill()
        proc.wait()


def test_killed_run(tmp_path):
    """A run killed with SIGKILL reads as the prefix it flushed, equal to a
    run stopped there.  (A kill that lands inside an HDF5 flush may leave
    the file unreadable, which no reader can help: then try again.)"""
    for attempt in range(3):
        path = str(tmp_path / f"killed{attempt}.h5")
        _kill_after_first_flush(path)
        try:
            run = brainsim.open(path)
        except (OSError, ValueError):
            continue
        with run:
            steps = run.steps
            assert 0 < steps < run.steps_total == 100000
            killed = np.asarray(run.winners("A"))
            assert killed.shape == (steps, 20)
        break
    else:
        pytest.fail("3 killed runs left no readable file")
    ref = str(tmp_path / "ref.h5")
    run_cli(LONG, ref, args=["-n", str(steps)])
    with brainsim.open(ref) as run:
        assert np.array_equal(np.asarray(run.winners("A")), killed)


def test_close_and_context(run1):
    run = brainsim.open(run1)
    view = run.winners("A")
    run.close()
    assert run.closed and "closed" in repr(run)
    run.close()
    with pytest.raises(ValueError, match="closed"):
        run.winners("A")
    with pytest.raises(ValueError, match="closed"):
        view[0]
    with brainsim.open(run1) as run:
        assert not run.closed
    assert run.closed


def test_pathlike(run1):
    import pathlib
    with brainsim.open(pathlib.Path(run1)) as run:
        assert run.steps == SMALL_STEPS


def test_strings_are_str(run1):
    """String attributes are fixed-length UTF-8 in the file (numpy bytes in
    h5py); the reader hands out str."""
    with h5py.File(run1, "r") as f:
        assert f.attrs["backend"].dtype.kind == "S"
        assert f["schedule"].attrs["operations"].dtype.kind == "S"
    with brainsim.open(run1) as run:
        for value in (run.version, run.backend, run.fallback_reason,
                      *run.operations):
            assert type(value) is str
        assert run.operations[0] == "project s->A x1"


def test_reads_format_version_1(run1, tmp_path):
    """Files of format_version 1 (variable-length strings, which h5py
    returns as str) still read the same."""
    path = tmp_path / "v1.h5"
    shutil.copy(run1, path)
    with h5py.File(path, "r+") as f:
        for name in ("format", "brainsim_version", "backend",
                     "fallback_reason"):
            f.attrs[name] = brainsim.reader._text(f.attrs[name])
        ops = [brainsim.reader._text(s)
               for s in f["schedule"].attrs["operations"]]
        f["schedule"].attrs["operations"] = ops
        f.attrs["format_version"] = np.int32(1)
        assert h5py.check_string_dtype(f.attrs.get_id("backend").dtype)\
            .length is None
    with brainsim.open(run1) as new, brainsim.open(path) as old:
        assert old.format_version == 1
        for name in ("version", "backend", "fallback_reason", "operations"):
            assert getattr(old, name) == getattr(new, name)
