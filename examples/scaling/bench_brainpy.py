#!/usr/bin/env python3
"""bench_brainpy.py - times the published simulator brain.py (the
assembly-calculus reference, lazy areas) on the projection that
bench_projection.sh runs: a stimulus of k neurons into area A (n, k) for
one round, then stimulus and A -> A for the remaining rounds.

brain.py is not part of brainsim: give the directory that holds it (it
needs numpy and scipy).  Prints one line per round (milliseconds) and the
mean over rounds 1.. and over the last 4.

usage: bench_brainpy.py BRAIN_DIR [-n N] [-k K] [-p P] [-r ROUNDS]
                        [--beta B] [--seed S]
"""
import argparse
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("brain_dir", help="directory holding brain.py")
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("-k", type=int, default=1000)
    ap.add_argument("-p", type=float, default=0.001)
    ap.add_argument("-r", "--rounds", type=int, default=25,
                    help="rounds in all, the first one stimulus only")
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    sys.path.insert(0, a.brain_dir)
    import brain  # noqa: E402  (from the given directory)

    t0 = time.perf_counter()
    b = brain.Brain(a.p, seed=a.seed)
    b.add_stimulus("stim", a.k)
    b.add_area("A", a.n, a.k, a.beta)
    setup = time.perf_counter() - t0
    times = []
    for r in range(a.rounds):
        t = time.perf_counter()
        if r == 0:
            b.project({"stim": ["A"]}, {})
        else:
            b.project({"stim": ["A"]}, {"A": ["A"]})
        times.append(time.perf_counter() - t)
        print("round %2d %10.3f ms  support %d" %
              (r, times[-1] * 1e3, b.area_by_name["A"].get_num_ever_fired()))
    rest = times[1:] or times
    print("brain.py n=%d k=%d p=%g: setup %.3f ms, round 0 %.3f ms, "
          "mean of rounds 1..%d %.3f ms, last 4 %.3f ms" %
          (a.n, a.k, a.p, setup * 1e3, times[0] * 1e3, len(times) - 1,
           sum(rest) / len(rest) * 1e3, sum(times[-4:]) / len(times[-4:]) * 1e3))


if __name__ == "__main__":
    main()
