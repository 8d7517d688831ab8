"""brainsim.Simulator: a thin ctypes wrapper over libbrainsim (the C API of
include/brainsim.h).

    with brainsim.Simulator("examples/projection.yaml") as sim:
        while sim.step():
            print(sim.steps_done, sim.support("A"))

Contract:
- The library is located on first construction (search order in
  brainsim._clib: BRAINSIM_LIBRARY first); LibraryNotFoundError (an
  ImportError) if it cannot be, naming every place tried.
- `experiment` is a path (str or os.PathLike) or a YAML text.  A str is
  taken as text when it contains a newline or names no existing file,
  except that a one-line str ending in .yaml/.yml that names no file raises
  FileNotFoundError (a mistyped path, not an experiment).  None means the
  built-in default experiment (examples/projection.yaml).
- Errors of the C API raise BrainsimError (a RuntimeError) with the
  library's message; a malformed experiment raises ExperimentError, which
  is also a ValueError.  Bad Python arguments raise ValueError/TypeError,
  unknown areas KeyError listing the areas, use after close() ValueError.
- Each Simulator owns one bs_sim; two in one process are independent.
  MPI is initialised once by the library.  Under mpirun every rank must
  construct, step and close its Simulators collectively, in the same order.
  When step(), run() or checkpoint() fails on one of several ranks with
  BS_ERR_MPI (this rank failed inside a collective the others may still
  wait in, such as a write of the output), the job cannot continue: the
  message goes to stderr and the whole job is ended (bs_abort), as the
  brainsim command does, instead of raising.
- close() (or leaving the `with` block) destroys the simulator, flushing
  and closing its output file; a Simulator that is garbage collected or
  still open at interpreter exit is closed then (weakref.finalize).
- checkpoint() and Simulator.resume() bind bs_checkpoint / bs_resume on
  first use: with a libbrainsim that lacks them they raise
  NotImplementedError naming the library, and nothing else is affected;
  so do apply() and its conveniences (bs_apply), weights() (bs_weights)
  and inputs() (bs_inputs).
- Interactive use: Simulator(areas=..., stimuli=..., fibers=...) builds an
  experiment without a schedule; apply(op) (and project, fix, unfix,
  set_assembly, fire, fire_subset, reset, inhibit, disinhibit, snapshot,
  plasticity) runs one operation now through libbrainsim's driver and
  appends it to the schedule, so the output and checkpoints record what
  ran.  A bad operation raises ExperimentError (malformed: an unknown
  operation or name, a wrong type, more than k ids) or BrainsimError
  (status ERR_STATE: a project from an area without winners, fix of an
  area without an assembly), and leaves the simulator unchanged and
  usable; an unknown area raises KeyError before the call.
- Lazy areas ({"name": "L", "n": 10**9, "k": 10**4, "lazy": True}, or
  `lazy: true` in a file): only neurons that have fired exist
  (doc/design.md, "Lazy areas"); winners() gives their global ids like
  any area's, support_ids() the support in firing order.  Under MPI
  the calls are collective and rank 0's operation is the one every rank
  applies (bs_apply); the KeyError checks run on each rank's own
  arguments, so pass the same names on every rank.  winners() is valid
  after every call.
- One thread at a time: step(), run(), checkpoint(), apply() (and the
  operations built on it), winners(), support(), weights(), inputs() and
  close() hold the Simulator's lock (the C library is
  single-threaded per simulator); a call while another thread is inside
  one raises SimulatorBusyError (a RuntimeError) and changes nothing.
- Integer arguments are checked against their C types and brainsim's
  limits (threads 0..4096, plastic_capacity and step(n) 0..2**64-1,
  keep_checkpoints 0..1000): ValueError, never a silent wrap.  Texts and
  paths with a NUL character raise ValueError (C would cut them there).
"""
import contextlib
import ctypes
import os
import sys
import threading
import weakref

import numpy as np

from . import _clib
from . import operations
from .errors import Status, error_for
from .reader import Area, parse_experiment

_ERR_BYTES = 4096
_U64_MAX = (1 << 64) - 1


class SimulatorBusyError(RuntimeError):
    """A Simulator was called while another thread is inside a call."""


def _int_in(name, value, lo, hi):
    """int(value) when it lies in lo..hi, else ValueError naming it."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = value.__index__()
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {v}")
    return v


def _no_nul(what, data):
    """data (str or bytes) unless it holds a NUL, where C would cut it."""
    nul = "\0" if isinstance(data, str) else b"\0"
    if nul in data:
        raise ValueError(f"{what} contains a NUL character at offset "
                         f"{data.index(nul)}")
    return data


def _n_ranks(lib):
    """Ranks of the job (bs_world; MPI runs once a Simulator exists), 1 when
    they cannot be known."""
    fn = getattr(lib, "bs_world", None)
    if fn is None:
        return 1
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    rank, size = ctypes.c_int(0), ctypes.c_int(1)
    return size.value if fn(ctypes.byref(rank), ctypes.byref(size)) == 0 else 1


def _destroy(lib, handle):
    """Finalizer: bs_destroy on the handle (a c_void_p) if still live."""
    if handle.value:
        lib.bs_destroy(ctypes.byref(handle))


def _resolve_experiment(experiment):
    """(path_bytes or None, text or None) for bs_create_from_*."""
    if experiment is None:
        return None, None
    if isinstance(experiment, os.PathLike):
        if not os.path.exists(experiment):
            raise FileNotFoundError(2, "No such experiment file",
                                    os.fspath(experiment))
        return os.fsencode(experiment), None
    if not isinstance(experiment, str):
        raise TypeError("experiment is a path, a YAML text or None, got "
                        f"{type(experiment).__name__}")
    if "\n" not in experiment:
        if os.path.isfile(experiment):
            return os.fsencode(experiment), None
        if experiment.strip().endswith((".yaml", ".yml")):
            raise FileNotFoundError(2, "No such experiment file", experiment)
    return None, experiment


def _area_sizes(path, text):
    """{area name: n} from the experiment as PyYAML reads it; {} when it
    cannot be read (n is then None in Simulator.areas)."""
    try:
        if path is not None:
            with open(os.fsdecode(path), encoding="utf-8") as f:
                text = f.read()
        exp = parse_experiment(text) if text is not None else None
        return {str(a["name"]): int(a["n"]) for a in exp["areas"]}
    except Exception:
        return {}


class Simulator:
    """A running experiment.  Parameters:

    experiment        path, YAML text, or None (built-in default)
    backend           "auto" (CUDA when usable, else CPU), "cpu" or "cuda"
    out               output HDF5 file path, or None for no file
    plastic_capacity  initial reservation of potentiated synapses per fiber
                      and rank (0: planned from the schedule); the stores
                      grow between steps as needed
    threads           OpenMP threads per rank (0: the runtime's default)
    quiet             True: no log lines on stderr
    keep_checkpoints  checkpoints kept by checkpoint(): path, path.1, ...
                      (0 means 1; ignored by libraries without checkpoints)
    areas, stimuli, fibers   (keywords) lists of dicts as in an experiment
                      file ({"name": "A", "n": 1000, "k": 30}, {"name":
                      "s", "k": 30}, {"from": "s", "to": "A"}): the
                      experiment is built from them, without a schedule
                      (experiment must be None); seed, p and beta are its
                      seed and defaults.  Operations are then applied one
                      at a time (apply, project, ...).

    Read-only attributes: areas (dict name -> Area; n is None where the
    experiment could not be read here), backend, fallback_reason,
    steps_done, steps_total, out, closed.
    """

    def __init__(self, experiment=None, backend="auto", out=None,
                 plastic_capacity=0, threads=0, quiet=True,
                 keep_checkpoints=0, *, areas=None, stimuli=None,
                 fibers=None, seed=1, p=None, beta=None):
        if areas is not None:
            if experiment is not None:
                raise ValueError("give either an experiment or areas (with "
                                 "stimuli and fibers), not both")
            experiment = operations.experiment(areas, stimuli, fibers, seed,
                                               p, beta)
        elif stimuli is not None or fibers is not None:
            raise ValueError("stimuli and fibers need areas")
        path, text = _resolve_experiment(experiment)
        opt = self._prepare(backend, out, plastic_capacity, threads, quiet,
                            keep_checkpoints)
        lib = self._lib
        if text is not None:
            data = _no_nul("the experiment text", text).encode("utf-8")
            self._create(lambda h, err, n: lib.bs_create_from_text(
                data, b"<text>", opt, h, err, n))
        else:
            _no_nul("the experiment path", path or b"")
            self._create(lambda h, err, n: lib.bs_create_from_file(
                path, opt, h, err, n))
        self._describe(_area_sizes(path, text))

    @classmethod
    def resume(cls, checkpoint, experiment=None, backend="auto", out=None,
               plastic_capacity=0, threads=0, quiet=True, keep_checkpoints=0):
        """A Simulator continuing from the checkpoint file `checkpoint`
        (bs_resume), on any number of ranks.  `experiment` (a path, or None
        for the one stored in the checkpoint) may only extend the schedule.
        An existing `out` file is continued from the checkpoint's step.
        NotImplementedError when libbrainsim has no bs_resume;
        BrainsimError (status ERR_CHECKPOINT) for an invalid checkpoint."""
        ckpt = _no_nul("the checkpoint path", os.fspath(checkpoint))
        if not os.path.exists(ckpt):
            raise FileNotFoundError(2, "No such checkpoint file", ckpt)
        exp = None
        if experiment is not None:
            exp, text = _resolve_experiment(experiment)
            if exp is None:
                raise ValueError("resume takes the experiment as a path, "
                                 "not a YAML text")
        self = cls.__new__(cls)
        opt = self._prepare(backend, out, plastic_capacity, threads, quiet,
                            keep_checkpoints)
        fn = self._optional("bs_resume", "resuming from checkpoints")
        self._create(lambda h, err, n: fn(os.fsencode(ckpt), exp, opt, h,
                                          err, n))
        self._describe(_area_sizes(exp, None) if exp else {})
        return self

    def _prepare(self, backend, out, plastic_capacity, threads, quiet,
                 keep_checkpoints):
        """Checks the arguments, loads the library; returns bs_options."""
        if backend not in _clib.BACKENDS:
            raise ValueError(f"backend must be one of "
                             f"{', '.join(_clib.BACKENDS)}; got {backend!r}")
        threads = _int_in("threads", threads, 0, 4096)
        plastic_capacity = _int_in("plastic_capacity", plastic_capacity, 0,
                                   _U64_MAX)
        keep_checkpoints = _int_in("keep_checkpoints", keep_checkpoints, 0,
                                   1000)
        if out is not None:
            _no_nul("the output path", os.fspath(out))
        self._lock = threading.Lock()
        self._lib = lib = _clib.library()
        self._handle = ctypes.c_void_p()
        self._finalizer = weakref.finalize(self, _destroy, lib, self._handle)
        self.out = None if out is None else os.fspath(out)
        opt = _clib.Options()
        lib.bs_options_init(ctypes.byref(opt))
        opt.backend = _clib.BACKENDS[backend]
        opt.n_threads = int(threads)
        opt.plastic_capacity = int(plastic_capacity)
        opt.quiet = 1 if quiet else 0
        opt.keep_checkpoints = int(keep_checkpoints)
        self._out_bytes = None if out is None else os.fsencode(self.out)
        opt.out_path = self._out_bytes
        return ctypes.byref(opt)

    def _create(self, call):
        """Runs call(handle_ref, err, err_len) -> bs_status; raises the
        error of a failed status with the err message."""
        err = ctypes.create_string_buffer(_ERR_BYTES)
        st = call(ctypes.byref(self._handle), err, _ERR_BYTES)
        if st != 0:
            self._finalizer.detach()
            raise self._error(st, err.value.decode("utf-8", "replace"))

    def _describe(self, sizes):
        lib, h = self._lib, self._handle
        self.areas = {}
        for i in range(lib.bs_n_areas(h)):
            name = lib.bs_area_name(h, i).decode("utf-8")
            self.areas[name] = Area(name, sizes.get(name),
                                    int(lib.bs_area_k(h, i)))
        self.backend = lib.bs_backend_name(h).decode()
        self.fallback_reason = lib.bs_fallback_reason(h).decode()

    def _optional(self, name, what):
        fn = _clib.optional(self._lib, name)
        if fn is None:
            raise NotImplementedError(
                f"{what} needs {name}, which {_clib.describe(self._lib)} "
                "does not provide; use a newer libbrainsim")
        return fn

    # -- errors and lifetime ----------------------------------------------
    def _error(self, status, message=None):
        name = self._lib.bs_strerror(status).decode()
        if message is None:
            message = self._lib.bs_error(self._handle).decode("utf-8", "replace")
        return error_for(status, message or name, name)

    def _failed(self, status):
        """The BrainsimError of a failed step(), run() or checkpoint(); on
        one of several ranks a BS_ERR_MPI ends the job instead (bs_abort;
        include/brainsim.h, bs_step): the other ranks may be waiting for
        this one in a collective call that it will never make."""
        err = self._error(status)
        abort = getattr(self._lib, "bs_abort", None)
        if status == Status.ERR_MPI and abort and _n_ranks(self._lib) > 1:
            sys.stderr.write(f"brainsim: error on a rank: {err}\n")
            sys.stderr.flush()
            abort.restype, abort.argtypes = None, [ctypes.c_int]
            abort(1)
        return err

    @contextlib.contextmanager
    def _exclusive(self, what):
        """Holds the Simulator's lock for one call; SimulatorBusyError when
        another thread holds it."""
        if not self._lock.acquire(blocking=False):
            raise SimulatorBusyError(
                f"brainsim.Simulator.{what}: another thread is inside a call "
                "on this Simulator (step, run, checkpoint, apply and the "
                "operations, winners, support, weights, inputs or close); a "
                "Simulator serves one thread at a time")
        try:
            yield
        finally:
            self._lock.release()

    def _sim(self):
        if not self._handle.value:
            raise ValueError("the brainsim Simulator is closed")
        return self._handle

    def close(self):
        """Destroys the simulator (collective under MPI), flushing and
        closing its output file.  Idempotent; SimulatorBusyError while
        another thread is inside a call on it."""
        with self._exclusive("close()"):
            self._finalizer()

    @property
    def closed(self):
        return not self._handle.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self.closed:
            return "<brainsim.Simulator (closed)>"
        return (f"<brainsim.Simulator: step {self.steps_done}/"
                f"{self.steps_total}, areas {list(self.areas)}, "
                f"backend {self.backend}>")

    # -- stepping ---------------------------------------------------------
    def step(self, n=1):
        """Advances up to n steps of the schedule (applying fix, inhibit,
        ... operations on the way) and returns the steps taken: fewer than
        n, 0 included, at the schedule's end.  BrainsimError on failure;
        the simulator keeps its last consistent state."""
        n = _int_in("n", n, 0, _U64_MAX)
        done = ctypes.c_uint64(0)
        with self._exclusive("step()"):
            st = self._lib.bs_step(self._sim(), n, ctypes.byref(done))
        if st != 0:
            raise self._failed(st)
        return int(done.value)

    def run(self):
        """Runs the schedule to its end; returns the steps taken."""
        before = self.steps_done
        with self._exclusive("run()"):
            st = self._lib.bs_run(self._sim())
        if st != 0:
            raise self._failed(st)
        return self.steps_done - before

    @property
    def steps_done(self):
        return int(self._lib.bs_steps_done(self._sim()))

    @property
    def steps_total(self):
        return int(self._lib.bs_steps_total(self._sim()))

    # -- state ------------------------------------------------------------
    def _area(self, area):
        if area not in self.areas:
            raise KeyError(f"no area {area!r}; areas: " + ", ".join(self.areas))
        return area.encode("utf-8")

    def winners(self, area):
        """The current winners of `area`: a new uint64 array of its k ids,
        ascending, or of length 0 when the area has not fired yet.  After
        step() they are the winners that step recorded, except where the
        schedule replaces the area's assembly (set_assembly, fire_subset,
        reset) before the next step: libbrainsim may already have applied
        those operations."""
        name = self._area(area)
        ids = np.empty(self.areas[area].k, dtype=np.uint64)
        n = ctypes.c_size_t(0)
        with self._exclusive("winners()"):
            st = self._lib.bs_winners(
                self._sim(), name,
                ids.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)),
                ids.size, ctypes.byref(n))
        if st != 0:
            raise self._error(st)
        return ids if n.value == ids.size else ids[:n.value].copy()

    def support(self, area):
        """Distinct neurons of `area` that have fired so far (an int)."""
        name = self._area(area)
        out = ctypes.c_uint64(0)
        with self._exclusive("support()"):
            st = self._lib.bs_support(self._sim(), name, ctypes.byref(out))
        if st != 0:
            raise self._error(st)
        return int(out.value)

    def support_ids(self, area):
        """The support of lazy area `area` (`lazy: true`): a new uint64
        array of the global ids of its neurons that have fired, in the
        order they first fired (position i is brain.py's index i).
        BrainsimError (invalid argument) for an explicit area."""
        name = self._area(area)
        fn = self._optional("bs_support_ids", "reading a lazy area's support")
        n = ctypes.c_size_t(0)
        ids = np.empty(self.support(area), dtype=np.uint64)
        with self._exclusive("support_ids()"):
            st = fn(self._sim(), name,
                    ids.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)),
                    ids.size, ctypes.byref(n))
        if st != 0:
            raise self._error(st)
        return ids[:n.value]

    def checkpoint(self, path):
        """Writes a checkpoint of the current state to `path` (collective).
        NotImplementedError when the loaded libbrainsim has no
        bs_checkpoint; BrainsimError when writing fails."""
        fn = self._optional("bs_checkpoint", "checkpoint()")
        path = _no_nul("the checkpoint path", os.fspath(path))
        with self._exclusive("checkpoint()"):
            st = fn(self._sim(), os.fsencode(path))
        if st != 0:
            raise self._failed(st)

    # -- operations applied one at a time ---------------------------------
    def apply(self, op):
        """Runs one schedule operation now and appends it to the schedule
        (bs_apply): `op` is its YAML text ("fix: A", "project: {fibers:
        [s->A], rounds: 2}") or a one-key dict ({"fix": "A"}), written in
        YAML flow style.  A project takes its rounds before this returns.
        Returns the steps taken.  ExperimentError for a malformed
        operation, BrainsimError (ERR_STATE) for one the state refuses;
        the simulator is then unchanged."""
        text = operations.operation(op)
        if "\0" in text:
            raise ValueError("apply(): the operation holds a NUL character")
        fn = self._optional("bs_apply", "apply()")
        before = self.steps_done
        with self._exclusive("apply()"):
            st = fn(self._sim(), text.encode("utf-8"))
        if st != 0:
            raise self._failed(st)
        return self.steps_done - before

    def project(self, fibers=None, rounds=1):
        """Projects along `fibers` (a list of names such as "s->A"; None:
        every fiber) for `rounds` steps; returns the steps taken."""
        args = {"rounds": int(rounds)}
        if fibers is not None:
            if isinstance(fibers, str):
                raise TypeError("fibers is a list of fiber names, such as "
                                "['s->A', 'A->A']")
            args = {"fibers": [str(f) for f in fibers], **args}
        return self.apply({"project": args})

    def fix(self, area):
        """Fixes `area`: its winners stop changing."""
        self._area(area)
        return self.apply({"fix": area})

    def unfix(self, area):
        self._area(area)
        return self.apply({"unfix": area})

    def reset(self, area):
        """Leaves `area` without winners (and unfixed)."""
        self._area(area)
        return self.apply({"reset": area})

    def inhibit(self, name):
        """Inhibits an area or a fiber (it takes no part in steps)."""
        return self.apply({"inhibit": str(name)})

    def disinhibit(self, name):
        return self.apply({"disinhibit": str(name)})

    def set_assembly(self, area, neurons=None, *, random=False, fix=False):
        """Makes `neurons` (1..k distinct ids) or, with random=True, k ids
        drawn from the seed the winners of `area` (fixed too with
        fix=True); they count into the support."""
        self._area(area)
        if (neurons is None) == (not random):
            raise ValueError("give neurons or random=True, not both")
        args = {"area": area}
        if random:
            args["random"] = True
        else:
            args["neurons"] = [int(i) for i in np.asarray(neurons).ravel()]
        if fix:
            args["fix"] = True
        return self.apply({"set_assembly": args})

    def fire(self, area, neurons):
        """Makes `neurons` (1..k distinct ids, a list or numpy array) the
        firing set of `area` for the next step (not fixed; a fixed area
        stays fixed with them); they count into the support."""
        self._area(area)
        ids = [int(i) for i in np.asarray(neurons).ravel()]
        return self.apply({"fire": {"area": area, "neurons": ids}})

    def fire_subset(self, area, fraction):
        """`area` fires round(fraction k) of its winners, drawn from the
        seed, in the next step."""
        self._area(area)
        return self.apply({"fire_subset": {"area": area,
                                           "fraction": float(fraction)}})

    def snapshot(self, area, name):
        """Saves the current winners of `area` under `name` (for the
        experiment's expectations and the recorded experiment)."""
        self._area(area)
        return self.apply({"snapshot": {"area": area, "name": str(name)}})

    def plasticity(self, on=None, *, fiber=None, area=None, beta=None):
        """plasticity(False) / plasticity(True): every fiber's beta 0, or
        its own again; plasticity(fiber="A->B", beta=0.1): one fiber's
        beta; plasticity(area="A", beta=0.1): the default beta of the
        fibers into A that have none of their own."""
        if on is not None:
            if fiber is not None or area is not None or beta is not None:
                raise ValueError("plasticity(on) takes no fiber, area or beta")
            return self.apply("plasticity: " + ("on" if on else "off"))
        if (fiber is None) == (area is None) or beta is None:
            raise ValueError("give on, or beta with exactly one of fiber "
                             "and area")
        if area is not None:
            self._area(area)
        key, name = ("fiber", fiber) if fiber is not None else ("area", area)
        return self.apply({"plasticity": {key: str(name),
                                          "beta": float(beta)}})

    # -- weights ------------------------------------------------------------
    def weights(self, fiber, src, tgt):
        """The current weight of each synapse (src[i], tgt[i]) of `fiber`
        (0 where there is no edge): a float64 array (bs_weights)."""
        fn = self._optional("bs_weights", "weights()")
        s = np.ascontiguousarray(np.asarray(src, dtype=np.uint64).ravel())
        t = np.ascontiguousarray(np.asarray(tgt, dtype=np.uint64).ravel())
        if s.size != t.size:
            raise ValueError(f"src and tgt differ in length ({s.size}, "
                             f"{t.size})")
        out = np.zeros(s.size, dtype=np.float64)
        u64 = ctypes.POINTER(ctypes.c_uint64)
        with self._exclusive("weights()"):
            st = fn(self._sim(), str(fiber).encode("utf-8"), s.size,
                    s.ctypes.data_as(u64), t.ctypes.data_as(u64),
                    out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        if st != 0:
            raise self._failed(st)
        return out

    def inputs(self, fiber, tgt):
        """The input each target in `tgt` receives through `fiber` from its
        source's current firing set: a float64 array (bs_inputs)."""
        fn = self._optional("bs_inputs", "inputs()")
        t = np.ascontiguousarray(np.asarray(tgt, dtype=np.uint64).ravel())
        out = np.zeros(t.size, dtype=np.float64)
        with self._exclusive("inputs()"):
            st = fn(self._sim(), str(fiber).encode("utf-8"), t.size,
                    t.ctypes.data_as(ctypes.POINTER(ctypes.c_uint64)),
                    out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)))
        if st != 0:
            raise self._failed(st)
        return out
