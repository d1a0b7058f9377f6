"""A store split into partitions, run on a local Dask cluster against `report --store` on one
machine (docs/SCALE-OUT.md, docs/BENCHMARKS.md "Partitions on Dask").

    python benches/dask_scale.py BINARY STORE [WORKERS]

Runs, in one session: `report --store` (the first, which judges every order and writes the
settled directory, and a second, which uses it), then the driver on a `LocalCluster` of
WORKERS processes (default 2) bound to 127.0.0.1, each task's `orderhealth partition` wrapped
in /usr/bin/time: wall time of each, the single process's peak memory against one task's, and
whether the outputs are the same bytes. Needs `pip install ./dask`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from orderhealth_dask import report


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of `cmd`."""
    with tempfile.NamedTemporaryFile("r") as t:
        start = time.monotonic()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name, *cmd], check=True, capture_output=True)
        wall = time.monotonic() - start
        return wall, int(t.read().split()[-1]) // 1024


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def main() -> None:
    binary, store = str(Path(sys.argv[1]).resolve()), str(Path(sys.argv[2]).resolve())
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    work = Path(tempfile.mkdtemp(prefix="oh-dask-"))
    log = work / "tasks.log"
    wrapper = work / "orderhealth"
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/time -f "%M %e $*" -a -o {log} {binary} "$@"\n')
    wrapper.chmod(0o755)

    # The settled directory is derived data: without it, the first report judges every order.
    subprocess.run(["rm", "-rf", str(Path(store) / "settled")], check=True)
    first = timed([binary, "report", "--store", store, "--out", str(work / "first")])
    warm = timed([binary, "report", "--store", store, "--out", str(work / "warm")])
    with LocalCluster(host="127.0.0.1", n_workers=workers, threads_per_worker=1, dashboard_address=None,
                      worker_dashboard_address=None) as cluster, Client(cluster) as client:
        start = time.monotonic()
        done = report(client, store, work / "dist", binary=str(wrapper))
        wall = time.monotonic() - start
    assert done.code == 0, done.stderr
    tasks = [line.split(maxsplit=2) for line in log.read_text().splitlines() if " partition " in line]
    peaks = sorted(int(t[0]) // 1024 for t in tasks)
    seconds = sum(float(t[1]) for t in tasks)
    sums = [line.split(maxsplit=2) for line in log.read_text().splitlines() if " --from-parts " in line]
    same = files(work / "dist") == files(work / "warm")
    print(f"report --store, first (judges every order): {first[0]:.2f} s, peak {first[1]} MiB")
    print(f"report --store, settled orders kept:        {warm[0]:.2f} s, peak {warm[1]} MiB")
    print(f"dask, {workers} workers, {len(tasks)} partition tasks: {wall:.2f} s wall "
          f"({seconds:.1f} task-seconds), the sum {float(sums[0][1]):.2f} s, peak {int(sums[0][0]) // 1024} MiB")
    print(f"one task's peak: median {peaks[len(peaks) // 2]} MiB, max {peaks[-1]} MiB, min {peaks[0]} MiB")
    print(f"outputs the same bytes as report --store: {same}")


if __name__ == "__main__":
    main()
