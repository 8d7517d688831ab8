"""The four experiments of the published simulator's test suite
(simulations_test.py of dmitropolsky/assemblies: projection, pattern
completion, association, merge), written as brain.py programs: the only
brainsim-specific line is the import.  python/tests/test_brain.py runs them
with the published sizes and thresholds; run this file to see the figures:

    python3 python/examples/brain_simulations.py [--seed S] [--backend B]
    mpirun -np 3 python3 python/examples/brain_simulations.py   # same output
"""
import argparse
import json
import os
import random

import brainsim.brain as brain


def overlap(a, b):
    """Neurons in both winner lists."""
    return len(set(a) & set(b))


def project_sim(n=1000000, k=1000, p=0.001, beta=0.05, t=25, **kw):
    """A stimulus projected into A, with A's recurrence, t rounds; the
    support of A after each round."""
    b = brain.Brain(p, **kw)
    b.add_stimulus("stim", k)
    b.add_area("A", n, k, beta)
    b.project({"stim": ["A"]}, {})
    for _ in range(t - 1):
        b.project({"stim": ["A"]}, {"A": ["A"]})
    return b.areas["A"].saved_w


def pattern_com(n=100000, k=317, p=0.05, beta=0.05, project_iter=25,
                alpha=0.5, comp_iter=5, rng=random, **kw):
    """An assembly formed in A, then a random fraction alpha of it fires
    alone (A -> A) for comp_iter rounds; A's supports and winners."""
    b = brain.Brain(p, save_winners=True, **kw)
    b.add_stimulus("stim", k)
    b.add_area("A", n, k, beta)
    b.project({"stim": ["A"]}, {})
    for _ in range(project_iter - 1):
        b.project({"stim": ["A"]}, {"A": ["A"]})
    b.areas["A"].winners = rng.sample(b.areas["A"].winners, int(k * alpha))
    for _ in range(comp_iter):
        b.project({}, {"A": ["A"]})
    return b.areas["A"].saved_w, b.areas["A"].saved_winners


def association_sim(n=100000, k=317, p=0.05, beta=0.1, overlap_iter=10,
                    **kw):
    """Assemblies A and B project into C separately, then together, then B
    alone; C's supports and winners (a row per projection into C)."""
    b = brain.Brain(p, save_winners=True, **kw)
    b.add_stimulus("stimA", k)
    b.add_area("A", n, k, beta)
    b.add_stimulus("stimB", k)
    b.add_area("B", n, k, beta)
    b.add_area("C", n, k, beta)
    both = {"stimA": ["A"], "stimB": ["B"]}
    b.project(both, {})
    for _ in range(9):
        b.project(both, {"A": ["A"], "B": ["B"]})
    b.project({"stimA": ["A"]}, {"A": ["A", "C"]})
    for _ in range(9):
        b.project({"stimA": ["A"]}, {"A": ["A", "C"], "C": ["C"]})
    b.project({"stimB": ["B"]}, {"B": ["B", "C"]})
    for _ in range(9):
        b.project({"stimB": ["B"]}, {"B": ["B", "C"], "C": ["C"]})
    b.project(both, {"A": ["A", "C"], "B": ["B", "C"]})
    for _ in range(overlap_iter - 1):
        b.project(both, {"A": ["A", "C"], "B": ["B", "C"], "C": ["C"]})
    b.project({"stimB": ["B"]}, {"B": ["B", "C"]})
    for _ in range(9):
        b.project({"stimB": ["B"]}, {"B": ["B", "C"], "C": ["C"]})
    return b.areas["C"].saved_w, b.areas["C"].saved_winners


def merge_sim(n=100000, k=317, p=0.01, beta=0.05, max_t=50, **kw):
    """Assemblies in A and B merged into C (with C projecting back); the
    supports of A, B and C."""
    b = brain.Brain(p, **kw)
    b.add_stimulus("stimA", k)
    b.add_stimulus("stimB", k)
    b.add_area("A", n, k, beta)
    b.add_area("B", n, k, beta)
    b.add_area("C", n, k, beta)
    both = {"stimA": ["A"], "stimB": ["B"]}
    b.project({"stimA": ["A"]}, {})
    b.project({"stimB": ["B"]}, {})
    b.project(both, {"A": ["A", "C"], "B": ["B", "C"]})
    for _ in range(max_t):
        b.project(both, {"A": ["A", "C"], "B": ["B", "C"],
                         "C": ["C", "A", "B"]})
    return b.areas["A"].saved_w, b.areas["B"].saved_w, b.areas["C"].saved_w


def digest(rows):
    """A short hash of winner rows (to compare runs)."""
    import hashlib
    h = hashlib.sha256()
    for row in rows:
        h.update(",".join(map(str, row)).encode() + b";")
    return h.hexdigest()[:16]


def published_checks(seed=0, **kw):
    """Runs the four experiments with the published sizes; returns
    {name: (passed, figures)} with the published test's thresholds."""
    out = {}
    w = project_sim(seed=seed, **kw)
    out["projection"] = (w[-2] == w[-1], {"support": w})
    w, win = pattern_com(seed=seed, rng=random.Random(seed), **kw)
    o = overlap(win[24], win[29])
    out["pattern_completion"] = (o >= 300, {"overlap_24_29": o,
                                            "support": w,
                                            "winners": digest(win)})
    w, win = association_sim(seed=seed, **kw)
    o = [overlap(win[9], win[19]), overlap(win[9], win[29]),
         overlap(win[19], win[29]), overlap(win[9], win[39])]
    out["association"] = (o[0] <= 2 and o[1] >= 100 and o[2] >= 100 and
                          o[3] >= 20, {"overlaps": o, "support": w,
                                       "winners": digest(win)})
    wa, wb, wc = merge_sim(seed=seed, **kw)
    out["merge"] = (wa[-1] <= 3200 and wb[-1] <= 3200 and wc[-1] <= 6400,
                    {"support": [wa[-1], wb[-1], wc[-1]],
                     "supports": [wa, wb, wc]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--json", metavar="FILE",
                    help="write the results as one JSON object to FILE "
                         "(under mpirun each rank writes FILE.<rank>)")
    args = ap.parse_args()
    res = published_checks(seed=args.seed, backend=args.backend)
    if args.json:
        rank = next((os.environ[v] for v in ("OMPI_COMM_WORLD_RANK",
                                             "PMIX_RANK", "PMI_RANK",
                                             "SLURM_PROCID")
                     if v in os.environ), None)
        path = args.json if rank is None else f"{args.json}.{rank}"
        with open(path, "w") as f:
            json.dump({k: [bool(v[0]), v[1]] for k, v in res.items()}, f,
                      sort_keys=True)
    for name, (ok, figures) in res.items():
        short = {k: (v[-4:] if k == "support" and name != "merge" else v)
                 for k, v in figures.items() if k != "supports"}
        print(f"{name}: {short} {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for ok, _ in res.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
