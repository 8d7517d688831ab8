"""Command line: ``python -m brainsim report RUN.h5 [-o DIR] [--tol N]``
writes summary.txt and PNG figures (brainsim.report); ``python -m brainsim
summary RUN.h5`` prints the summary.  Exit status: 0 success, 1 error
(message on stderr, e.g. matplotlib missing: install 'brainsim[plots]'),
2 usage error.
"""
import argparse
import os
import sys

from . import __version__


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m brainsim",
        description="Reports on brainsim output files (run.h5).")
    p.add_argument("--version", action="version",
                   version=f"brainsim (Python) {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="write summary.txt and PNG figures")
    r.add_argument("run", help="output file of brainsim run")
    r.add_argument("-o", "--out", metavar="DIR",
                   help="directory to write (default: RUN without .h5, "
                        "plus _report)")
    s = sub.add_parser("summary", help="print the summary to stdout")
    s.add_argument("run", help="output file of brainsim run")
    for q in (r, s):
        q.add_argument("--tol", type=int, default=0, metavar="N",
                       help="convergence: at most N of k winners change "
                            "per step (default 0)")
    r.add_argument("--matrix-steps", type=int, default=8, metavar="N",
                   help="steps sampled per area for the overlap matrix "
                        "(default 8)")
    return p


def main(argv=None):
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.tol < 0:
        print("python -m brainsim: error: --tol must be >= 0", file=sys.stderr)
        return 2
    from . import reader, report
    try:
        if args.command == "summary":
            with reader.open(args.run) as run:
                sys.stdout.write(report.summary_text(run, args.tol))
            return 0
        out = args.out or os.path.splitext(args.run)[0] + "_report"
        paths = report.write_report(args.run, out, args.tol, args.matrix_steps)
    except (ImportError, OSError, ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"python -m brainsim: error: {msg}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
