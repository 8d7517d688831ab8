"""What a Python user types cannot destroy a file or crash the
interpreter (issue 15): paths checked by the library, integer arguments
checked against their C types, NUL characters refused, FIFOs refused
without blocking, one thread at a time per Simulator."""
import os
import shutil
import threading
import time

import pytest

import brainsim
from conftest import LONG, SMALL

pytestmark = pytest.mark.usefixtures("needs_lib")


def test_out_equal_to_the_experiment_is_refused(tmp_path):
    exp = tmp_path / "exp.yaml"
    shutil.copy(SMALL, exp)
    before = exp.read_bytes()
    for out in (exp, tmp_path / "." / "exp.yaml"):
        with pytest.raises(brainsim.BrainsimError) as e:
            brainsim.Simulator(exp, out=out)
        assert "same file" in str(e.value) and str(exp) in str(e.value)
        assert exp.read_bytes() == before


def test_checkpoint_over_the_output_is_refused(tmp_path):
    out = tmp_path / "run.h5"
    with brainsim.Simulator(SMALL, out=out) as sim:
        sim.step(2)
        with pytest.raises(brainsim.BrainsimError, match="same file"):
            sim.checkpoint(out)
        sim.step(1)
    with brainsim.open(out) as run:
        assert run.steps == 3


def test_two_simulators_on_one_output(tmp_path):
    out = tmp_path / "run.h5"
    with brainsim.Simulator(SMALL, out=out):
        with pytest.raises(brainsim.BrainsimError, match="in use by another"):
            brainsim.Simulator(SMALL, out=out)


@pytest.mark.parametrize("kw", [
    {"threads": 100000}, {"threads": 2**32 + 1}, {"threads": -1},
    {"plastic_capacity": 2**64}, {"keep_checkpoints": 2**31},
])
def test_integers_out_of_range(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        brainsim.Simulator(SMALL, **kw)


def test_step_count_out_of_range():
    with brainsim.Simulator(SMALL) as sim:
        with pytest.raises(ValueError, match="n must be in"):
            sim.step(2**64 + 2)
        assert sim.steps_done == 0


def test_text_with_a_nul(small_text):
    with pytest.raises(ValueError, match="NUL"):
        brainsim.Simulator(small_text + "\0junk: 1\n")


def test_fifo_is_refused_not_opened(tmp_path):
    fifo = tmp_path / "exp.fifo"
    os.mkfifo(fifo)
    with pytest.raises(brainsim.BrainsimError, match="FIFO"):
        brainsim.Simulator(fifo)
    with pytest.raises(brainsim.BrainsimError, match="FIFO"):
        brainsim.Simulator.resume(fifo)


def test_one_thread_at_a_time():
    sim = brainsim.Simulator(LONG)
    t = threading.Thread(target=sim.step, args=(3000,))
    t.start()
    for _ in range(2000):           # until the run holds the lock
        if sim._lock.locked() or not t.is_alive():
            break
        time.sleep(0.001)
    if sim._lock.locked():
        with pytest.raises(brainsim.SimulatorBusyError, match="close"):
            sim.close()
        with pytest.raises(brainsim.SimulatorBusyError, match="step"):
            sim.step()
    t.join()
    assert sim.steps_done == 3000              # no overshoot
    sim.close()
    assert sim.closed


def test_open_reads_checkpoints(tmp_path):
    ck = tmp_path / "ck.h5"
    with brainsim.Simulator(SMALL) as sim:
        sim.step(3)
        want = {a: sim.winners(a) for a in sim.areas}
        sim.checkpoint(ck)
    with brainsim.open(ck) as c:
        assert isinstance(c, brainsim.Checkpoint) and c.step == 3
        assert list(c.areas) == list(want)
        for a, ids in want.items():
            assert (c.winners(a) == ids).all()
            assert set(ids.tolist()) <= set(c.fired(a).tolist())
        for fib in c.fibers:
            s = c.synapses(fib)
            assert len(s["source"]) == len(s["target"]) == len(s["weight"])
            assert (s["weight"] > 1.0).all()


def test_open_is_fast_on_a_long_schedule(tmp_path):
    """brainsim.open does not parse a 10^5-operation /experiment eagerly."""
    ops = "".join("  - project: {rounds: 1}\n" for _ in range(100000))
    text = ("areas:\n  - {name: A, n: 100, k: 10}\nstimuli:\n"
            "  - {name: s, k: 10}\nfibers:\n  - {from: s, to: A, p: 0.1}\n"
            "schedule:\n" + ops)
    out = tmp_path / "long.h5"
    with brainsim.Simulator(text, out=out) as sim:
        sim.step(2)
    t0 = time.monotonic()
    with brainsim.open(out) as run:
        assert list(run.areas) == ["A"] and run.steps == 2
    assert time.monotonic() - t0 < 5.0
