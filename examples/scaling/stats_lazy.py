#!/usr/bin/env python3
"""stats_lazy.py - the published simulations (python/examples/
brain_simulations.py: projection, pattern completion, association, merge)
through brainsim.brain, whose add_area areas are lazy, and through the
published brain.py, over seeds 0..S-1: mean and standard deviation of each
experiment's figure, one table row per figure.

usage: stats_lazy.py --brainpy DIR [--seeds S] [--backend B]

Figures: projection's last support (n = 1e6, k = 1000, p = 1e-3); pattern
completion's overlap of rounds 24 and 29 (of 317); association's overlap
of C's assemblies at rounds 10 and 20; merge's last support of C.  The
same program runs both: only its `brain` module is swapped.
"""
import argparse
import importlib
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "examples"))


def figures(module, seed, **kw):
    import brain_simulations as sims
    sims.brain = module
    out = {}
    out["projection: last support"] = sims.project_sim(seed=seed, **kw)[-1]
    w, win = sims.pattern_com(seed=seed, rng=random.Random(seed), **kw)
    out["pattern completion: overlap(24, 29)"] = sims.overlap(win[24],
                                                              win[29])
    w, win = sims.association_sim(seed=seed, **kw)
    out["association: overlap(C10, C20)"] = sims.overlap(win[9], win[19])
    out["merge: last support of C"] = sims.merge_sim(seed=seed, **kw)[2][-1]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brainpy", required=True, help="directory of brain.py")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--backend", default="cpu")
    a = ap.parse_args()
    import brainsim.brain as bsb
    sys.path.insert(0, a.brainpy)
    bp = importlib.import_module("brain")
    if not hasattr(bp.Brain, "areas"):
        bp.Brain.areas = property(lambda self: self.area_by_name)
    rows = {}
    for label, mod, kw in (("brainsim", bsb, {"backend": a.backend}),
                           ("brain.py", bp, {})):
        t = time.perf_counter()
        for seed in range(a.seeds):
            for name, v in figures(mod, seed, **kw).items():
                rows.setdefault(name, {}).setdefault(label, []).append(v)
        print(f"# {label}: {time.perf_counter() - t:.1f} s for {a.seeds} "
              f"seeds", flush=True)
    print("| figure | brainsim (lazy) mean +- sd | brain.py mean +- sd |")
    print("| --- | --- | --- |")
    for name, by in rows.items():
        cells = [f"{statistics.mean(by[x]):.1f} +- "
                 f"{statistics.stdev(by[x]) if len(by[x]) > 1 else 0:.1f}"
                 for x in ("brainsim", "brain.py")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
