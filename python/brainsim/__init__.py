"""brainsim: read, analyse and drive assembly-calculus simulations.

    import brainsim
    with brainsim.open("run.h5") as run:            # the reader (h5py)
        w = run.winners("A")[-1]
        brainsim.analysis.convergence_step(run.winners("A"))
    with brainsim.Simulator("exp.yaml") as sim:    # libbrainsim (ctypes)
        sim.run()

Modules: reader (open, Run, Rows, Area, PAD), analysis, simulator
(Simulator), operations (the YAML of experiments and operations that
Simulator sends), errors, plots and report (need matplotlib: the [plots]
extra), __main__ (``python -m brainsim report RUN.h5 -o DIR``).
Importing brainsim loads neither libbrainsim nor matplotlib.
"""
from . import analysis
from .errors import (BrainsimError, ExperimentError, LibraryNotFoundError,
                     Status)
from .reader import PAD, PHASES, Area, Rows, Run, open
from .simulator import Simulator, SimulatorBusyError
from .checkpoint import Checkpoint

__version__ = "0.1.0"

__all__ = ["open", "Run", "Rows", "Area", "PAD", "PHASES", "Simulator", "Checkpoint",
           "SimulatorBusyError",
           "BrainsimError", "ExperimentError", "LibraryNotFoundError",
           "Status", "analysis", "__version__"]
