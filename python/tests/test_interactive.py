"""Operations applied one at a time from Python (Simulator.apply and its
conveniences): a session equals `brainsim run` of the experiment it
records; a program deciding from winners gives the same output on 3 ranks
as on 1 (its ranks even draw different random numbers); a checkpoint in
the middle of a session resumes (Simulator.resume) to the same end; bad
operations raise and leave the simulator usable; plasticity off leaves
the weights unchanged (with a libbrainsim that has bs_weights)."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import brainsim
from brainsim import _clib, operations
from conftest import DATA, brainsim_bin, run_cli, subprocess_env

pytestmark = pytest.mark.usefixtures("needs_lib")
h5py = pytest.importorskip("h5py")

DECIDE = os.path.join(DATA, "decide.py")
AREAS = [{"name": "A", "n": 3000, "k": 40}, {"name": "B", "n": 2000,
                                              "k": 30}]
STIMULI = [{"name": "s", "k": 40}]
FIBERS = [{"from": "s", "to": "A"}, {"from": "A", "to": "A"},
          {"from": "A", "to": "B", "beta": 0.2}, {"from": "B", "to": "B"}]


def _sim(**kw):
    return brainsim.Simulator(areas=AREAS, stimuli=STIMULI, fibers=FIBERS,
                              seed=4, p=0.05, backend="cpu", **kw)


def _rows(path):
    """{dataset path: array} of /areas and /schedule."""
    out = {}
    with h5py.File(path, "r") as f:
        f["areas"].visititems(lambda name, d: out.__setitem__(
            name, d[()]) if isinstance(d, h5py.Dataset) else None)
        out["schedule"] = f["schedule"][()]
    return out


def _same_rows(a, b):
    ra, rb = _rows(a), _rows(b)
    assert ra.keys() == rb.keys()
    for k in ra:
        assert np.array_equal(ra[k], rb[k]), k


def _recorded(path, dest):
    with h5py.File(path, "r") as f:
        text = f["experiment"].asstr()[()]
        total = int(f.attrs["steps_total"])
    with open(dest, "w") as f:
        f.write(text)
    return text, total


def _session(sim):
    sim.project(["s->A"])
    for _ in range(3):
        assert sim.project(["s->A", "A->A"]) == 1
    sim.snapshot("A", "a4")
    sim.apply({"project": {"fibers": ["s->A", "A->A", "A->B"],
                           "rounds": 2}})
    sim.plasticity(False)
    sim.plasticity(fiber="A->B", beta=0.4)
    assert sim.project(rounds=2) == 2
    sim.plasticity(True)
    sim.plasticity(area="B", beta=0.01)
    sim.fire("A", np.array([2999, 3, 17], dtype=np.uint64))
    sim.project(["A->B", "B->B"])
    sim.set_assembly("B", [4, 5], fix=True)
    sim.apply("project: {rounds: 2}")
    sim.fire_subset("A", 0.5)
    sim.unfix("B")
    sim.reset("B")
    sim.project(["s->A", "A->A", "A->B"])
    sim.inhibit("A->A")
    sim.project(["s->A", "A->A"])
    sim.disinhibit("A->A")
    sim.set_assembly("A", random=True)
    sim.project(["A->A"])


def test_session_equals_recorded_run(tmp_path):
    out = str(tmp_path / "s.h5")
    with _sim(out=out) as sim:
        assert sim.steps_total == 0
        _session(sim)
        steps = sim.steps_done
        assert sim.steps_total == steps == 14
    text, total = _recorded(out, tmp_path / "rec.yaml")
    assert total == steps and "fire: {area: A, neurons: [3, 17, 2999]}" in text
    run_cli(str(tmp_path / "rec.yaml"), str(tmp_path / "rep.h5"))
    _same_rows(out, str(tmp_path / "rep.h5"))
    with brainsim.open(out) as run:
        assert run.steps == run.steps_total == steps
        assert any(o.startswith("plasticity area B") for o in run.operations)


def test_decisions_agree_on_3_ranks(tmp_path):
    mpirun = os.environ.get("MPIRUN") or shutil.which("mpirun")
    if not mpirun:
        pytest.skip("no mpirun (set MPIRUN)")
    outs = []
    for ranks in (1, 3):
        out = str(tmp_path / f"d{ranks}.h5")
        cmd = [sys.executable, DECIDE, out]
        if ranks > 1:
            cmd = [mpirun, "-np", str(ranks)] + cmd
        proc = subprocess.run(cmd, env=subprocess_env(OMP_NUM_THREADS="1"),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        lines = re.findall(r"decided: \d+ \d+ \d+", proc.stdout)
        assert len(lines) == ranks, proc.stdout
        outs.append((out, lines))
    assert outs[0][1][0] == outs[1][1][0]
    assert all(l == outs[1][1][0] for l in outs[1][1])   # every rank
    assert int(outs[0][1][0].split()[2]) > 0             # it settled
    _same_rows(outs[0][0], outs[1][0])
    _recorded(outs[0][0], tmp_path / "rec.yaml")
    run_cli(str(tmp_path / "rec.yaml"), str(tmp_path / "rep.h5"), ranks=3)
    _same_rows(outs[0][0], str(tmp_path / "rep.h5"))


def test_checkpoint_mid_session_resumes(tmp_path):
    ck = str(tmp_path / "ck.h5")
    with _sim() as sim:
        sim.project(["s->A"])
        sim.project(["s->A", "A->A", "A->B"], rounds=3)
        sim.snapshot("B", "b3")
        sim.plasticity(False)
        sim.fire("A", [1, 2, 3])
        sim.checkpoint(ck)
        sim.apply("checkpoint: " + str(tmp_path / "ck2.h5"))
        tail = [lambda s: s.project(["A->B", "B->B", "A->A"], rounds=2),
                lambda s: s.plasticity(True),
                lambda s: s.project(["s->A", "A->A", "A->B"], rounds=3),
                lambda s: s.snapshot("A", "a9")]
        for op in tail:
            op(sim)
        want = {a: sim.winners(a) for a in sim.areas}
        support = {a: sim.support(a) for a in sim.areas}
    for path in (ck, str(tmp_path / "ck2.h5")):
        with brainsim.Simulator.resume(path, backend="cpu") as res:
            assert res.steps_done == 4
            assert len(res.winners("A")) == 3
            for op in tail:
                op(res)
            for a in want:
                assert np.array_equal(res.winners(a), want[a])
                assert res.support(a) == support[a]


def test_bad_operations_leave_it_usable():
    with _sim() as sim:
        bad = [("project: {fibers: [A->A]}", brainsim.BrainsimError,
                "area 'A' has no winners"),
               ({"step": 3}, brainsim.ExperimentError,
                "unknown operation 'step'"),
               ({"project": {"fibers": ["s->C"]}}, brainsim.ExperimentError,
                "'s->C' is invalid"),
               ({"project": {"rounds": "two"}}, brainsim.ExperimentError,
                "project.rounds: value 'two' is invalid"),
               ({"fire": {"area": "A", "neurons": list(range(41))}},
                brainsim.ExperimentError, "41 ids given: must be 1 to k = 40"),
               ("inhibit: nowhere", brainsim.ExperimentError, "no such name")]
        for op, exc, text in bad:
            with pytest.raises(exc, match=text.replace("[", r"\[")) as e:
                sim.apply(op)
            assert e.value.status in (brainsim.Status.ERR_STATE,
                                      brainsim.Status.ERR_PARSE)
            assert sim.steps_done == 0 and sim.steps_total == 0
        with pytest.raises(KeyError):
            sim.fix("C")
        with pytest.raises(brainsim.BrainsimError, match="no assembly"):
            sim.fix("A")
        with pytest.raises(ValueError):
            sim.set_assembly("A")
        with pytest.raises(ValueError):
            sim.plasticity(beta=0.1)
        with pytest.raises(ValueError):
            sim.apply({"fix": "A", "unfix": "A"})
        with pytest.raises(TypeError):
            sim.project("s->A")
        assert sim.project(["s->A"]) == 1                # still usable
        assert len(sim.winners("A")) == 40
        with pytest.raises(brainsim.BrainsimError, match="area 'B' has no"):
            sim.project()
        assert sim.project(["s->A", "A->A", "A->B"], rounds=2) == 2
        assert sim.steps_done == 3 and len(sim.winners("B")) == 30


def test_simulator_from_arguments():
    with pytest.raises(ValueError):
        brainsim.Simulator("x.yaml", areas=AREAS)
    with pytest.raises(ValueError):
        brainsim.Simulator(fibers=FIBERS)
    with pytest.raises(brainsim.ExperimentError, match="has no p"):
        brainsim.Simulator(areas=AREAS, stimuli=STIMULI, fibers=FIBERS)
    text = operations.experiment(AREAS, STIMULI, FIBERS, seed=4, p=0.05)
    assert text.endswith("schedule: []\n")
    with _sim() as sim:
        assert list(sim.areas) == ["A", "B"] and sim.areas["A"].k == 40
        assert len(sim.winners("A")) == 0


def test_flow_values():
    assert operations.flow({"a": [1, np.uint64(2)], "b": True,
                            "c": 0.1, "d": "x->y"}) == \
        '{"a": [1, 2], "b": true, "c": 0.1, "d": "x->y"}'
    assert operations.operation({"fix": "A"}) == 'fix: "A"'
    with pytest.raises(ValueError):
        operations.flow(float("nan"))
    with pytest.raises(TypeError):
        operations.flow(object())


def test_plasticity_off_keeps_weights():
    with _sim() as sim:
        if _clib.optional(sim._lib, "bs_weights") is None:
            pytest.skip("this libbrainsim has no bs_weights")
        sim.project(["s->A"])
        sim.project(["s->A", "A->A"], rounds=3)
        src = np.repeat(np.arange(40, dtype=np.uint64), 40)
        tgt = np.tile(sim.winners("A"), 40)
        before = sim.weights("s->A", src, tgt)
        assert before.max() > 1.0                       # it learned
        sim.plasticity(False)
        sim.project(["s->A", "A->A"], rounds=3)
        assert np.array_equal(sim.weights("s->A", src, tgt), before)
        sim.plasticity(True)
        tgt = np.tile(sim.winners("A"), 40)
        mid = sim.weights("s->A", src, tgt)
        sim.project(["s->A", "A->A"], rounds=1)
        after = sim.weights("s->A", src, tgt)
        kept = np.isin(tgt, sim.winners("A")) & (mid > 0)
        assert kept.any()
        assert (after[kept] > mid[kept]).all()          # on: learning again
        assert np.array_equal(after[~kept], mid[~kept])
        # the input of a target through s->A: its weights from all 40
        # stimulus neurons (all firing), summed
        w = sim.winners("A")
        per = sim.weights("s->A", src, np.tile(w, 40)).reshape(40, -1)
        assert np.allclose(sim.inputs("s->A", w), per.sum(axis=0))
