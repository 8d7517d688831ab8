"""A brain.py program at two scales: n = 10^5 on the CPU, and n = 10^8 (or
more) on a GPU, with the same code.  The only brainsim-specific line is the
import; the backend, the sizes and the output file are brainsim's own
keywords of Brain.

    python3 python/examples/brain_scale.py                       # 1e5, CPU
    python3 python/examples/brain_scale.py --n 1e8 --backend cuda
    mpirun -np 4 python3 python/examples/brain_scale.py --n 4e9 --backend cuda

The area is explicit (add_explicit_area), so all n neurons run on the
backend.  k defaults to sqrt(n) and p to 10/k (a neuron receives about 10 synapses
from a firing set of k).  For each round it prints the support (brain.py's
saved_w) and the round's wall time.
"""
import argparse
import math
import time

import brainsim.brain as brain


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, default=1e5)
    ap.add_argument("--k", type=int, default=0, help="default: sqrt(n)")
    ap.add_argument("--p", type=float, default=0.0, help="default: 10 / k")
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--out", default=None, help="HDF5 output (optional)")
    args = ap.parse_args()
    n = int(args.n)
    k = args.k or int(round(math.sqrt(n)))
    p = args.p or min(1.0, 10.0 / k)

    b = brain.Brain(p, save_winners=False, seed=1, backend=args.backend,
                    out=args.out)
    b.add_stimulus("stim", k)
    # explicit: every neuron simulated, on the backend (add_area would
    # make brain.py's lazy area, which runs on the host)
    b.add_explicit_area("A", n, k, args.beta)
    t = time.perf_counter()
    b.project({"stim": ["A"]}, {})
    times = [time.perf_counter() - t]
    support = [b.areas["A"].get_num_ever_fired()]   # w is n when explicit
    for _ in range(args.rounds - 1):
        t = time.perf_counter()
        b.project({"stim": ["A"]}, {"A": ["A"]})
        times.append(time.perf_counter() - t)
        support.append(b.areas["A"].get_num_ever_fired())
    area = b.areas["A"]
    last = area.winners
    print(f"n = {n}, k = {k}, p = {p:.3g}, beta = {args.beta}, backend "
          f"{b.simulator.backend}")
    for r, (w, s) in enumerate(zip(support, times)):
        print(f"round {r:3d}: support {w:>10d}   {s * 1e3:9.2f} ms")
    print(f"new winners in the last round: {area.num_first_winners}; "
          f"mean round after the first: "
          f"{sum(times[1:]) / max(1, len(times) - 1) * 1e3:.2f} ms; "
          f"{len(last)} winners")
    b.close()


if __name__ == "__main__":
    main()
