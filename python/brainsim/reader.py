"""Reading brainsim output files (run.h5) with h5py.

    import brainsim
    with brainsim.open("run.h5") as run:
        w = run.winners("A")[3:7]        # reads rows 3..6 only, [4, k] uint64
        all_w = np.asarray(run.winners("A"))   # every complete row

Contract:
- open(path) reads a file written by ``brainsim run`` (or a Simulator with
  ``out=``) on any number of ranks: the arrays are identical whatever the
  ranks, threads or backend.  Layout: src/io.h.
- Steps are numbered from 0, as everywhere in brainsim: row t of every
  per-step dataset (winners, inputs, support, schedule, metrics) holds
  step t, the step the command's messages call "step t"; ``steps`` and
  steps_complete are counts (rows).
- Only the first ``steps`` rows are read, where steps is the root attribute
  steps_complete, clipped to the extent of every dataset.  So a file of a
  run that is still going, or that was stopped or killed, reads as the
  prefix that was flushed (the writer flushes every block of up to 64
  steps and at the end).  Files are opened without HDF5 file locking so
  that a run in progress can be read; each access reads what is on disk
  then, and ``steps`` is fixed when the file is opened.
- Winners rows are sorted ascending.  A row of an area that has not fired
  yet is all PAD (UINT64_MAX); an area with fewer than k winners (after a
  fire_subset, say) has its ids first, then PAD.  fired(area) says which
  rows hold any winners, and brainsim.analysis ignores PAD entries, so
  all-PAD rows are empty sets.  Inputs in PAD places are 0.
- Errors: FileNotFoundError (no such path), ValueError("... is not a
  brainsim file") for a file that is not HDF5 or not a brainsim output
  (a checkpoint gets its own message), KeyError listing the areas for an
  unknown area name, ValueError after close().
"""
import builtins
import dataclasses
import os
import re
from typing import Optional

import h5py
import numpy as np

PAD = np.uint64(0xFFFFFFFFFFFFFFFF)   # winners of an area that has not fired
FORMAT = "brainsim-output"
CHECKPOINT_FORMAT = "brainsim-checkpoint"
FORMAT_VERSION = 3                    # the newest format_version understood
# (2: string attributes are fixed-length UTF-8, which h5py returns as numpy
# bytes; 1: variable-length, returned as str.  Both are read.)
PHASES = ("accumulate", "topk", "merge", "plasticity", "record", "agree")
FIXED_POINT_ONE = 65536               # inputs are Q16.16


@dataclasses.dataclass(frozen=True)
class Area:
    """An area: its name, n neurons (None where unknown) and cap k."""
    name: str
    n: Optional[int]
    k: int


def _text(value):
    """An HDF5 string attribute or dataset value as str: fixed-length
    strings (numpy bytes, NUL padding already stripped) are decoded as
    UTF-8, variable-length ones (str) are kept."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def parse_experiment(text):
    """The experiment text parsed with PyYAML (safe_load), or the text
    itself when PyYAML is missing or the text does not parse.  Can't fail."""
    try:
        import yaml
        return yaml.safe_load(text)
    except Exception:   # ImportError or a YAML error: keep the raw text
        return text


def _areas_section(text):
    """{"areas": [...]} parsed from the top-level `areas:` block of an
    experiment text alone (a schedule of 10^6 operations makes a full parse
    take minutes), or the whole text parsed when that block cannot be cut
    out.  Can't fail."""
    lines = text.splitlines(keepends=True)
    top = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*:")
    for i, line in enumerate(lines):
        if line.startswith("areas") and top.match(line):
            j = i + 1
            while j < len(lines) and not top.match(lines[j]):
                j += 1
            section = parse_experiment("".join(lines[i:j]))
            if isinstance(section, dict) and "areas" in section:
                return section
            break
    return parse_experiment(text)


def _area_order(experiment, names):
    """Area names in experiment order where known, else sorted."""
    try:
        listed = [a["name"] for a in experiment["areas"]]
    except (TypeError, KeyError, IndexError):
        listed = []
    if sorted(listed) == sorted(names):
        return listed
    return sorted(names)


def open(path):   # noqa: A001 - the package's public name, like h5py.File
    """Opens a brainsim output file and returns a Run, or a checkpoint and
    returns a brainsim.checkpoint.Checkpoint (both context managers).

    Raises FileNotFoundError for a missing path, IsADirectoryError for a
    directory, PermissionError when unreadable, ValueError("PATH is not a
    brainsim file ...") for anything that is neither, and ValueError for a
    format newer than this reader.
    """
    path = os.fspath(path)
    _check_path(path)
    with _h5open(path) as f:
        fmt = _text(f.attrs["format"]) if "format" in f.attrs else None
        version = int(f.attrs.get("format_version", 1))
    if fmt == CHECKPOINT_FORMAT:
        if version > FORMAT_VERSION:
            raise ValueError(f"{path}: brainsim checkpoint format_version "
                             f"{version} is newer than this reader "
                             f"({FORMAT_VERSION}); upgrade the brainsim "
                             "Python package")
        from .checkpoint import open_checkpoint
        return open_checkpoint(path)
    return Run(path)


def _check_path(path):
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a directory", path)
    if not os.access(path, os.R_OK):
        raise PermissionError(13, "Permission denied", path)
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not a brainsim file (not an HDF5 file)")


def _h5open(path):
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:   # h5py < 3.5 has no locking argument
        return h5py.File(path, "r")


def _check_format(path, f):
    fmt = _text(f.attrs["format"]) if "format" in f.attrs else None
    if fmt == CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a brainsim output file: it is a "
                         "brainsim checkpoint (format 'brainsim-checkpoint'); "
                         "brainsim.open reads run outputs (run.h5)")
    if fmt != FORMAT:
        what = "no root attribute 'format'" if fmt is None else f"format {fmt!r}"
        raise ValueError(f"{path} is not a brainsim file (an HDF5 file with "
                         f"{what}, expected {FORMAT!r})")
    version = int(f.attrs.get("format_version", 1))
    if version > FORMAT_VERSION:
        raise ValueError(f"{path}: brainsim output format_version {version} "
                         f"is newer than this reader ({FORMAT_VERSION}); "
                         "upgrade the brainsim Python package")
    for name in ("areas", "experiment", "schedule", "metrics"):
        if name not in f:
            raise ValueError(f"{path} is not a valid brainsim file: /{name} "
                             "is missing")


class _File:
    """What an open brainsim file shares (Run, Checkpoint): the parsed
    experiment on first use, close, closed and the with-statement; the
    subclass sets _f, _experiment and experiment_text."""

    @property
    def experiment(self):
        """The experiment, parsed by PyYAML on first use (or the text)."""
        if self._experiment is None:
            self._experiment = parse_experiment(self.experiment_text)
        return self._experiment

    def close(self):
        """Closes the file; later reads raise ValueError.  Idempotent."""
        if self._f is not None:
            self._f.close()
            self._f = None

    @property
    def closed(self):
        return self._f is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Run(_File):
    """An open output file.  Attributes (fixed at open):

    path, version (brainsim version that wrote it), format_version, seed,
    n_ranks, backend ("cpu"/"cuda"), fallback_reason ("" if none),
    steps (complete rows readable), steps_total (steps of the schedule),
    experiment_text (str), experiment (dict parsed by PyYAML, or the text
    when PyYAML is unavailable), areas (dict name -> Area, experiment
    order), operations (list of str, one per schedule operation).
    Use as a context manager or call close().
    """

    def __init__(self, path):
        path = os.fspath(path)
        _check_path(path)
        self.path = path
        self._f = _h5open(path)
        try:
            _check_format(path, self._f)
            self._read_header()
        except BaseException:
            self._f.close()
            raise
        self._cache = {}

    def _read_header(self):
        f, a = self._f, self._f.attrs
        self.version = _text(a.get("brainsim_version", ""))
        self.format_version = int(a.get("format_version", 1))
        self.seed = int(a.get("seed", 0))
        self.n_ranks = int(a.get("n_ranks", 1))
        self.backend = _text(a.get("backend", ""))
        self.fallback_reason = _text(a.get("fallback_reason", ""))
        self.steps_total = int(a.get("steps_total", 0))
        self.experiment_text = _text(f["experiment"][()])
        self._experiment = None     # parsed on first use (large schedules)
        self.operations = [_text(s) for s in
                           f["schedule"].attrs.get("operations", [])]
        names = list(f["areas"].keys())
        self.areas = {}
        for name in _area_order(_areas_section(self.experiment_text), names):
            g = f["areas"][name]
            self.areas[name] = Area(name, int(g.attrs["n"]), int(g.attrs["k"]))
        extents = [f["schedule"].shape[0], f["metrics"].shape[0]]
        for name in names:
            extents += [f["areas"][name][d].shape[0]
                        for d in ("winners", "inputs", "support")]
        self.steps = min([int(a.get("steps_complete", 0))] + extents)

    def __repr__(self):
        state = "closed" if self.closed else f"{self.steps} steps"
        return (f"<brainsim.Run {self.path!r}: {state}, areas "
                f"{list(self.areas)}, {self.n_ranks} rank(s), {self.backend}>")

    def _file(self):
        if self._f is None:
            raise ValueError(f"brainsim run {self.path} is closed")
        return self._f

    def _dataset(self, area, name):
        if area not in self.areas:
            raise KeyError(f"no area {area!r} in {self.path}; areas: "
                           + ", ".join(self.areas))
        return self._file()["areas"][area][name]

    # -- per-area data ----------------------------------------------------
    def winners(self, area):
        """Lazy [steps, k] uint64 view of the winners of `area` (ascending
        ids per row, then PAD for missing winners: all PAD before the area
        first fires).  Index it to read rows; np.asarray() reads every
        complete row."""
        return Rows(self, self._dataset(area, "winners"), self.steps,
                    f"winners of area {area!r}")

    def inputs(self, area, raw=False):
        """Lazy [steps, k] view of the inputs of the winners: float64 in
        weight units (an unpotentiated synapse is 1.0), or with raw=True the
        stored uint64 Q16.16 integers (value * 65536)."""
        ds = self._dataset(area, "inputs")
        if raw:
            return Rows(self, ds, self.steps, f"inputs of area {area!r} (Q16.16)")
        return Rows(self, ds, self.steps, f"inputs of area {area!r}",
                    convert=_from_fixed_point, dtype=np.float64)

    def support(self, area):
        """[steps] uint64: distinct neurons of `area` that have fired by the
        end of each step."""
        return np.asarray(self._dataset(area, "support")[:self.steps],
                          dtype=np.uint64)

    def fired(self, area):
        """[steps] bool: whether `area` has any winners at each step (the
        rows of winners() where it is False are all PAD).  Reads one column."""
        ds = self._dataset(area, "winners")
        if self.steps == 0:
            return np.zeros(0, dtype=bool)
        return ds[:self.steps, 0] != PAD

    # -- per-step tables --------------------------------------------------
    @property
    def schedule(self):
        """[steps] structured array (step u64, op u32, round u64): what each
        step did, row t for step t (its `step` field is t, from 0); op
        indexes self.operations, round counts from 0 within it."""
        return self._table("schedule")

    @property
    def metrics(self):
        """[steps] structured array of per-step measurements: accumulate_s,
        topk_s, merge_s, plasticity_s, record_s, agree_s (float64 seconds,
        max over ranks; files of earlier builds lack agree_s) and
        synaptic_events (uint64)."""
        return self._table("metrics")

    def phase_seconds(self):
        """[steps, 6] float64 seconds per phase, columns in PHASES order (0
        for a phase that a file written before it existed lacks)."""
        m = self.metrics
        cols = [m[p + "_s"] if p + "_s" in m.dtype.names else
                np.zeros(len(m)) for p in PHASES]
        return np.stack(cols, axis=1) if len(m) \
            else np.zeros((0, len(PHASES)))

    def _table(self, name):
        if name not in self._cache:
            data = self._file()[name][:self.steps]
            native = np.dtype([(n, data.dtype[n].newbyteorder("="))
                               for n in data.dtype.names])
            self._cache[name] = data.astype(native)
        return self._cache[name].copy()


def _from_fixed_point(a):
    return a.astype(np.float64) / FIXED_POINT_ONE


class Rows:
    """A lazy, read-only [steps, k] view of one per-step dataset.

    Indexing reads only the rows asked for: an int (a row), a slice (any
    step, negative too), a sequence or array of row indices, a bool mask of
    length steps, optionally followed by a column index as in numpy
    (``rows[2:5, :10]``).  Rows at or beyond ``len(self)`` (steps not
    complete) are out of range.  np.asarray(rows) reads every row; iterating
    yields rows, reading in blocks.  Raises IndexError / TypeError as numpy
    would, ValueError once the run is closed.
    """

    _BLOCK_ROWS = 1024

    def __init__(self, run, ds, n_rows, label, convert=None, dtype=None):
        self._run, self._ds, self._label = run, ds, label
        self._convert = convert
        self.shape = (n_rows,) + tuple(ds.shape[1:])
        self.dtype = np.dtype(dtype if dtype is not None else ds.dtype)

    ndim = property(lambda self: len(self.shape))

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return (f"<brainsim.Rows: {self._label}, shape {self.shape}, "
                f"{self.dtype}>")

    def _read(self, sel):
        self._run._file()   # raises ValueError when closed
        data = self._ds[sel]
        data = np.asarray(data, dtype=self._ds.dtype.newbyteorder("="))
        return self._convert(data) if self._convert else data

    def _rows(self, key):
        """Reads the rows selected by key; (data, is_single_row)."""
        n = len(self)
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"row {key} out of range for {n} steps "
                                 f"({self._label})")
            return self._read(np.s_[i]), True
        if key is Ellipsis:
            key = slice(None)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step > 0:
                if start >= stop:
                    return self._read(np.s_[0:0]), False
                return self._read(np.s_[start:stop:step]), False
            key = np.arange(start, stop, step)
        idx = np.asarray(key)
        if idx.dtype == bool:
            if idx.shape != (n,):
                raise IndexError(f"boolean index of shape {idx.shape} does "
                                 f"not match {n} steps")
            idx = np.flatnonzero(idx)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"rows of {self._label} are indexed by an int, a "
                            "slice, a 1-D integer array or a bool mask")
        idx = np.where(idx < 0, idx + n, idx).astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise IndexError(f"row index out of range for {n} steps "
                             f"({self._label})")
        if idx.size == 0:
            return self._read(np.s_[0:0]), False
        lo, hi = int(idx.min()), int(idx.max()) + 1
        uniq = np.unique(idx)
        if hi - lo <= 4 * uniq.size:           # dense: one contiguous read
            return self._read(np.s_[lo:hi])[idx - lo], False
        block = self._read(uniq.tolist())      # sparse: only those rows
        return block[np.searchsorted(uniq, idx)], False

    def __getitem__(self, key):
        rest = ()
        if isinstance(key, tuple):
            if not key:
                return self[...]
            key, rest = key[0], key[1:]
        data, single = self._rows(key)
        if not rest:
            return data
        return data[rest] if single else data[(slice(None),) + rest]

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError(f"{self._label} is read from the file: it "
                             "cannot be viewed without a copy")
        data = self[:]
        return data if dtype is None else data.astype(dtype, copy=False)

    def read(self):
        """Every complete row as a new ndarray (same as np.asarray)."""
        return self[:]

    def __iter__(self):
        for lo in builtins.range(0, len(self), self._BLOCK_ROWS):
            yield from self[lo:lo + self._BLOCK_ROWS]
