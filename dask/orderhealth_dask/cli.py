"""`orderhealth-dask report|fleet --scheduler ADDRESS …`: the CLI's options, run on Dask."""

from __future__ import annotations

import argparse
import sys

from .driver import DriverError, fleet, report

# (option, takes a value): how orders are read and judged; given to every task.
JUDGING = [
    # Threads of each `orderhealth` process: 1 where a worker runs one task per core.
    ("--threads", True),
    ("--as-of", True),
    ("--auto-cancel-policy", True),
    ("--warn-days", True),
    ("--tz", True),
    ("--marketplace", True),
    ("--encoding", True),
    ("--strict", False),
    ("--scan-grace-days", True),
    ("--tracking-basis", True),
]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orderhealth-dask", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("report", "fleet"):
        s = sub.add_parser(name, help=f"orderhealth {name} on a Dask cluster")
        s.add_argument("--scheduler", required=True, metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://host:8786")
        s.add_argument("--binary", metavar="PATH", help="the orderhealth binary on every worker (default: on PATH)")
        s.add_argument("--parts", metavar="DIR", help="where the partitions' results go (default: OUT.parts)")
        s.add_argument("--retries", type=int, default=3, metavar="N", help="runs of a failed task (default 3)")
        s.add_argument("--out", required=True, metavar="DIR")
        s.add_argument("--format", choices=["parquet", "csv", "json"])
        s.add_argument("--fail-on-breach", action="store_true")
        for opt, value in JUDGING:
            if value:
                s.add_argument(opt, metavar="VALUE")
            else:
                s.add_argument(opt, action="store_true")
        if name == "report":
            s.add_argument("--store", required=True, metavar="DIR")
            s.add_argument("--fail-on-mismatch", action="store_true")
            s.add_argument("--verbose", "-v", action="store_true")
        else:
            s.add_argument("stores", nargs="+", metavar="STORE", help="NAME=DIR or DIR, one per seller account")
    return p


def _options(args) -> tuple[list[str], list[str]]:
    judging: list[str] = []
    for opt, value in JUDGING:
        v = getattr(args, opt[2:].replace("-", "_"))
        if value and v is not None:
            judging += [opt, v]
        elif not value and v:
            judging.append(opt)
    rest: list[str] = []
    if args.format:
        rest += ["--format", args.format]
    for flag in ("fail_on_breach", "fail_on_mismatch", "verbose"):
        if getattr(args, flag, False):
            rest.append("--" + flag.replace("_", "-"))
    return judging, rest


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    judging, rest = _options(args)
    common = dict(binary=args.binary, options=judging, report_options=rest, parts=args.parts, retries=args.retries)
    try:
        if args.command == "report":
            done = report(args.scheduler, args.store, args.out, **common)
        else:
            done = fleet(args.scheduler, args.stores, args.out, **common)
    except DriverError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a task that failed every retry
        print(f"error: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.code


if __name__ == "__main__":
    sys.exit(main())
