"""A run's report: summary.txt plus PNG figures in a directory.

write_report(run_or_path, out_dir) writes (returns their paths, in order):
  summary.txt            experiment, seed, backend, ranks, steps; per area
                         final support, first fired and convergence step
                         (indices from 0, as the output's rows); mean
                         time per phase; synaptic events per second
  support.png            support over steps per area
  overlap_consecutive.png  overlap of consecutive steps' winners per area
  overlap_matrix.png     per area, overlaps of assemblies at sampled steps
  phase_times.png        per-phase time of each step, stacked bars
summary_text(run) needs only numpy; write_report needs matplotlib and
raises ImportError with the ``pip install 'brainsim[plots]'`` hint before
writing anything when it is missing.
"""
import os

import numpy as np

from . import analysis, plots
from .reader import PHASES, Run


def experiment_name(run):
    """A short name for the run's experiment: the text before ':' or '.'
    of the experiment's first comment line when short, else the output
    file's name without extension."""
    for line in run.experiment_text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            text = line.lstrip("#").strip()
            for sep in (":", "."):
                head = text.split(sep)[0].strip()
                if head and sep in text and len(head) <= 60:
                    return head
        break
    return os.path.splitext(os.path.basename(run.path))[0]


def _table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in rows]


def summary_text(run, tol=0):
    """The text of summary.txt for an open Run; convergence uses `tol`
    (analysis.convergence_step)."""
    fallback = f" (fallback: {run.fallback_reason})" if run.fallback_reason else ""
    status = ("complete" if run.steps == run.steps_total
              else "INCOMPLETE: stopped early or still running")
    out = [
        f"brainsim run report: {run.path}",
        f"experiment: {experiment_name(run)}",
        f"seed: {run.seed}",
        f"backend: {run.backend}{fallback}",
        f"ranks: {run.n_ranks}",
        f"brainsim version: {run.version}",
        f"steps: {run.steps} of {run.steps_total} ({status}); steps are "
        "numbered from 0",
        "",
        f"areas (convergence: first step from which at most {tol} of k "
        "winners change per step):",
    ]
    rows = [("area", "n", "k", "final support", "first fired", "convergence step")]
    for name, area in run.areas.items():
        support = run.support(name)
        fired = np.flatnonzero(run.fired(name))
        conv = analysis.convergence_step(run.winners(name), tol=tol)
        rows.append((name, str(area.n), str(area.k),
                     str(int(support[-1])) if len(support) else "-",
                     str(int(fired[0])) if fired.size else "never",
                     "not converged" if conv is None else str(conv)))
    out += _table(rows)
    secs = run.phase_seconds()
    total = float(secs.sum())
    out += ["", f"time per step by phase (mean over {run.steps} steps, "
            "max over ranks):"]
    rows = [("phase", "mean s/step", "share")]
    for j, phase in enumerate(PHASES):
        mean = float(secs[:, j].mean()) if run.steps else 0.0
        share = float(secs[:, j].sum()) / total if total > 0 else 0.0
        rows.append((phase, f"{mean:.6f}", f"{100 * share:.1f}%"))
    rows.append(("total", f"{total / run.steps if run.steps else 0.0:.6f}", ""))
    out += _table(rows)
    events = int(run.metrics["synaptic_events"].sum())
    rate = f"{events / total:.4g}" if total > 0 else "n/a"
    out += ["", f"synaptic events: {events} in {total:.3f} s of steps: "
            f"{rate} events/s"]
    return "\n".join(out) + "\n"


def write_report(run, out_dir, tol=0, n_steps=8):
    """Writes summary.txt and the four PNGs into out_dir (created if
    needed) and returns their paths.  `run` is an open Run or a path.
    ImportError (install hint) without matplotlib, before writing."""
    plots.require_matplotlib()
    if not isinstance(run, Run):
        with Run(run) as opened:
            return write_report(opened, out_dir, tol, n_steps)
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, "summary.txt")]
    with open(paths[0], "w", encoding="utf-8") as f:
        f.write(summary_text(run, tol))
    figures = [("support.png", plots.support(run)),
               ("overlap_consecutive.png", plots.consecutive_overlap(run)),
               ("overlap_matrix.png", plots.overlap_matrices(run, n_steps)),
               ("phase_times.png", plots.phase_times(run))]
    for name, fig in figures:
        paths.append(os.path.join(out_dir, name))
        fig.savefig(paths[-1], dpi=110)
    return paths
