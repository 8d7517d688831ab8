#!/usr/bin/env python3
"""bench_brain_association.py - the wall time of the published association
protocol (simulations.py's association_sim: n = 10^5, k = 317, p = 0.05,
beta = 0.1; 60 projections, 3 areas) run by one program, once through
brainsim.brain and once through the published brain.py itself: the program
is python/examples/brain_simulations.py, whose `brain` module is swapped.

usage: bench_brain_association.py [--brainpy DIR] [--seed S] [--backend B]

DIR holds brain.py (numpy and scipy needed); without it only brainsim runs.
Prints one line per simulator: wall seconds, C's last support and the
published test's four overlaps.
"""
import argparse
import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "examples"))


def run(module, label, **kw):
    import brain_simulations as sims
    sims.brain = module
    t = time.perf_counter()
    w, win = sims.association_sim(**kw)
    dt = time.perf_counter() - t
    o = [sims.overlap(win[9], win[19]), sims.overlap(win[9], win[29]),
         sims.overlap(win[19], win[29]), sims.overlap(win[9], win[39])]
    print(f"{label:<16} {dt:8.2f} s   support(C) {w[-1]:6d}   overlaps {o}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brainpy", help="directory holding brain.py")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backend", default="cpu")
    a = ap.parse_args()
    import brainsim.brain as bsb
    run(bsb, "brainsim.brain", seed=a.seed, backend=a.backend)
    if a.brainpy:
        sys.path.insert(0, a.brainpy)
        bp = importlib.import_module("brain")
        if not hasattr(bp.Brain, "areas"):
            # brain.py's newest commit renamed Brain.areas (which the
            # published simulations.py uses) to area_by_name
            bp.Brain.areas = property(lambda self: self.area_by_name)
        run(bp, "brain.py", seed=a.seed)


if __name__ == "__main__":
    main()
