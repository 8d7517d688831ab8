"""brainsim.brain: the public surface of the published simulator brain.py
(github dmitropolsky/assemblies), run by libbrainsim.

Programs written for brain.py run by changing one import:

    import brainsim.brain as brain          # was: import brain

    b = brain.Brain(0.01, save_winners=True)
    b.add_stimulus("stim", 100)
    b.add_area("A", 100000, 100, 0.05)
    b.project({"stim": ["A"]}, {})
    for _ in range(9):
        b.project({"stim": ["A"]}, {"A": ["A"]})
    print(b.area_by_name["A"].saved_w)      # the support after each round

What is the same as brain.py:
- Brain(p, save_size=True, save_winners=False, seed=0), add_stimulus,
  add_area, add_explicit_area (custom_inner_p, custom_out_p, custom_in_p),
  update_plasticity, update_plasticities, activate, project (and the older
  names: Brain.areas, Brain.stimuli, stimuli_connectomes, no_plasticity,
  Area.stimulus_beta / area_beta, update_stimulus_beta / update_area_beta).
- The fibers brain.py creates implicitly: every stimulus into every area,
  every area into every area (itself included), with the Brain's p (or the
  custom p of an explicit area), each with the target area's beta until
  changed.
- project's semantics: every area named as a target computes its k winners
  from the previous winners of its sources, all targets synchronously;
  fixed areas keep their winners; plasticity potentiates (firing source,
  new winner) synapses by (1 + beta) unless disable_plasticity is set.
  The errors: IndexError for an unknown stimulus or area, ValueError for a
  projection from an area without an assembly, or for fixing one.
- Area attributes: winners (readable and settable with 1..k ids: the firing
  set of the next projection; [] erases the assembly), w, saved_w,
  saved_winners (a row for each projection into the area), num_first_winners,
  fix_assembly(), unfix_assembly(), n, k, beta, fixed_assembly, explicit.
- connectomes[src][dst][i, j] and connectomes_by_stimulus[stim][area][j]
  read weights (the latter: the summed weight from all of the stimulus's
  neurons) through Simulator.weights / Simulator.inputs, never materialising
  an n x n matrix unless asked to (np.asarray of a whole view).

What differs (python/README.md has the figures):
- add_area areas are lazy, as brain.py's (brainsim's `lazy: true`,
  doc/design.md "Lazy areas"): only neurons that have fired exist; the
  best inputs of the never-fired ones are sampled from the exact binomial
  order statistics (brain.py: a truncated normal approximation).  Their
  winners are brain.py's indices: dense ids in first-firing order
  (ascending lists), mapped through Simulator.support_ids().
  add_explicit_area areas simulate all n neurons with brainsim's
  procedural connectivity; their winners are global ids in 0..n-1.  `w` of
  an add_area area is its support (neurons that have ever fired), as
  brain.py's lazy w; of an add_explicit_area area it is n, as in brain.py.
- A lazy area's winners can be set to neurons of its support (indices
  below w); before it has fired, to global ids in 0..n-1, which join its
  support as indices 0, 1, ... in ascending order.  Connectomes are
  read for explicit areas (a lazy target answers 0.0 where a neuron of
  the pair has not fired, with global ids).
- Randomness is brainsim's (counter-based, keyed by `seed`): the same seed
  gives the same run on every backend and rank count, but not brain.py's
  numbers.
- Weights are brainsim's fixed point (16 fractional bits).
- The simulator is created by the first project() (or the first read of a
  connectome); declarations after it raise RuntimeError.  Under mpirun
  every rank runs the same program: the simulator applies rank 0's
  operations everywhere, and every rank reads the same winners.

brainsim's own keywords of Brain: backend ("auto", "cpu", "cuda"), out (an
HDF5 output file recording every projection), threads, plastic_capacity,
quiet.  Brain.simulator is the underlying brainsim.Simulator (None before
the first projection).
"""
import collections.abc
import types

import numpy as np

EMPTY_MAPPING = types.MappingProxyType({})


class Stimulus:
    """A stimulus of k neurons (brain.py's older Brain.stimuli values)."""

    def __init__(self, k):
        self.k = k


class Area:
    """An area of a Brain.  Attributes as brain.py's Area (see the module
    docstring); winners, fixed_assembly and w are kept by libbrainsim once
    the Brain's simulator exists."""

    def __init__(self, brain, name, n, k, beta=0.05, explicit=False):
        self._brain = brain
        self.name = name
        self.n = int(n)
        self.k = int(k)
        self.beta = beta
        self.beta_by_stimulus = {}
        self.beta_by_area = {}
        self.explicit = explicit
        self.saved_w = []
        self.saved_winners = []
        self.num_first_winners = -1
        self.fixed_assembly = False
        self._winners = []        # before the simulator exists
        self._w = None            # an assigned w, until the next projection
        self.num_ever_fired = 0

    # older brain.py names of the beta maps
    @property
    def stimulus_beta(self):
        return self.beta_by_stimulus

    @property
    def area_beta(self):
        return self.beta_by_area

    def update_beta_by_stimulus(self, name, new_beta):
        self.beta_by_stimulus[name] = new_beta

    update_stimulus_beta = update_beta_by_stimulus

    def update_area_beta(self, name, new_beta):
        self.beta_by_area[name] = new_beta

    @property
    def winners(self):
        """The current winners, ascending ([] before the area has fired):
        global neuron ids (an explicit area), or brain.py's indices of a
        lazy area (add_area): positions in its support's firing order."""
        sim = self._brain.simulator
        if sim is None:
            return list(self._winners)
        ids = sim.winners(self.name)
        if self.explicit or ids.size == 0:
            return ids.tolist()
        support = sim.support_ids(self.name)
        order = np.argsort(support, kind="stable")
        local = order[np.searchsorted(support, ids, sorter=order)]
        return sorted(int(i) for i in local)

    @winners.setter
    def winners(self, ids):
        ids = [int(i) for i in ids]
        sim = self._brain.simulator
        w = 0
        if not self.explicit and ids:
            w = sim.support(self.name) if sim is not None else 0
            if w and any(not 0 <= i < w for i in ids):
                raise ValueError(f"area {self.name!r} is lazy: its winners "
                                 f"must be among the {w} neurons that have "
                                 f"fired (ids 0..w-1)")
        if len(ids) > self.k:
            raise ValueError(f"area {self.name!r}: {len(ids)} winners, more "
                             f"than k = {self.k}")
        for i in ids:
            if not 0 <= i < self.n:
                raise ValueError(f"area {self.name!r}: neuron {i} is not in "
                                 f"0..{self.n - 1}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"area {self.name!r}: repeated neuron ids")
        sim = self._brain.simulator
        if sim is None:
            self._winners = sorted(ids)
            if not ids:
                self.fixed_assembly = False
        elif ids:
            if not self.explicit and w:  # brain.py's indices -> global ids
                support = sim.support_ids(self.name)
                ids = sorted(int(support[i]) for i in ids)
            sim.fire(self.name, ids)
        else:
            sim.reset(self.name)
            self.fixed_assembly = False

    @property
    def w(self):
        """Neurons that have ever fired (an add_area area), or n (an
        add_explicit_area area), as brain.py; an assigned value is kept
        until the next projection into the area."""
        if self._w is not None:
            return self._w
        if self.explicit:
            return self.n
        return self.get_num_ever_fired()

    @w.setter
    def w(self, value):
        self._w = value

    def get_num_ever_fired(self):
        sim = self._brain.simulator
        return sim.support(self.name) if sim is not None else 0

    def fix_assembly(self):
        if not self.winners:
            raise ValueError(
                f"Area {self.name!r} does not have assembly; cannot fix.")
        sim = self._brain.simulator
        if sim is not None:
            sim.fix(self.name)
        self.fixed_assembly = True

    def unfix_assembly(self):
        sim = self._brain.simulator
        if sim is not None:
            sim.unfix(self.name)
        self.fixed_assembly = False

    def __repr__(self):
        return (f"<brainsim.brain.Area {self.name!r}: n={self.n}, k={self.k}, "
                f"beta={self.beta}{', explicit' if self.explicit else ''}>")


class _WeightRows:
    """connectomes[src][dst][rows]: rows of a weight matrix, read when
    indexed by columns ([:, cols]) or converted (np.asarray, sum)."""

    def __init__(self, view, rows):
        self._view, self._rows = view, rows

    def __getitem__(self, key):
        if not isinstance(key, tuple) or len(key) != 2:
            raise IndexError("index the selected rows as [:, columns]")
        if key[0] != slice(None):
            rows = np.asarray(self._rows)[key[0]]
        else:
            rows = self._rows
        return self._view[rows, key[1]]

    def __array__(self, dtype=None, copy=None):
        out = self._view[self._rows, :]
        return out if dtype is None else out.astype(dtype)

    def sum(self, *args, **kwargs):
        return np.asarray(self).sum(*args, **kwargs)


class _Connectome:
    """A read-only view of the weights of fiber src -> dst: view[i, j] is
    the weight of synapse (i, j) (0 where there is no edge), for ints,
    slices, lists or arrays of ids; view[rows] selects rows for a later
    [:, cols].  An index of a lazy (add_area) area is brain.py's: a
    position in its support's firing order (shape: the support so far)."""

    def __init__(self, brain, src, dst):
        self._brain, self._src, self._dst = brain, src, dst

    @property
    def shape(self):
        b = self._brain
        return (b._axis(self._src)[0], b._axis(self._dst)[0])

    def _ids(self, key, size):
        if isinstance(key, slice):
            return np.arange(size, dtype=np.uint64)[key], True
        arr = np.asarray(key)
        if arr.dtype == bool:
            return np.flatnonzero(arr).astype(np.uint64), True
        scalar = arr.ndim == 0
        arr = np.atleast_1d(arr).astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= size):
            raise IndexError(f"index out of range 0..{size - 1}")
        return arr.astype(np.uint64), not scalar

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            rows, _ = self._ids(key, self.shape[0])
            return _WeightRows(self, rows if np.ndim(key) or
                               isinstance(key, slice) else rows[0])
        if len(key) != 2:
            raise IndexError("a connectome has two indices (source, target)")
        sim = self._brain._simulator_now()
        (n_rows, src_ids), (n_cols, dst_ids) = (self._brain._axis(self._src),
                                                self._brain._axis(self._dst))
        rows, rows_vec = self._ids(key[0], n_rows)
        cols, cols_vec = self._ids(key[1], n_cols)
        if src_ids is not None:
            rows = src_ids[rows.astype(np.int64)]
        if dst_ids is not None:
            cols = dst_ids[cols.astype(np.int64)]
        src = np.repeat(rows, cols.size)
        tgt = np.tile(cols, rows.size)
        w = sim.weights(f"{self._src}->{self._dst}", src, tgt)
        w = w.reshape(rows.size, cols.size)
        if not rows_vec:
            w = w[0]
        if not cols_vec:
            w = w[..., 0]
        return w

    def __array__(self, dtype=None, copy=None):
        out = self[:, :]
        return out if dtype is None else out.astype(dtype)


class _StimulusConnectome:
    """connectomes_by_stimulus[stim][area][j]: the summed weight from every
    neuron of the stimulus into neuron j of the area."""

    def __init__(self, brain, stim, area):
        self._brain, self._stim, self._area = brain, stim, area

    @property
    def shape(self):
        return (self._brain._axis(self._area)[0],)

    def __getitem__(self, key):
        sim = self._brain._simulator_now()
        n, area_ids = self._brain._axis(self._area)
        if isinstance(key, slice):
            ids, vec = np.arange(n, dtype=np.uint64)[key], True
        else:
            arr = np.asarray(key)
            vec = arr.ndim > 0
            arr = np.atleast_1d(arr).astype(np.int64)
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                raise IndexError(f"index out of range 0..{n - 1}")
            ids = arr.astype(np.uint64)
        if area_ids is not None:
            ids = area_ids[ids.astype(np.int64)]
        out = sim.inputs(f"{self._stim}->{self._area}", ids)
        return out if vec else out[0]

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __len__(self):
        return self.shape[0]


class _Views(collections.abc.Mapping):
    """A read-only mapping name -> make(name) over the names in keys()."""

    def __init__(self, names, make):
        self._names, self._make = names, make

    def __getitem__(self, name):
        if name not in self._names():
            raise KeyError(name)
        return self._make(name)

    def __iter__(self):
        return iter(self._names())

    def __len__(self):
        return len(self._names())


class Brain:
    """A model brain (brain.py's Brain) simulated by libbrainsim.

    p             connection probability of every implicit fiber
    save_size     append each target area's w to saved_w after a projection
    save_winners  append each target area's winners to saved_winners
    seed          the experiment's seed (brainsim's generator, not numpy's)
    backend, out, threads, plastic_capacity, quiet: as brainsim.Simulator
    cap           (brainsim) every fiber's weight cap, at most 65535; None:
                  none.  brain.py's float weights never saturate; brainsim's
                  Q16.16 ones fail the step (BrainsimError) rather than pass
                  65535.99998, which beta = 1 reaches in 16 rounds
    """

    def __init__(self, p, save_size=True, save_winners=False, seed=0, *,
                 backend="auto", out=None, threads=0, plastic_capacity=0,
                 quiet=True, cap=None):
        if not 0 < p <= 1:
            raise ValueError(f"p must be in (0, 1], got {p}")
        self.p = p
        self.save_size = save_size
        self.save_winners = save_winners
        self.seed = int(seed)
        self.cap = None if cap is None else float(cap)
        self.area_by_name = {}
        self.stimulus_size_by_name = {}
        self.disable_plasticity = False
        self.simulator = None
        self._sim_args = dict(backend=backend, out=out, threads=threads,
                              plastic_capacity=plastic_capacity, quiet=quiet)
        self._fiber_p = {}            # (src, dst) -> p where not self.p
        self._applied_beta = {}       # (src, dst) -> beta in libbrainsim
        self._plasticity_on = True
        self.connectomes = _Views(
            lambda: self.area_by_name,
            lambda src: _Views(lambda: self.area_by_name,
                               lambda dst: _Connectome(self, src, dst)))
        self.connectomes_by_stimulus = _Views(
            lambda: self.stimulus_size_by_name,
            lambda stim: _Views(lambda: self.area_by_name,
                                lambda a: _StimulusConnectome(self, stim, a)))

    # -- the older brain.py names --------------------------------------
    @property
    def areas(self):
        return self.area_by_name

    @property
    def stimuli(self):
        return {s: Stimulus(k) for s, k in self.stimulus_size_by_name.items()}

    @property
    def stimuli_connectomes(self):
        return self.connectomes_by_stimulus

    @property
    def no_plasticity(self):
        return self.disable_plasticity

    @no_plasticity.setter
    def no_plasticity(self, value):
        self.disable_plasticity = value

    # -- declarations ----------------------------------------------------
    def _declaring(self, what):
        if self.simulator is not None:
            raise RuntimeError(
                f"{what}: the brain's simulator already runs (it is created "
                "by the first project()); declare every stimulus and area "
                "before projecting")

    def _check_name(self, name):
        if name in self.area_by_name or name in self.stimulus_size_by_name:
            raise ValueError(f"{name!r} is already an area or a stimulus")

    def add_stimulus(self, stimulus_name, size):
        self._declaring(f"add_stimulus({stimulus_name!r})")
        self._check_name(stimulus_name)
        self.stimulus_size_by_name[stimulus_name] = int(size)
        for area in self.area_by_name.values():
            area.beta_by_stimulus[stimulus_name] = area.beta

    def add_area(self, area_name, n, k, beta):
        """A lazy area of n neurons and cap k (brainsim's lazy: true; see the
        module docstring)."""
        return self._add(area_name, n, k, beta, explicit=False)

    def add_explicit_area(self, area_name, n, k, beta, *,
                          custom_inner_p=None, custom_out_p=None,
                          custom_in_p=None):
        area = self._add(area_name, n, k, beta, explicit=True)
        for other in self.area_by_name:
            if other == area_name:
                if custom_inner_p is not None:
                    self._fiber_p[(area_name, area_name)] = custom_inner_p
                continue
            if not self.area_by_name[other].explicit:
                continue            # brain.py: default p to and from lazy
            if custom_out_p is not None:
                self._fiber_p[(area_name, other)] = custom_out_p
            if custom_in_p is not None:
                self._fiber_p[(other, area_name)] = custom_in_p
        return area

    def _add(self, name, n, k, beta, explicit):
        self._declaring(f"add_area({name!r})")
        self._check_name(name)
        if not 0 < int(k) <= int(n):
            raise ValueError(f"area {name!r}: need 0 < k <= n, got n={n}, "
                             f"k={k}")
        area = Area(self, name, n, k, beta=beta, explicit=explicit)
        for stim in self.stimulus_size_by_name:
            area.beta_by_stimulus[stim] = beta
        for other_name, other in self.area_by_name.items():
            other.beta_by_area[name] = other.beta
            area.beta_by_area[other_name] = beta
        area.beta_by_area[name] = beta
        self.area_by_name[name] = area
        return area

    # -- plasticity ------------------------------------------------------
    def update_plasticity(self, from_area, to_area, new_beta):
        self.area_by_name[to_area].beta_by_area[from_area] = new_beta

    def update_plasticities(self, area_update_map=EMPTY_MAPPING,
                            stim_update_map=EMPTY_MAPPING):
        for to_area, rules in area_update_map.items():
            for from_area, new_beta in rules:
                self.update_plasticity(from_area, to_area, new_beta)
        for area, rules in stim_update_map.items():
            for stim, new_beta in rules:
                self.area_by_name[area].beta_by_stimulus[stim] = new_beta

    def activate(self, area_name, index):
        """Sets the winners of area_name to neurons k*index .. k*index+k-1
        and fixes them."""
        area = self.area_by_name[area_name]
        start = area.k * index
        area.winners = list(range(start, start + area.k))
        area.fix_assembly()

    # -- the simulator ---------------------------------------------------
    def _size_of(self, name):
        if name in self.stimulus_size_by_name:
            return self.stimulus_size_by_name[name]
        return self.area_by_name[name].n

    def _axis(self, name):
        """A connectome axis of stimulus or area `name`: (size, ids), where
        ids maps an index to a global neuron id (None: the identity).  A
        lazy area's axis is its support in firing order, as brain.py's
        connectome arrays of shape (w_from, w_to); an explicit area's and a
        stimulus's, all their neurons."""
        area = self.area_by_name.get(name)
        if area is None or area.explicit:
            return self._size_of(name), None
        sim = self.simulator
        if sim is None:
            return 0, np.zeros(0, dtype=np.uint64)
        ids = sim.support_ids(name)
        return ids.size, ids

    def _beta(self, src, dst):
        area = self.area_by_name[dst]
        if src in self.stimulus_size_by_name:
            return area.beta_by_stimulus.get(src, area.beta)
        return area.beta_by_area.get(src, area.beta)

    def experiment_text(self):
        """The brainsim experiment (YAML) of the declared brain: its areas,
        stimuli and every implicit fiber, with no schedule."""
        lines = [f"seed: {self.seed}",
                 f"defaults: {{p: {self.p!r}, beta: 0.05}}", "areas:"]
        for a in self.area_by_name.values():
            lazy = "" if a.explicit else ", lazy: true"
            lines.append(f"  - {{name: {a.name}, n: {a.n}, k: {a.k}, "
                         f"beta: {float(a.beta)!r}{lazy}}}")
        if self.stimulus_size_by_name:
            lines.append("stimuli:")
            for s, k in self.stimulus_size_by_name.items():
                lines.append(f"  - {{name: {s}, k: {k}}}")
        lines.append("fibers:")
        for src in [*self.stimulus_size_by_name, *self.area_by_name]:
            for dst in self.area_by_name:
                beta = float(self._beta(src, dst))
                self._applied_beta[(src, dst)] = beta
                p = self._fiber_p.get((src, dst))
                extra = f", p: {float(p)!r}" if p is not None else ""
                if self.cap is not None:
                    extra += f", cap: {self.cap!r}"
                lines.append(f"  - {{from: {src}, to: {dst}, beta: {beta!r}"
                             f"{extra}}}")
        return "\n".join(lines) + "\n"

    def _simulator_now(self):
        """The simulator, created from the declarations on first use."""
        if self.simulator is not None:
            return self.simulator
        if not self.area_by_name:
            raise RuntimeError("the brain has no areas")
        from .simulator import Simulator
        pending = {name: (a._winners, a.fixed_assembly)
                   for name, a in self.area_by_name.items()}
        sim = Simulator(self.experiment_text(), **self._sim_args)
        self.simulator = sim
        for name, (ids, fixed) in pending.items():
            if ids:
                sim.fire(name, ids)
                if fixed:
                    sim.fix(name)
        return sim

    def _sync_plasticity(self, sim, fibers):
        """Applies disable_plasticity and every changed beta of the fibers
        about to fire."""
        on = not self.disable_plasticity
        if on != self._plasticity_on:
            sim.plasticity(on)
            self._plasticity_on = on
        for src, dst in fibers:
            beta = float(self._beta(src, dst))
            if self._applied_beta.get((src, dst)) != beta:
                sim.plasticity(fiber=f"{src}->{dst}", beta=beta)
                self._applied_beta[(src, dst)] = beta

    def project(self, areas_by_stim, dst_areas_by_src_area, verbose=0):
        """One synchronous step: every stimulus in areas_by_stim fires into
        its areas, every area of dst_areas_by_src_area into its targets
        (brain.py's project)."""
        fibers = []
        targets = []
        for stim, areas in areas_by_stim.items():
            if stim not in self.stimulus_size_by_name:
                raise IndexError(f"Not in brain.stimulus_size_by_name: {stim}")
            for a in areas:
                if a not in self.area_by_name:
                    raise IndexError(f"Not in brain.area_by_name: {a}")
                fibers.append((stim, a))
                targets.append(a)
        for src, dsts in dst_areas_by_src_area.items():
            if src not in self.area_by_name:
                raise IndexError(f"{src} not in brain.area_by_name")
            for a in dsts:
                if a not in self.area_by_name:
                    raise IndexError(f"Not in brain.area_by_name: {a}")
                fibers.append((src, a))
                targets.append(a)
        sim = self._simulator_now()
        for src, _ in fibers:
            if src in self.area_by_name and not self.area_by_name[src].winners:
                raise ValueError("Projecting from area with no assembly: "
                                 f"{self.area_by_name[src]}")
        targets = list(dict.fromkeys(targets))
        if verbose >= 1:
            print("Projecting " + ", ".join(f"{s}->{d}" for s, d in fibers))
        self._sync_plasticity(sim, fibers)
        before = {a: sim.support(a) for a in targets}
        sim.project([f"{s}->{d}" for s, d in fibers], rounds=1)
        for name in targets:
            area = self.area_by_name[name]
            area._w = None
            area.num_first_winners = sim.support(name) - before[name]
            area.num_ever_fired = sim.support(name)
            if self.save_winners:
                area.saved_winners.append(area.winners)
            if self.save_size:
                area.saved_w.append(area.w)

    def close(self):
        """Closes the simulator (flushing its output file); the brain cannot
        project afterwards."""
        if self.simulator is not None:
            self.simulator.close()

    def __repr__(self):
        return (f"<brainsim.brain.Brain p={self.p}: areas "
                f"{list(self.area_by_name)}, stimuli "
                f"{list(self.stimulus_size_by_name)}>")


__all__ = ["Brain", "Area", "Stimulus", "EMPTY_MAPPING"]
