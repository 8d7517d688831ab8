"""Weight saturation through brainsim.Simulator: a fiber without a cap
whose weight would pass the Q16.16 maximum fails the step with a
BrainsimError (status ERR_SATURATED) naming the fiber and the step
(numbered from 0); the output keeps the steps before it; a cap avoids it.
p = 1 and beta = 1: the ten lowest ids win every step and their synapses
from the stimulus double from step 0, so the 16th potentiation, in step
15, would reach 2^32 (tests/test_saturation.sh derives the step)."""
import numpy as np
import pytest

import brainsim
from brainsim.errors import Status

pytestmark = pytest.mark.usefixtures("needs_lib")

EXPERIMENT = """seed: 1
defaults: {p: 1.0, beta: 1.0}
areas: [{name: A, n: 100, k: 10}]
stimuli: [{name: s, k: 10}]
fibers: [{from: s, to: A%s}]
schedule:
  - project: {fibers: [s->A], rounds: 20}
"""
FAILING_STEP = 15


def test_saturation_raises(tmp_path):
    out = tmp_path / "sat.h5"
    with brainsim.Simulator(EXPERIMENT % "", out=str(out)) as sim:
        assert sim.step(FAILING_STEP) == FAILING_STEP
        with pytest.raises(brainsim.BrainsimError) as e:
            sim.step()
        assert e.value.status == Status.ERR_SATURATED
        assert e.value.status_name == "weight saturated"
        msg = str(e.value)
        assert "fiber s->A" in msg and "Q16.16 maximum" in msg
        assert f"at step {FAILING_STEP} (steps are numbered from 0)" in msg
        assert "cap" in msg and "beta" in msg
        assert sim.steps_done == FAILING_STEP
        with pytest.raises(brainsim.BrainsimError, match="no step after a "
                           "failed step: fiber s->A") as again:
            sim.run()
        assert again.value.status == Status.ERR_STATE
        with pytest.raises(brainsim.BrainsimError, match="no checkpoint"):
            sim.checkpoint(tmp_path / "ck.h5")
        assert not (tmp_path / "ck.h5").exists()
    with brainsim.open(out) as run:
        w = run.winners("A")
        assert w.shape == (FAILING_STEP, 10)
        assert np.array_equal(np.asarray(w[-1]), np.arange(10, dtype=np.uint64))
        assert list(run.schedule["step"]) == list(range(FAILING_STEP))


def test_cap_does_not_saturate():
    with brainsim.Simulator(EXPERIMENT % ", cap: 65535") as sim:
        assert sim.run() == 20
        w = sim.weights("s->A", [0], [0])
        assert float(np.asarray(w).ravel()[0]) == 65535.0


def test_brain_program_saturates_unless_capped():
    import brainsim.brain as brain
    b = brain.Brain(1.0, seed=1, backend="cpu")
    b.add_stimulus("s", 10)
    b.add_explicit_area("A", 100, 10, 1.0)
    for _ in range(FAILING_STEP):
        b.project({"s": ["A"]}, {})
    with pytest.raises(brainsim.BrainsimError, match=f"fiber s->A: a weight "
                       f"reached the Q16.16 maximum .* at step {FAILING_STEP} "):
        b.project({"s": ["A"]}, {})
    b.close()
    c = brain.Brain(1.0, seed=1, backend="cpu", cap=65535)
    c.add_stimulus("s", 10)
    c.add_explicit_area("A", 100, 10, 1.0)
    for _ in range(20):
        c.project({"s": ["A"]}, {})
    assert sorted(c.area_by_name["A"].winners) == list(range(10))
    c.close()
