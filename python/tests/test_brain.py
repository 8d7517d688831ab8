"""brainsim.brain: brain.py programs run unchanged on libbrainsim.

The published simulations_test.py experiments (projection, pattern
completion, association, merge) at the published sizes and thresholds,
through python/examples/brain_simulations.py (a brain.py program whose only
brainsim line is the import); the parser example; 3 ranks equal 1 rank;
and the brain.py surface itself: declarations, winners, fix, plasticity,
connectome views.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, subprocess_env

EXAMPLES = os.path.join(REPO, "python", "examples")
sys.path.insert(0, EXAMPLES)

needs_lib = pytest.mark.skipif(not os.environ.get("BRAINSIM_LIBRARY"),
                               reason="no libbrainsim (BRAINSIM_LIBRARY)")

import brainsim.brain as brain  # noqa: E402
from brainsim.errors import BrainsimError  # noqa: E402


def small_brain(lazy=False, **kw):
    """Explicit areas (winners and connectomes by global id), or lazy ones
    (add_area)."""
    b = brain.Brain(0.05, save_winners=True, seed=3, backend="cpu", **kw)
    b.add_stimulus("s", 30)
    add = b.add_area if lazy else b.add_explicit_area
    add("A", 2000, 30, 0.1)
    add("B", 2000, 30, 0.1)
    return b


@needs_lib
@pytest.mark.parametrize("seed", [1, 3, 6])
def test_published_experiments(seed):
    import brain_simulations as sims
    res = sims.published_checks(seed=seed, backend="cpu")
    failed = {k: v[1] for k, v in res.items() if not v[0]}
    assert not failed, f"seed {seed}: thresholds not met: {failed}"


@needs_lib
def test_parser_reads_out_cats_chase_mice():
    import sentence_parser
    deps = sentence_parser.parse("cats chase mice", seed=0, backend="cpu")
    assert deps == sorted(sentence_parser.SENTENCES["cats chase mice"])


def run_example(args, ranks):
    mpirun = os.environ.get("MPIRUN", "mpirun")
    cmd = [sys.executable] + args
    if ranks > 1:
        cmd = [mpirun, "--oversubscribe", "-np", str(ranks)] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                       env=subprocess_env())
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@needs_lib
@pytest.mark.parametrize("seed", [1, 3, 6])
def test_three_ranks_equal_one(tmp_path, seed):
    """Every figure of the four experiments (supports after every round,
    overlaps, a digest of every saved winner row) agrees on 3 ranks: each
    rank writes its own results, all equal to 1 rank's (the seeds of
    test_published_experiments)."""
    args = [os.path.join(EXAMPLES, "brain_simulations.py"), "--seed",
            str(seed), "--backend", "cpu", "--json"]
    run_example(args + [str(tmp_path / "one.json")], 1)
    run_example(args + [str(tmp_path / "three.json")], 3)
    one = json.loads((tmp_path / "one.json").read_text())
    assert set(one) == {"projection", "pattern_completion", "association",
                        "merge"}
    for r in range(3):
        three = json.loads((tmp_path / f"three.json.{r}").read_text())
        assert three == one, f"rank {r} of 3 differs from 1 rank"


@needs_lib
def test_declarations_after_first_project_refused():
    b = small_brain()
    b.project({"s": ["A"]}, {})
    with pytest.raises(RuntimeError, match="already runs"):
        b.add_area("C", 100, 10, 0.1)
    with pytest.raises(RuntimeError, match="already runs"):
        b.add_stimulus("t", 10)
    b.close()


@needs_lib
def test_errors_as_brain_py():
    b = small_brain()
    with pytest.raises(IndexError):
        b.project({"nope": ["A"]}, {})
    with pytest.raises(IndexError):
        b.project({"s": ["Z"]}, {})
    with pytest.raises(ValueError, match="no assembly"):
        b.project({}, {"A": ["B"]})
    with pytest.raises(ValueError, match="cannot fix"):
        b.area_by_name["B"].fix_assembly()
    b.project({"s": ["A"]}, {})         # still usable
    assert len(b.area_by_name["A"].winners) == 30
    b.close()


@needs_lib
def test_add_area_is_lazy_with_brain_py_indices():
    b = brain.Brain(0.05, save_winners=True, seed=3, backend="cpu")
    b.add_stimulus("s", 30)
    b.add_area("L", 10**9, 30, 0.1)
    b.add_explicit_area("E", 3000, 30, 0.1)
    assert "lazy: true" in b.experiment_text()
    b.project({"s": ["L"]}, {})
    lz = b.area_by_name["L"]
    assert lz.winners == list(range(30))          # the first 30 to fire
    assert lz.w == 30 and lz.num_first_winners == 30
    sim = b.simulator
    support = sim.support_ids("L")
    assert len(support) == 30 and len(set(support.tolist())) == 30
    assert sorted(support.tolist()) == sim.winners("L").tolist()
    for _ in range(5):
        b.project({"s": ["L"]}, {"L": ["L", "E"]})
    assert lz.w == sim.support("L") > 30
    assert all(0 <= i < lz.w for i in lz.winners)
    assert sorted(int(i) for i in sim.support_ids("L")[lz.winners]) == \
        sim.winners("L").tolist()
    assert len(b.area_by_name["E"].winners) == 30
    # winners set to support indices fire those neurons; others are refused
    lz.winners = [0, 1, 2]
    assert lz.winners == [0, 1, 2]
    with pytest.raises(ValueError, match="lazy"):
        lz.winners = [lz.w + 5]
    with pytest.raises(BrainsimError, match="invalid argument"):
        sim.support_ids("E")
    b.close()


@needs_lib
def test_winners_settable_and_fixed():
    b = small_brain()
    a = b.area_by_name["A"]
    with pytest.raises(ValueError):
        a.winners = list(range(31))               # k + 1
    with pytest.raises(ValueError):
        a.winners = [0, 0]
    with pytest.raises(ValueError):
        a.winners = [2000]
    a.winners = [5, 7, 11]
    assert a.winners == [5, 7, 11]
    b.project({}, {"A": ["B"]})
    assert len(b.area_by_name["B"].winners) == 30
    a.winners = list(range(30))
    a.fix_assembly()
    b.project({"s": ["A"]}, {"A": ["A"]})
    assert a.winners == list(range(30))           # fixed: unchanged
    a.unfix_assembly()
    b.project({"s": ["A"]}, {"A": ["A"]})
    assert a.winners != list(range(30))
    a.winners = []
    assert a.winners == []
    with pytest.raises(ValueError, match="no assembly"):
        b.project({}, {"A": ["A"]})
    b.close()


@needs_lib
def test_saved_rows_only_for_projections_into_the_area():
    b = small_brain(lazy=True)
    b.project({"s": ["A"]}, {})
    b.project({"s": ["A"]}, {"A": ["A"]})
    b.project({}, {"A": ["B"]})
    A, B = b.areas["A"], b.areas["B"]
    assert len(A.saved_winners) == 2 and len(B.saved_winners) == 1
    assert len(A.saved_w) == 2 and len(B.saved_w) == 1
    assert A.saved_w[0] == 30 and A.w == A.saved_w[-1]
    assert B.num_first_winners == 30
    assert B.saved_winners[0] == B.winners
    b.close()


@needs_lib
def test_disable_plasticity_and_connectome_views():
    b = small_brain()
    b.project({"s": ["A"]}, {})
    b.project({"s": ["A"]}, {"A": ["A"]})
    win = b.areas["A"].winners
    before = b.connectomes["A"]["A"][win, :][:, win]
    stim_before = b.connectomes_by_stimulus["s"]["A"][win]
    b.disable_plasticity = True
    b.project({"s": ["A"]}, {"A": ["A"]})
    assert np.array_equal(b.connectomes["A"]["A"][win, :][:, win], before)
    assert np.array_equal(b.connectomes_by_stimulus["s"]["A"][win],
                          stim_before)
    b.no_plasticity = False                       # the older name
    b.project({"s": ["A"]}, {"A": ["A"]})
    new = b.areas["A"].winners
    after = b.connectomes["A"]["A"][win, :][:, new]
    prior = np.asarray(before)
    assert after.max() > max(prior.max(), 1.0)    # learning again
    # each edge weight is 0 (no edge) or >= 1
    w = np.asarray(b.connectomes["A"]["B"][:50, :50])
    assert w.shape == (50, 50) and ((w == 0) | (w >= 1)).all()
    assert 0 < (w > 0).mean() < 0.2                # about p = 0.05
    b.close()


@needs_lib
def test_connectomes_of_lazy_areas_use_brain_py_indices():
    """A lazy (add_area) area's connectome axes are its support in firing
    order, as brain.py's arrays of shape (w_from, w_to): index i reads the
    synapses of neuron support_ids()[i], and the stimulus's summed weights
    into the winners (brain.py indices) are those of their global ids."""
    b = small_brain(lazy=True)
    b.project({"s": ["A"]}, {})
    b.project({"s": ["A"]}, {"A": ["A"]})
    sim = b.simulator
    support = sim.support_ids("A")
    w = support.size
    assert b.connectomes["A"]["A"].shape == (w, w)
    assert b.connectomes_by_stimulus["s"]["A"].shape == (w,)
    win = b.areas["A"].winners                     # indices 0..w-1
    assert max(win) < w
    ids = support[np.asarray(win)]
    stim = b.connectomes_by_stimulus["s"]["A"][win]
    assert np.array_equal(stim, sim.inputs("s->A", ids))
    assert (stim > 0).all()                        # winners receive input
    rows = np.asarray(b.connectomes["A"]["A"][win, :][:, win])
    want = sim.weights("A->A", np.repeat(ids, ids.size),
                       np.tile(ids, ids.size)).reshape(ids.size, ids.size)
    assert np.array_equal(rows, want)
    with pytest.raises(IndexError):
        b.connectomes["A"]["A"][w, 0]              # beyond the support
    b.close()


@needs_lib
def test_update_plasticity_changes_one_fiber():
    b = small_brain()
    b.project({"s": ["A", "B"]}, {})
    b.update_plasticity("A", "B", 0.0)
    wa, wb = b.areas["A"].winners, b.areas["B"].winners
    b.project({}, {"A": ["B"]})
    nb = b.areas["B"].winners
    w = b.connectomes["A"]["B"][wa, :][:, nb]
    assert ((w == 0) | (w == 1)).all()            # beta 0: no change
    b.update_plasticities(area_update_map={"B": [("A", 0.5)]})
    b.areas["A"].winners = wa
    b.project({}, {"A": ["B"]})
    nb = b.areas["B"].winners
    w = b.connectomes["A"]["B"][wa, :][:, nb]
    assert (w == 1.5).any()
    del wb
    b.close()


@needs_lib
def test_activate_fixes_an_index():
    b = small_brain()
    b.activate("A", 2)
    assert b.areas["A"].winners == list(range(60, 90))
    assert b.areas["A"].fixed_assembly
    b.project({}, {"A": ["A", "B"]})
    assert b.areas["A"].winners == list(range(60, 90))
    b.close()


def test_declaration_errors_without_library():
    b = brain.Brain(0.1)
    b.add_area("A", 100, 10, 0.1)
    with pytest.raises(ValueError):
        b.add_area("A", 100, 10, 0.1)
    with pytest.raises(ValueError):
        b.add_area("B", 10, 11, 0.1)
    with pytest.raises(ValueError):
        brain.Brain(0)
    assert "A" in b.areas and b.areas is b.area_by_name
