#!/usr/bin/env python3
"""bench_lazy.py - a lazy projection (a stimulus into a lazy area, then
the area recurrent too; 1 + 24 rounds, p = 10^-3, beta = 0.05, k = 10^4)
through brainsim.brain at n = 10^9, and through the published brain.py's
lazy area (add_area) at n = 10^6 and at the same n, for comparison.

usage: bench_lazy.py [--brainpy DIR] [--n N] [--brainpy-n N] [--k K]
                     [--rounds R] [--seed S] [--backend B] [--threads T]

DIR holds brain.py (numpy and scipy needed); without it only brainsim
runs.  Prints one line per run: wall seconds, seconds per round, the
support after the first round and at the end, and whether the last two
rounds' supports are equal (the published projection test).  A figure, not
a test: nothing is asserted.
"""
import argparse
import importlib
import os
import sys
import time


def projection(brain, n, k, p, beta, rounds, **kw):
    """brain.py's project_sim protocol on the module `brain`; returns the
    wall seconds and the supports after each round."""
    t = time.perf_counter()
    b = brain.Brain(p, **kw)
    b.add_stimulus("stim", k)
    b.add_area("A", n, k, beta)
    b.project({"stim": ["A"]}, {})
    for _ in range(rounds - 1):
        b.project({"stim": ["A"]}, {"A": ["A"]})
    dt = time.perf_counter() - t
    w = list(b.area_by_name["A"].saved_w)
    if hasattr(b, "close"):
        b.close()
    return dt, w


def report(label, n, rounds, dt, w):
    print(f"{label:<16} n {n:>12.0e}  {dt:8.2f} s  {dt / rounds:7.3f} s/round"
          f"  support {w[0]:>7d} -> {w[-1]:>7d}"
          f"  last two equal: {w[-1] == w[-2]}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brainpy", help="directory holding brain.py")
    ap.add_argument("--n", type=float, default=1e9)
    ap.add_argument("--brainpy-n", type=float, default=1e6)
    ap.add_argument("--k", type=int, default=10000)
    ap.add_argument("--p", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    import brainsim.brain as bsb
    for n in (int(a.n), int(a.brainpy_n)):
        dt, w = projection(bsb, n, a.k, a.p, a.beta, a.rounds, seed=a.seed,
                           backend=a.backend, threads=a.threads)
        report("brainsim.brain", n, a.rounds, dt, w)
    if a.brainpy:
        sys.path.insert(0, a.brainpy)
        bp = importlib.import_module("brain")
        dt, w = projection(bp, int(a.brainpy_n), a.k, a.p, a.beta, a.rounds,
                           seed=a.seed)
        report("brain.py", int(a.brainpy_n), a.rounds, dt, w)


if __name__ == "__main__":
    main()
