"""brainsim.analysis on hand-made arrays with known answers."""
import numpy as np
import pytest

import brainsim
from brainsim import analysis as an

P = int(brainsim.PAD)


def test_overlap():
    assert an.overlap([1, 2, 3, 4], [3, 4, 5]) == 2
    assert an.overlap([1, 2], [3, 4]) == 0
    assert an.overlap([], [1]) == 0
    assert an.overlap([P, P, P], [P, P, P]) == 0          # unfired: empty
    assert an.overlap([5, 1, 9], [9, 1, 7]) == 2           # unsorted
    assert an.overlap([1, 1, 2], [1, 2, 2]) == 2           # sets
    big = np.uint64(2**40 + 3)
    assert an.overlap(np.array([big, 7], np.uint64), [big]) == 1
    with pytest.raises(ValueError):
        an.overlap(np.zeros((2, 2)), [1])


def test_as_set():
    assert an.as_set([3, P, 1, 3]).tolist() == [1, 3]
    assert an.as_set([]).dtype == np.uint64


W = np.array([[P, P, P],          # step 0: not fired
              [1, 2, 3],
              [2, 3, 4],          # overlap 2 with step 1
              [2, 3, 5],          # 2
              [2, 3, 5],          # 3
              [2, 3, 5]], dtype=np.uint64)


def test_consecutive_overlap():
    assert an.consecutive_overlap(W).tolist() == [0, 2, 2, 3, 3]
    assert an.consecutive_overlap(W[:1]).tolist() == []
    assert an.consecutive_overlap(np.zeros((0, 3), np.uint64)).tolist() == []
    # unsorted rows and repeats within a row count as sets
    odd = np.array([[3, 1, 2], [2, 2, 9]], dtype=np.uint64)
    assert an.consecutive_overlap(odd).tolist() == [1]
    with pytest.raises(ValueError):
        an.consecutive_overlap(np.arange(3))


def test_consecutive_overlap_blocks(monkeypatch):
    rng = np.random.default_rng(1)
    w = np.sort(rng.choice(50, size=(40, 10), replace=True), axis=1)
    want = [an.overlap(w[t], w[t + 1]) for t in range(39)]
    monkeypatch.setattr(an, "_BLOCK_ELEMS", 25)      # blocks of 2 rows
    assert an.consecutive_overlap(w).tolist() == want
    monkeypatch.setattr(an, "_BLOCK_ELEMS", 70)      # blocks of 7 rows
    assert an.consecutive_overlap(w).tolist() == want


def test_convergence_step():
    assert an.convergence_step(W) == 3               # unchanged from step 3
    assert an.convergence_step(W, tol=1) == 1        # <= 1 change from 1
    assert an.convergence_step(W, tol=3) == 1        # step 0 did not fire
    changing = np.array([[1, 2], [1, 2], [3, 4]], dtype=np.uint64)
    assert an.convergence_step(changing) is None     # last pair differs
    assert an.convergence_step(W[:1]) is None        # nothing to compare
    assert an.convergence_step(np.full((4, 2), P, np.uint64)) is None
    with pytest.raises(ValueError):
        an.convergence_step(W, tol=-1)


def test_convergence_with_fewer_than_k_winners():
    part = np.array([[1, 2, P], [1, 2, P], [1, 2, P]], dtype=np.uint64)
    assert an.convergence_step(part) == 0            # 2 of k, unchanged
    shrink = np.array([[1, 2, 3], [1, 2, 3], [1, 2, P]], dtype=np.uint64)
    assert an.convergence_step(shrink) is None       # one winner dropped
    assert an.convergence_step(shrink, tol=1) == 0


def test_overlap_with():
    assert an.overlap_with(W, [2, 3, 5]).tolist() == [0, 2, 2, 3, 3, 3]


def test_overlap_matrix():
    sets = [[1, 2, 3], [3, 4], [P, P], [1, 2, 3, 4]]
    want = [[3, 1, 0, 3],
            [1, 2, 0, 2],
            [0, 0, 0, 0],
            [3, 2, 0, 4]]
    m = an.overlap_matrix(sets)
    assert m.dtype == np.int64 and m.tolist() == want
    assert an.overlap_matrix(W[1:4]).tolist() == [[3, 2, 2], [2, 3, 2],
                                                  [2, 2, 3]]
    assert an.overlap_matrix([]).shape == (0, 0)


def test_overlap_matrix_pairwise(monkeypatch):
    rng = np.random.default_rng(2)
    sets = [rng.choice(1000, 30, replace=False) for _ in range(6)]
    dense = an.overlap_matrix(sets)
    monkeypatch.setattr(an, "_BLOCK_ELEMS", 1)       # force the pairwise path
    assert an.overlap_matrix(sets).tolist() == dense.tolist()
    assert dense[0, 1] == an.overlap(sets[0], sets[1])


def test_support_growth_array():
    assert an.support_growth(np.array([0, 0, 40, 60, 60], np.uint64)).tolist() \
        == [0, 0, 40, 20, 0]
    with pytest.raises(ValueError):
        an.support_growth(np.zeros((2, 2)))


def test_on_a_run(run1):
    with brainsim.open(run1) as run:
        w = run.winners("A")
        full = np.asarray(w)
        ov = an.consecutive_overlap(w)                 # lazy view accepted
        assert ov.tolist() == [an.overlap(full[t], full[t + 1])
                               for t in range(len(full) - 1)]
        a = an.assembly(run, "A", -1)
        assert np.array_equal(a, full[-1])
        assert an.assembly(run, "B", 0).size == 0       # B not fired yet
        g = an.support_growth(run, "B")
        assert g.sum() == int(run.support("B")[-1]) and g[:8].sum() == 0
        assert np.all(g >= 0)
