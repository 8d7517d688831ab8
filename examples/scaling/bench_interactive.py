#!/usr/bin/env python3
"""Interactive steps against scheduled ones: the default projection (n =
10^6, k = 1000, p = 0.001, beta = 0.05, 25 rounds) run as its schedule
(Simulator(examples/projection.yaml).run()) and as 25 calls of
Simulator.project(rounds=1) on a Simulator built from the same areas,
stimulus and fibers, each timed from the first step to the last (creation
excluded), alternating, `-n` times each.  Checks that both end with the
same winners (exit 1 otherwise) and prints the best and median seconds of
each (wall and process CPU time) and their ratios.

    PYTHONPATH=python BRAINSIM_LIBRARY=.libs/libbrainsim.so \\
        python3 examples/scaling/bench_interactive.py -n 5 [-b cpu] [-o DIR]

-o DIR writes each run's output file into DIR (default: no output file).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import brainsim

HERE = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT = os.path.join(HERE, "..", "projection.yaml")
AREAS = [{"name": "A", "n": 1000000, "k": 1000}]
STIMULI = [{"name": "stim", "k": 1000}]
FIBERS = [{"from": "stim", "to": "A"}, {"from": "A", "to": "A"}]


def scheduled(backend, out, threads):
    with brainsim.Simulator(EXPERIMENT, backend=backend, out=out,
                            threads=threads) as sim:
        t0, c0 = time.perf_counter(), time.process_time()
        sim.run()
        return (time.perf_counter() - t0, time.process_time() - c0,
                sim.winners("A"), sim.steps_done)


def interactive(backend, out, threads):
    with brainsim.Simulator(areas=AREAS, stimuli=STIMULI, fibers=FIBERS,
                            seed=1, p=0.001, beta=0.05, backend=backend,
                            out=out, threads=threads) as sim:
        t0, c0 = time.perf_counter(), time.process_time()
        sim.project(["stim->A"])
        for _ in range(24):
            sim.project(["stim->A", "A->A"], rounds=1)
        return (time.perf_counter() - t0, time.process_time() - c0,
                sim.winners("A"), sim.steps_done)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="runs of each")
    ap.add_argument("-b", default="cpu", help="backend (cpu, cuda, auto)")
    ap.add_argument("-t", type=int, default=0, help="OpenMP threads")
    ap.add_argument("-o", default=None, help="directory for output files")
    a = ap.parse_args()
    times = {"scheduled": [], "interactive": []}
    cpu = {"scheduled": [], "interactive": []}
    final = {}
    for i in range(a.n):
        for name, fn in (("scheduled", scheduled),
                         ("interactive", interactive)):
            out = os.path.join(a.o, f"{name}{i}.h5") if a.o else None
            sec, csec, win, steps = fn(a.b, out, a.t)
            assert steps == 25, (name, steps)
            times[name].append(sec)
            cpu[name].append(csec)
            final[name] = win
            print(f"run {i} {name:11s} {sec:.3f} s wall, {csec:.3f} s CPU",
                  flush=True)
    same = np.array_equal(final["scheduled"], final["interactive"])
    for name, t in times.items():
        print(f"{name:11s}: best {min(t):.3f} s, median "
              f"{statistics.median(t):.3f} s over {len(t)} runs "
              f"({25 / min(t):.2f} steps/s at best); CPU best "
              f"{min(cpu[name]):.3f} s, median "
              f"{statistics.median(cpu[name]):.3f} s")
    ratio = min(times["interactive"]) / min(times["scheduled"])
    med = (statistics.median(times["interactive"]) /
           statistics.median(times["scheduled"]))
    print(f"interactive / scheduled: {ratio:.3f} (best), {med:.3f} (median)")
    print(f"interactive / scheduled, CPU time: "
          f"{min(cpu['interactive']) / min(cpu['scheduled']):.3f} (best), "
          f"{statistics.median(cpu['interactive']) / statistics.median(cpu['scheduled']):.3f} (median)")
    print(f"final winners equal: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
