"""Assembly analysis over winner sets (pure numpy).

A winner set is a 1-D array of neuron ids; a winners array is 2-D
[steps, k], one set per row (row t: step t; steps are numbered from 0, as
in the command's messages and the output's /schedule), as Run.winners() returns (a lazy Rows view is
accepted wherever an array is, and is read in blocks).  PAD (UINT64_MAX)
entries are ignored, so the PAD rows of an area that has not fired yet are
empty sets.  Repeated ids count once: the functions compute on sets.
Every function returns new arrays or Python ints and raises ValueError for
arrays of the wrong shape.
"""
import numpy as np

from .reader import PAD

_BLOCK_ELEMS = 1 << 22      # elements of a winners block held at once


def as_set(ids):
    """Sorted unique ids of `ids` without PAD (uint64).  Can't fail for a
    1-D integer array; ValueError for another shape."""
    a = np.asarray(ids, dtype=np.uint64)
    if a.ndim != 1:
        raise ValueError(f"a winner set is 1-D, got shape {a.shape}")
    return np.unique(a[a != PAD])


def overlap(a, b):
    """Number of ids that winner sets a and b have in common (PAD and
    repeats ignored).  Returns an int."""
    return int(np.intersect1d(as_set(a), as_set(b), assume_unique=True).size)


def _rows_2d(winners):
    shape = getattr(winners, "shape", None)
    if shape is None:
        winners = np.asarray(winners, dtype=np.uint64)
        shape = winners.shape
    if len(shape) != 2:
        raise ValueError(f"winners are [steps, k], got shape {tuple(shape)}")
    return winners, shape


def _set_rows(block):
    """Rows sorted, repeats within a row replaced by PAD (PAD sorts last)."""
    s = np.sort(np.asarray(block, dtype=np.uint64), axis=1)
    if s.shape[1] > 1:
        s[:, 1:][s[:, 1:] == s[:, :-1]] = PAD
    return s


def _pair_overlaps(x, y):
    """Row-wise overlap of two [m, k] blocks of set rows."""
    both = np.sort(np.concatenate([x, y], axis=1), axis=1)
    same = (both[:, 1:] == both[:, :-1]) & (both[:, 1:] != PAD)
    return same.sum(axis=1).astype(np.int64)


def _consecutive(winners):
    """(overlaps [steps - 1], set sizes [steps]) of a winners array, read
    block by block."""
    winners, (steps, k) = _rows_2d(winners)
    out = np.zeros(max(steps - 1, 0), dtype=np.int64)
    sizes = np.zeros(steps, dtype=np.int64)
    block = max(2, _BLOCK_ELEMS // max(k, 1))
    for lo in range(0, max(steps - 1, 1), block - 1):
        rows = _set_rows(winners[lo:min(lo + block, steps)])
        sizes[lo:lo + len(rows)] = (rows != PAD).sum(axis=1)
        out[lo:lo + len(rows) - 1] = _pair_overlaps(rows[:-1], rows[1:])
    return out, sizes


def consecutive_overlap(winners):
    """[steps - 1] int64: element t is the overlap of the winners of steps
    t and t + 1 (empty for fewer than 2 steps).  Vectorised; reads a lazy
    view block by block."""
    return _consecutive(winners)[0]


def overlap_with(winners, reference):
    """[steps] int64: the overlap of each row of `winners` with the set
    `reference` (say, the final assembly)."""
    winners, (steps, k) = _rows_2d(winners)
    ref = as_set(reference)
    out = np.zeros(steps, dtype=np.int64)
    block = max(1, _BLOCK_ELEMS // max(k, 1))
    for lo in range(0, steps, block):
        rows = _set_rows(winners[lo:lo + block])
        out[lo:lo + len(rows)] = (np.isin(rows, ref) & (rows != PAD)).sum(axis=1)
    return out


def convergence_step(winners, tol=0):
    """The first step s from which the winners stop changing (a row index:
    steps are numbered from 0, as in the verdict's "converged at step s"):
    for every later consecutive pair (t, t + 1), t >= s, at most `tol`
    winners change, that is the overlap is at least k - tol for full rows of k
    (in general: at least the larger set's size - tol, both sets
    non-empty).  Returns an int, or None when the last pair changes by more
    than tol or there are fewer than 2 steps.  All-PAD rows (area not
    fired) never count as converged.  ValueError for tol < 0."""
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    ov, sizes = _consecutive(winners)
    if ov.size == 0:
        return None
    larger = np.maximum(sizes[:-1], sizes[1:])
    stable = (ov >= larger - tol) & (sizes[:-1] > 0) & (sizes[1:] > 0)
    bad = np.flatnonzero(~stable)
    if bad.size == 0:
        return 0
    last = int(bad[-1])
    return None if last == ov.size - 1 else last + 1


def assembly(run, area, step=-1):
    """The winner set of `area` at `step` (from 0; negative counts from
    the end) of an open Run: sorted uint64 ids, empty if the area had not fired.
    IndexError for a step beyond the complete ones, KeyError for an
    unknown area."""
    return as_set(run.winners(area)[step])


def overlap_matrix(sets):
    """[m, m] int64 matrix of pairwise overlaps of m winner sets (the
    diagonal holds each set's size).  A 2-D winners array counts as its
    rows.  Vectorised as a membership-matrix product when small enough,
    pairwise otherwise."""
    sets = [as_set(s) for s in sets]
    m = len(sets)
    if m == 0:
        return np.zeros((0, 0), dtype=np.int64)
    ids = np.unique(np.concatenate(sets))
    if m * ids.size <= _BLOCK_ELEMS * 4:
        member = np.zeros((m, ids.size), dtype=np.float64)
        for i, s in enumerate(sets):
            member[i, np.searchsorted(ids, s)] = 1.0
        return np.rint(member @ member.T).astype(np.int64)  # exact < 2^53
    out = np.zeros((m, m), dtype=np.int64)
    for i in range(m):
        for j in range(i, m):
            out[i, j] = out[j, i] = np.intersect1d(
                sets[i], sets[j], assume_unique=True).size
    return out


def support_growth(run, area=None):
    """[steps] int64 new neurons per step (element t: step t, from 0):
    support[0], then support[t] - support[t - 1].  `run` is an open Run (with `area`) or a 1-D support
    array (area None)."""
    support = run.support(area) if area is not None else np.asarray(run)
    support = np.asarray(support, dtype=np.int64)
    if support.ndim != 1:
        raise ValueError(f"support is 1-D, got shape {support.shape}")
    return np.diff(support, prepend=0)
