"""A program that decides from winners, for test_interactive.py: projects
a stimulus into A until A's winners stop changing, fixes A, projects into
B, then fires a random part of A's assembly with plasticity off.  Its
random choice is drawn from a generator seeded by the MPI rank, so the
ranks of a job draw different numbers: libbrainsim applies rank 0's
operation on every rank, and the job equals a one-rank run.

    python decide.py OUT.h5 [CHECKPOINT.h5]

Prints "decided: <steps> <settled at> <checksum of the last winners>".
"""
import os
import sys

import numpy as np

import brainsim

out = sys.argv[1]
ckpt = sys.argv[2] if len(sys.argv) > 2 else None
rank = int(os.environ.get("OMPI_COMM_WORLD_RANK",
                          os.environ.get("PMI_RANK", "0")))
rng = np.random.default_rng(1000 + rank)
areas = [{"name": "A", "n": 20000, "k": 100}, {"name": "B", "n": 8000,
                                               "k": 50, "beta": 0.05}]
fibers = [{"from": "s", "to": "A"}, {"from": "A", "to": "A"},
          {"from": "A", "to": "B"}, {"from": "B", "to": "B", "cap": 3.0}]
with brainsim.Simulator(areas=areas, stimuli=[{"name": "s", "k": 100}],
                        fibers=fibers, seed=3, p=0.02, beta=0.1, out=out,
                        backend="cpu", threads=1) as sim:
    sim.project(["s->A"])
    prev, settled = sim.winners("A"), 0
    for r in range(40):
        sim.project(["s->A", "A->A"])
        w = sim.winners("A")
        if np.array_equal(w, prev):
            settled = sim.steps_done
            break
        prev = w
    sim.fix("A")
    sim.project(["A->B"])
    sim.project(["A->B", "B->B"], rounds=4)
    sim.snapshot("B", "b_trained")
    if ckpt:
        sim.checkpoint(ckpt)
    sim.plasticity(False)
    sim.unfix("A")
    sim.fire("A", rng.choice(sim.winners("A"), 30, replace=False))
    sim.project(["A->B", "B->B"], rounds=2)
    sim.plasticity(True)
    sim.plasticity(area="B", beta=0.2)
    sim.project(["A->B", "B->B", "A->A"], rounds=2)
    last = sim.winners("B")
    print(f"decided: {sim.steps_done} {settled} {int(last.sum())}")
