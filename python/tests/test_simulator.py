"""brainsim.Simulator over libbrainsim: same winners as the CLI, instance
independence, errors, output files, the library search."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import brainsim
from brainsim import _clib
from conftest import LONG, SMALL, SMALL_STEPS, subprocess_env

pytestmark = pytest.mark.usefixtures("needs_lib")


def _file_row(run, area, t):
    row = run.winners(area)[t]
    return row[row != brainsim.PAD]


def _set_after(run, t):
    """Areas whose winners a schedule operation between step t and the
    next step replaces (set_assembly, fire_subset, reset).  libbrainsim may
    apply such operations before step() returns, so the current winners
    then differ from the row that step t recorded."""
    ops = run.schedule["op"]
    hi = ops[t + 1] if t + 1 < len(ops) else len(run.operations)
    words = [d.split() for d in run.operations[ops[t] + 1:hi]]
    return {w[1] for w in words if len(w) > 1 and
            w[0] in ("set_assembly", "fire_subset", "reset")}


def test_matches_cli_step_by_step(run1):
    with brainsim.open(run1) as run, brainsim.Simulator(SMALL) as sim:
        assert sim.steps_total == SMALL_STEPS and sim.steps_done == 0
        assert list(sim.areas) == list(run.areas)
        assert sim.areas == run.areas                    # n from the YAML
        compared = 0
        for t in range(SMALL_STEPS):
            assert sim.step() == 1 and sim.steps_done == t + 1
            for name in set(run.areas) - _set_after(run, t):
                w = sim.winners(name)
                assert w.dtype == np.uint64
                assert np.array_equal(w, _file_row(run, name, t)), (t, name)
                assert sim.support(name) == int(run.support(name)[t])
                compared += 1
        assert compared == 2 * SMALL_STEPS - 1           # all but B at 17
        assert sim.step() == 0 and sim.step(5) == 0      # schedule's end
        assert sim.steps_done == SMALL_STEPS


def test_text_and_path_agree(small_text):
    with brainsim.Simulator(small_text) as a, \
            brainsim.Simulator(pathlib.Path(SMALL)) as b:
        assert a.step(SMALL_STEPS) == b.step(SMALL_STEPS + 3) == SMALL_STEPS
        for name in a.areas:
            assert np.array_equal(a.winners(name), b.winners(name))


def test_two_interleaved_equal_one_alone(small_text):
    with brainsim.Simulator(SMALL) as alone:
        ref = []
        while alone.step():
            ref.append({n: alone.winners(n) for n in alone.areas})
    a = brainsim.Simulator(SMALL)
    b = brainsim.Simulator(small_text, threads=1)
    try:
        assert a.step(3) == 3                            # a runs ahead
        for t in range(SMALL_STEPS):
            if t + 3 < SMALL_STEPS:
                assert a.step() == 1
            assert b.step() == 1
            for name in ref[t]:
                assert np.array_equal(b.winners(name), ref[t][name])
                if t + 3 < SMALL_STEPS:
                    assert np.array_equal(a.winners(name), ref[t + 3][name])
    finally:
        a.close()
        b.close()


def test_run_and_properties():
    with brainsim.Simulator(SMALL, backend="cpu", quiet=True) as sim:
        assert sim.backend == "cpu"
        assert isinstance(sim.fallback_reason, str)
        assert sim.winners("B").shape == (0,)            # not fired yet
        assert sim.support("B") == 0
        assert sim.step(4) == 4
        assert sim.run() == SMALL_STEPS - 4
        assert sim.run() == 0
        assert sim.winners("B").shape == (40,)
        assert "step 20/20" in repr(sim)


def test_output_file_equals_cli(run1, tmp_path):
    out = tmp_path / "sim.h5"
    with brainsim.Simulator(SMALL, out=out) as sim:
        assert sim.out == str(out)
        sim.run()
    with brainsim.open(out) as mine, brainsim.open(run1) as cli:
        assert mine.steps == cli.steps
        assert mine.experiment_text == cli.experiment_text
        for name in cli.areas:
            assert np.array_equal(np.asarray(mine.winners(name)),
                                  np.asarray(cli.winners(name)))
            assert np.array_equal(np.asarray(mine.inputs(name, raw=True)),
                                  np.asarray(cli.inputs(name, raw=True)))


def test_reading_a_run_in_progress(tmp_path):
    """The file of a Simulator that is still stepping reads as the rows
    flushed so far, which equal what the simulator produced."""
    out = tmp_path / "live.h5"
    with brainsim.Simulator(LONG, out=out) as sim:
        seen = []
        for _ in range(70):
            sim.step()
            seen.append(sim.winners("A"))
        with brainsim.open(out) as run:
            assert 0 < run.steps <= 70 and run.steps_total == 100000
            assert np.array_equal(np.asarray(run.winners("A")),
                                  np.stack(seen[:run.steps]))
    with brainsim.open(out) as run:                      # closed: flushed
        assert run.steps == 70
        assert np.array_equal(np.asarray(run.winners("A")), np.stack(seen))


def test_bad_experiment_is_value_error(tmp_path):
    bad = "areas:\n  - {name: A, n: 100, k: 0}\nschedule:\n  - project: {rounds: 1}\n"
    with pytest.raises(brainsim.ExperimentError) as e:
        brainsim.Simulator(bad)
    err = e.value
    assert isinstance(err, ValueError) and isinstance(err, brainsim.BrainsimError)
    assert isinstance(err, RuntimeError)
    assert err.status == brainsim.Status.ERR_PARSE
    assert "k" in str(err) and "2:" in str(err)          # line of the error
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(ValueError, match="bad.yaml"):
        brainsim.Simulator(str(path))


def test_experiment_argument_rules(tmp_path):
    with pytest.raises(FileNotFoundError):
        brainsim.Simulator(str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError):
        brainsim.Simulator(tmp_path / "missing")          # PathLike: a path
    with pytest.raises(brainsim.ExperimentError):
        brainsim.Simulator("not an experiment")          # one line: text
    with pytest.raises(TypeError):
        brainsim.Simulator(42)


def test_default_experiment():
    with brainsim.Simulator(None) as sim:        # examples/projection.yaml
        assert sim.steps_total == 25
        assert list(sim.areas) == ["A"] and sim.areas["A"].k == 1000
        assert sim.areas["A"].n is None          # not known to Python


def test_bad_arguments():
    with pytest.raises(ValueError, match="backend"):
        brainsim.Simulator(SMALL, backend="gpu")
    with pytest.raises(ValueError):
        brainsim.Simulator(SMALL, threads=-1)
    with brainsim.Simulator(SMALL) as sim:
        with pytest.raises(ValueError):
            sim.step(-1)


def test_unwritable_output_is_brainsim_error(tmp_path):
    with pytest.raises(brainsim.BrainsimError) as e:
        brainsim.Simulator(SMALL, out=tmp_path / "no" / "such" / "dir.h5")
    assert not isinstance(e.value, ValueError)
    assert "dir.h5" in str(e.value)


@pytest.mark.parametrize("mpi", ["0", "1"])
def test_output_on_dev_full_exits_cleanly(mpi):
    """An output that cannot be written (/dev/full) raises BrainsimError
    naming it, and the interpreter then exits 0 (no crash in HDF5's exit
    handlers), with MPI (BRAINSIM_MPI=1) or without."""
    code = ("import sys, brainsim\n"
            "try:\n"
            "    brainsim.Simulator(sys.argv[1], out='/dev/full')\n"
            "except brainsim.BrainsimError as e:\n"
            "    print('raised:', e)\n"
            "else:\n"
            "    sys.exit(3)\n")
    p = subprocess.run([sys.executable, "-c", code, SMALL],
                       env=subprocess_env(BRAINSIM_MPI=mpi),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "raised:" in p.stdout and "/dev/full" in p.stdout


def test_unknown_area():
    with brainsim.Simulator(SMALL) as sim:
        for call in (sim.winners, sim.support):
            with pytest.raises(KeyError) as e:
                call("C")
            assert "'C'" in str(e.value) and "A, B" in str(e.value)


def test_close_and_del():
    sim = brainsim.Simulator(SMALL)
    sim.step()
    sim.close()
    sim.close()
    assert sim.closed and "closed" in repr(sim)
    with pytest.raises(ValueError, match="closed"):
        sim.step()
    with pytest.raises(ValueError, match="closed"):
        sim.winners("A")
    other = brainsim.Simulator(SMALL)
    other.step()
    del other                      # the finalizer destroys it
    import gc
    gc.collect()


def test_checkpoint_and_resume(tmp_path):
    """checkpoint() then Simulator.resume() continues bit-identically; with
    a library that lacks them, both raise NotImplementedError."""
    ck = tmp_path / "ck.h5"
    lib = _clib.library()
    with brainsim.Simulator(SMALL) as sim:
        sim.step(5)
        if _clib.optional(lib, "bs_checkpoint") is None:
            with pytest.raises(NotImplementedError, match="bs_checkpoint"):
                sim.checkpoint(ck)
            ck.write_bytes(b"")
            if _clib.optional(lib, "bs_resume") is None:
                with pytest.raises(NotImplementedError, match="bs_resume"):
                    brainsim.Simulator.resume(ck)
            return
        sim.checkpoint(ck)
        ref = []
        while sim.step():
            ref.append({n: sim.winners(n) for n in sim.areas})
    with brainsim.open(ck) as c:                # a checkpoint reader
        assert isinstance(c, brainsim.Checkpoint) and c.step == 5
    with brainsim.Simulator.resume(ck, SMALL) as res:
        assert res.steps_done == 5 and res.areas["A"].n == 3000
        for t in range(5, SMALL_STEPS):
            assert res.step() == 1
            for name in ref[t - 5]:
                assert np.array_equal(res.winners(name), ref[t - 5][name])
    with pytest.raises(FileNotFoundError):
        brainsim.Simulator.resume(tmp_path / "none.h5")


def test_library_directory_env(needs_lib):
    code = ("import brainsim\n"
            "s = brainsim.Simulator(%r)\n"
            "print('steps', s.step(2))\n" % SMALL)
    env = subprocess_env(BRAINSIM_LIBRARY=os.path.dirname(needs_lib))
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "steps 2" in out.stdout
