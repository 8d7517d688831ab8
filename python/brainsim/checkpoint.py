"""brainsim checkpoint files (format 'brainsim-checkpoint', src/checkpoint.h),
read with h5py: brainsim.open(path) returns a Checkpoint for them.

A Checkpoint is a context manager with, fixed at open: path, version,
format_version, step (steps done, counted from 1 as the CLI does), op and
round (the schedule position), seed, n_ranks (that wrote it),
experiment_text, experiment (parsed by PyYAML on first use), areas (dict
name -> Area, experiment order) and fibers (list of names).  Reads, as
new numpy arrays: winners(area) (uint64 ids, ascending; length 0 when the
area had not fired), win_inputs(area, raw=False), fired(area) (every
neuron that has fired, ascending), synapses(fiber) (dict of source,
target uint64 and weight: float64, or the Q16.16 uint32 with raw=True).
The loader's checks (checksums, ranges) are brainsim's: this reader
trusts the file.
"""
import numpy as np

from .reader import Area, _File, _area_order, _h5open, _text


class Checkpoint(_File):
    def __init__(self, path, f):
        self.path, self._f = path, f
        a = f.attrs
        self.version = _text(a.get("brainsim_version", ""))
        self.format_version = int(a.get("format_version", 1))
        self.step = int(a.get("step", 0))
        self.op = int(a.get("op", 0))
        self.round = int(a.get("round", 0))
        self.seed = int(a.get("seed", 0))
        self.n_ranks = int(a.get("n_ranks", 1))
        self.experiment_text = _text(f["experiment"][()])
        self._experiment = None
        names = list(f["areas"].keys()) if "areas" in f else []
        self.areas = {}
        for name in _area_order(self.experiment, names):
            g = f["areas"][name]
            self.areas[name] = Area(name, int(g.attrs["n"]), int(g.attrs["k"]))
        self.fibers = list(f["fibers"].keys()) if "fibers" in f else []

    def __repr__(self):
        return (f"<brainsim.Checkpoint {self.path!r}: step {self.step}, "
                f"areas {list(self.areas)}, fibers {self.fibers}>")

    def _group(self, kind, name):
        if self._f is None:
            raise ValueError("the brainsim checkpoint is closed")
        known = self.areas if kind == "areas" else self.fibers
        if name not in known:
            raise KeyError(f"no {kind[:-1]} {name!r}; {kind}: "
                           + ", ".join(known))
        return self._f[kind][name]

    def winners(self, area):
        g = self._group("areas", area)
        if int(g.attrs.get("n_winners", 0)) == 0:
            return np.empty(0, dtype=np.uint64)
        return g["winners"][...].astype(np.uint64)

    def win_inputs(self, area, raw=False):
        g = self._group("areas", area)
        v = g["win_inputs"][...].astype(np.uint64)
        if int(g.attrs.get("n_winners", 0)) == 0:
            v = v[:0]
        return v if raw else v / 65536.0

    def fired(self, area):
        return self._group("areas", area)["ever_fired"][...].astype(np.uint64)

    def synapses(self, fiber, raw=False):
        g = self._group("fibers", fiber)
        w = g["weight"][...].astype(np.uint32)
        return {"source": g["source"][...].astype(np.uint64),
                "target": g["target"][...].astype(np.uint64),
                "weight": w if raw else w / 65536.0}


def open_checkpoint(path):
    """A Checkpoint for the brainsim checkpoint at path (the caller checked
    its format); ValueError when a part of the layout is missing."""
    f = _h5open(path)
    try:
        for name in ("experiment", "areas", "fibers"):
            if name not in f:
                raise ValueError(f"{path} is not a valid brainsim checkpoint:"
                                 f" /{name} is missing")
        return Checkpoint(path, f)
    except BaseException:
        f.close()
        raise
