"""The driver: tasks that call the `orderhealth` binary, one process each."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

# The longest stderr a failed task's error carries.
MAX_ERROR = 2000


class DriverError(Exception):
    """A failure the user can act on: said in one line, with what to do."""


@dataclass
class Outcome:
    """What the final `orderhealth` run printed, and its exit code."""

    code: int
    stdout: str
    stderr: str


def find_binary(binary: str | None) -> str:
    """The `orderhealth` binary: `binary` when given, else the one on PATH (absolute)."""
    if binary:
        path = Path(binary)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise DriverError(f"{binary}: no orderhealth binary there (give --binary the path of an executable)")
        return str(path.resolve())
    found = shutil.which("orderhealth")
    if not found:
        raise DriverError(
            "orderhealth: not found on PATH; install it on every worker (docs/SCALE-OUT.md) or give --binary PATH"
        )
    return str(Path(found).resolve())


def partitions_of(store: str | os.PathLike) -> int:
    """How many partitions a store has (its manifest says; a store without the field has 16)."""
    manifest = Path(store) / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DriverError(f"{store}: no store here (make one with `orderhealth ingest INPUT... --store {store}`)")
    except (OSError, ValueError) as e:
        raise DriverError(f"{manifest}: cannot read the store's manifest ({e})")
    n = data.get("partitions", 16)
    if not isinstance(n, int) or n < 1:
        raise DriverError(f"{manifest}: a damaged store manifest (partitions: {n!r})")
    return n


def run_orderhealth(binary: str, args: list[str]) -> Outcome:
    """Runs `binary args` on the worker this task landed on."""
    if not os.access(binary, os.X_OK):
        raise DriverError(
            f"{binary}: no orderhealth binary on worker {socket.gethostname()} (install it at the same path on every worker)"
        )
    proc = subprocess.run([binary, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def _checked(binary: str, args: list[str], what: str) -> None:
    """Runs `binary args`; raises when the process fails or is killed, so that Dask runs the
    task again (what it writes is written whole or not at all)."""
    done = run_orderhealth(binary, args)
    if done.code != 0:
        why = done.stderr.strip()[-MAX_ERROR:]
        if done.code < 0:
            why = f"killed by signal {-done.code}" + (f": {why}" if why else "")
        raise RuntimeError(f"{what}: exit {done.code}: {why}")


def partition_task(binary: str, store: str, shard: int, out: str, options: list[str]) -> str:
    """One task: `orderhealth partition` for one partition."""
    _checked(binary, ["partition", "--store", store, "--shard", str(shard), "--out", out, *options],
             f"partition {shard} of {store}")
    return out


def _connect(scheduler):
    """A client of the scheduler at `scheduler` (an address), or `scheduler` itself when it is one."""
    from distributed import Client

    if not isinstance(scheduler, str):
        return scheduler, False
    try:
        return Client(scheduler, timeout="10s"), True
    except (OSError, TimeoutError) as e:
        raise DriverError(f"cannot reach the Dask scheduler at {scheduler}: {e} (is it running, and is the address right?)")


def _partition_futures(client, binary, store, parts, options, retries, token):
    n = partitions_of(store)
    return [
        client.submit(
            partition_task,
            binary,
            store,
            p,
            str(Path(parts) / f"p{p:04d}"),
            options,
            key=f"orderhealth-partition-{token}-{p}",
            retries=retries,
            pure=False,
        )
        for p in range(n)
    ]


def _finish(client, binary, args, retries, token) -> Outcome:
    future = client.submit(run_orderhealth, binary, args, key=f"orderhealth-sum-{token}", retries=retries, pure=False)
    return future.result()


def report(
    scheduler,
    store: str | os.PathLike,
    out: str | os.PathLike,
    *,
    binary: str | None = None,
    options: list[str] = (),
    report_options: list[str] = (),
    parts: str | os.PathLike | None = None,
    retries: int = 3,
) -> Outcome:
    """`orderhealth report --store STORE --out OUT` on a Dask cluster: one task per partition
    (`orderhealth partition`), then one that sums them (`report --from-parts`). `options`
    go to both (how orders are judged), `report_options` to the sum only (--format, …).
    `scheduler` is an address (`tcp://host:8786`) or a `distributed.Client`."""
    store = str(Path(store).resolve())

    def tasks(client, binary, parts, token):
        futures = _partition_futures(client, binary, store, parts, list(options), retries, token)
        return futures, ["report", "--store", store, "--from-parts", parts]

    return _run(scheduler, binary, out, parts, retries, [*options, *report_options], tasks)


def _run(scheduler, binary, out, parts, retries, options, tasks, failed=None) -> Outcome:
    """The tasks `tasks` makes, then the sum (its arguments from `tasks`, then `--out OUT`
    and `options`) as one more task. With `failed`, tasks may fail (it is told which);
    without, a task that failed every retry fails the run."""
    binary = find_binary(binary)
    out = str(Path(out).resolve())
    parts = str(Path(parts).resolve()) if parts else out.rstrip("/") + ".parts"
    client, own = _connect(scheduler)
    try:
        token = uuid.uuid4().hex[:12]
        futures, args = tasks(client, binary, parts, token)
        if failed is None:
            client.gather(futures)
        else:
            from distributed import wait

            wait(futures)
            failed(futures)
        return _finish(client, binary, [*args, "--out", out, *options], retries, token)
    finally:
        if own:
            client.close()


def account_name(spec: str) -> tuple[str, str]:
    """`NAME=DIR` or `DIR` (named by its last component), as `orderhealth fleet` reads it."""
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name:
        return name, path
    return Path(spec).resolve().name, spec


def account_report(binary: str, store: str, parts: str, out: str, options: list[str], _partitions) -> str:
    """One task per account of a fleet: its report summed from its partitions' results (the
    tasks in `_partitions`, which Dask runs first)."""
    _checked(binary, ["report", "--store", store, "--from-parts", parts, "--out", out, *options], f"the report of {store}")
    return out


def fleet(
    scheduler,
    stores: list[str],
    out: str | os.PathLike,
    *,
    binary: str | None = None,
    options: list[str] = (),
    report_options: list[str] = (),
    parts: str | os.PathLike | None = None,
    retries: int = 3,
) -> Outcome:
    """`orderhealth fleet STORE... --out OUT` on a Dask cluster: one task per (store,
    partition), every store's at once; one per account summing its results into
    `OUT/<name>/`; then the fleet from those reports (`fleet --from-reports`). An account
    whose report fails every retry is listed by the fleet with its error."""
    accounts = [(name, str(Path(store).resolve())) for name, store in map(account_name, stores)]
    # Each account's report takes the output options but those that change the exit code,
    # which the fleet applies to all of them.
    per_account = [*options, *[o for o in report_options if o not in ("--fail-on-breach", "--fail-on-mismatch")]]
    root = str(Path(out).resolve())

    def tasks(client, binary, parts, token):
        reports = []
        for i, (name, store) in enumerate(accounts):
            account_parts = str(Path(parts) / name)
            try:
                futures = _partition_futures(client, binary, store, account_parts, list(options), retries, f"{token}-{i}")
            except DriverError as e:
                # Not a store: this account fails alone (the fleet lists it), the others run.
                reports.append(client.submit(_fail, str(e), key=f"orderhealth-account-{token}-{i}", pure=False))
                continue
            target = str(Path(root) / name)
            reports.append(
                client.submit(
                    account_report, binary, store, account_parts, target, per_account, futures,
                    key=f"orderhealth-account-{token}-{i}", retries=retries, pure=False,
                )
            )
        return reports, ["fleet", *[f"{name}={store}" for name, store in accounts], "--from-reports"]

    return _run(scheduler, binary, out, parts, retries, [*options, *report_options], tasks, failed=_clear_failed(accounts, root))


def _fail(why: str):
    raise DriverError(why)


def _clear_failed(accounts, root):
    """After the accounts' tasks: the report directory of an account whose task failed is
    removed (an earlier run's report must not stand for tonight's)."""

    def clear(futures):
        for (name, _), future in zip(accounts, futures):
            if future.status == "error":
                shutil.rmtree(Path(root) / name, ignore_errors=True)

    return clear
