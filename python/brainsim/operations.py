"""YAML texts of experiments and schedule operations, for Simulator.apply
and the Simulator built from areas, stimuli and fibers (pure Python: no
libbrainsim, no PyYAML).

Values are written in YAML flow style as libbrainsim's parser wants them:
integers and booleans plain, reals repr() (which reads back exactly),
strings double-quoted (JSON escapes), numpy scalars and arrays as the
Python numbers and lists they hold.  A value that has no such form raises
TypeError (ValueError for a non-finite real) naming it.
"""
import json
import math
import numbers

import numpy as np


def flow(value, where="value"):
    """`value` (dict, list, tuple, numpy array, str, bool, int, float,
    numpy scalar) as a YAML flow text.  Raises TypeError or ValueError
    naming `where` for what cannot be written."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(str(k), where)}: "
                               f"{flow(v, f'{where}.{k}')}"
                               for k, v in value.items()) + "}"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v, f"{where}[{i}]")
                               for i, v in enumerate(value)) + "]"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"{where}: {x} is not a finite number")
        return repr(x)
    raise TypeError(f"{where}: cannot write a {type(value).__name__} "
                    "(dict, list, str, bool, int or float)")


def operation(op):
    """The text of one schedule operation: `op` a YAML text (returned as
    is) or a one-key dict such as {"project": {"fibers": ["s->A"],
    "rounds": 2}}.  TypeError/ValueError for anything else."""
    if isinstance(op, str):
        return op
    if not isinstance(op, dict) or len(op) != 1:
        raise ValueError("an operation is a YAML text or a dict with one "
                         f"key, the operation; got {op!r}")
    ((name, args),) = op.items()
    return f"{name}: {flow(args, str(name))}"


def experiment(areas, stimuli=None, fibers=None, seed=1, p=None, beta=None):
    """The YAML text of an experiment without a schedule, from lists of
    dicts as in an experiment file ({"name": "A", "n": 1000, "k": 30},
    {"from": "s", "to": "A"}, ...).  TypeError/ValueError for what cannot
    be written; the library checks the rest."""
    if not isinstance(areas, (list, tuple)) or not areas:
        raise ValueError("areas must be a non-empty list of dicts such as "
                         "{'name': 'A', 'n': 1000, 'k': 30}")
    lines = [f"seed: {flow(seed, 'seed')}"]
    defaults = {k: v for k, v in (("p", p), ("beta", beta)) if v is not None}
    if defaults:
        lines.append(f"defaults: {flow(defaults, 'defaults')}")
    for key, items in (("areas", areas), ("stimuli", stimuli),
                       ("fibers", fibers)):
        if items is None:
            continue
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"{key} must be a list of dicts")
        lines.append(f"{key}:")
        lines += [f"  - {flow(x, f'{key}[{i}]')}" for i, x in enumerate(items)]
    lines.append("schedule: []")
    return "\n".join(lines) + "\n"
