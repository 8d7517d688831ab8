"""Figures of a run (matplotlib; install with ``pip install 'brainsim[plots]'``).

Each function takes an open Run and returns a new matplotlib Figure built
with the object API (matplotlib.figure.Figure, rendered by Agg when saved),
so it neither needs a display nor changes pyplot's global backend.  Save
with ``fig.savefig("x.png")``.  require_matplotlib() raises ImportError
with the install hint when matplotlib is missing.  Step axes give step
indices, numbered from 0 (row t of the output is step t).
"""
import numpy as np

from . import analysis
from .reader import PHASES

PLOTS_HINT = ("matplotlib is required for plots and reports: "
              "pip install 'brainsim[plots]'")
_MAX_BARS = 100          # stacked bars beyond this are averaged in bins


def require_matplotlib():
    """Imports matplotlib's Figure; ImportError(PLOTS_HINT) if missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(PLOTS_HINT) from e
    return Figure


def _figure(width=8.0, height=4.5):
    return require_matplotlib()(figsize=(width, height), layout="constrained")


def _integer_steps(ax):
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _ranks(n):
    return f"{n} rank" + ("" if n == 1 else "s")


def _mark_operations(ax, run):
    """Thin vertical lines where the schedule moves to a new operation."""
    op = run.schedule["op"]
    starts = np.flatnonzero(np.diff(op.astype(np.int64)) != 0) + 1
    for i, s in enumerate(starts):
        ax.axvline(s - 0.5, color="0.75", lw=0.8, ls=":", zorder=0,
                   label="next schedule operation" if i == 0 else None)


def support(run):
    """Support (distinct neurons ever fired) per area over steps."""
    fig = _figure()
    ax = fig.add_subplot()
    steps = np.arange(run.steps)
    marker = "o" if run.steps <= 60 else None
    for name, area in run.areas.items():
        ax.plot(steps, run.support(name), marker=marker, ms=3,
                label=f"{name} (k = {area.k})")
    _mark_operations(ax, run)
    ax.set_xlabel("step (from 0)")
    ax.set_ylabel("support (neurons that have ever fired)")
    ax.set_title("Support per area (flat once an assembly is stable)")
    _integer_steps(ax)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def consecutive_overlap(run):
    """Overlap of each step's winners with the previous step's, as a
    fraction of k, per area (gaps where the area had not fired)."""
    fig = _figure()
    ax = fig.add_subplot()
    steps = np.arange(1, run.steps)
    marker = "o" if run.steps <= 60 else None
    for name, area in run.areas.items():
        frac = analysis.consecutive_overlap(run.winners(name)) / area.k
        fired = run.fired(name)
        frac = np.where(fired[1:] & fired[:-1], frac, np.nan)
        ax.plot(steps, frac, marker=marker, ms=3, label=f"{name} (k = {area.k})")
    _mark_operations(ax, run)
    ax.set_xlabel("step t (from 0)")
    ax.set_ylabel("overlap of winners at t and t - 1 (fraction of k)")
    ax.set_title("Winner overlap of consecutive steps (1 = unchanged)")
    _integer_steps(ax)
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def _sample_steps(fired, n_max):
    """Up to n_max fired steps, evenly spaced, always the last."""
    idx = np.flatnonzero(fired)
    if idx.size <= n_max:
        return idx
    return idx[np.unique(np.linspace(0, idx.size - 1, n_max).round().astype(int))]


def overlap_matrices(run, n_steps=8):
    """Per area, the overlap matrix of its assemblies at up to n_steps
    fired steps (evenly spaced, the last included), in neurons."""
    names = list(run.areas)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig = _figure(4.6 * cols, 4.2 * rows)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        picked = _sample_steps(run.fired(name), n_steps)
        if picked.size == 0:
            ax.set_axis_off()
            ax.set_title(f"area {name}: never fired")
            continue
        m = analysis.overlap_matrix(run.winners(name)[picked])
        k = run.areas[name].k
        im = ax.imshow(m, vmin=0, vmax=k, cmap="viridis")
        labels = [str(s) for s in picked]
        ax.set_xticks(range(len(picked)), labels, fontsize="small")
        ax.set_yticks(range(len(picked)), labels, fontsize="small")
        ax.set_xlabel("step (from 0)")
        ax.set_ylabel("step (from 0)")
        ax.set_title(f"area {name}: assembly overlap at sampled steps\n"
                     f"(k = {k})" if len(names) == 1 else
                     f"area {name}: assembly overlap (k = {k})")
        if len(picked) <= 12:
            for (r, c), v in np.ndenumerate(m):
                ax.text(c, r, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v < 0.6 * k else "black")
        fig.colorbar(im, ax=ax, shrink=0.8, label="common neurons")
    if len(names) > 1:
        fig.suptitle("Overlap of assemblies at sampled steps")
    return fig


def _clip_outliers(ax, x, totals, unit):
    """Bars above 3 x the 90th percentile (say, a first step that touches
    all memory) are cut at the top of the others, their value written."""
    finite = totals[np.isfinite(totals)]
    if finite.size < 5:
        return
    limit = 3 * np.percentile(finite, 90)
    rest = finite[finite <= limit]
    if limit <= 0 or rest.size == finite.size:
        return
    top = 1.15 * rest.max()
    ax.set_ylim(0, top)
    for xi, t in zip(x, totals):
        if t > limit:
            ax.annotate(f"{t:.3g} {unit} (cut)", (xi, top), xytext=(0, -4),
                        textcoords="offset points", ha="center", va="top",
                        fontsize="small", rotation=90,
                        bbox=dict(boxstyle="round", fc="white", alpha=0.8))


def phase_times(run):
    """Stacked bars of the time of each step's phases (max over ranks),
    averaged over bins of steps when there are more than 100 steps."""
    fig = _figure()
    ax = fig.add_subplot()
    secs = run.phase_seconds()
    n = len(secs)
    width = max(1, -(-n // _MAX_BARS))
    if width > 1:
        pad = (-n) % width
        padded = np.vstack([secs, np.full((pad, len(PHASES)), np.nan)])
        secs = np.nanmean(padded.reshape(-1, width, len(PHASES)), axis=1)
    scale, unit = (1e3, "ms") if n and np.nanmax(secs.sum(axis=1)) < 1 else (1.0, "s")
    x = np.arange(len(secs)) * width
    bottom = np.zeros(len(secs))
    for j, phase in enumerate(PHASES):
        ax.bar(x, secs[:, j] * scale, width=0.85 * width, bottom=bottom,
               align="edge" if width > 1 else "center", label=phase)
        bottom += secs[:, j] * scale
    ax.set_xlabel("step (from 0)" if width == 1 else
                  f"step (from 0; bars: mean over {width} steps)")
    _clip_outliers(ax, x, bottom, unit)
    _integer_steps(ax)
    ax.set_ylabel(f"time per step ({unit}, max over ranks)")
    ax.set_title(f"Time per phase ({_ranks(run.n_ranks)}, {run.backend})")
    ax.legend(fontsize="small", ncols=len(PHASES), loc="upper center",
              bbox_to_anchor=(0.5, -0.15))
    ax.grid(axis="y", alpha=0.3)
    return fig
