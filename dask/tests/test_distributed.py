"""orderhealth on a real (local) Dask cluster: the distributed report is, byte for byte, the
one-machine report; a worker or an `orderhealth` process killed mid-task changes nothing; a
fleet is its accounts' reports; a missing binary or an unreachable scheduler is a clear error."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orderhealth_dask import DriverError, fleet, report

from .conftest import outputs, run


def test_every_socket_is_on_127_0_0_1(cluster):
    cluster, client = cluster
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:"), cluster.scheduler_address
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 4
    for address, info in workers.items():
        assert address.startswith("tcp://127.0.0.1:"), address
        assert info["host"] == "127.0.0.1", info["host"]
        # The nanny that restarts a killed worker listens there too.
        assert info["nanny"].startswith("tcp://127.0.0.1:"), info["nanny"]
    for nanny in cluster.workers.values():
        assert nanny.address.startswith("tcp://127.0.0.1:"), nanny.address
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")


def test_the_distributed_report_is_the_one_machine_report(cluster, binary, store, expected, tmp_path):
    _, client = cluster
    done = report(client, store, tmp_path / "out", binary=binary)
    assert done.code == 0, done.stderr
    got, want = outputs(tmp_path / "out"), outputs(expected)
    assert sorted(got) == sorted(want)
    for name in ["summary.json", "report.html", "rejected.tsv", "cancel_rate.parquet", "auto_cancel.parquet"]:
        assert name in got, sorted(got)
    for name, data in want.items():
        assert got[name] == data, f"{name} differs"
    # One result per partition, each a whole directory.
    parts = sorted(p.name for p in (tmp_path / "out.parts").iterdir())
    assert parts == [f"p{i:04d}" for i in range(32)], parts


def _partition_processes() -> list[tuple[int, int]]:
    """(pid, parent pid) of every running `orderhealth partition`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if len(cmd) > 1 and cmd[0].endswith(b"orderhealth") and cmd[1] == b"partition":
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            found.append((int(entry), ppid))
    return found


def _kill_first(which: str, killed: list, stop: threading.Event):
    """Kills the first `orderhealth partition` seen (`process`) or the worker running it
    (`worker`), once."""
    while not stop.is_set():
        for pid, ppid in _partition_processes():
            try:
                os.kill(pid if which == "process" else ppid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            killed.append((which, pid, ppid))
            return
        time.sleep(0.005)


@pytest.mark.parametrize("which", ["process", "worker"])
def test_a_task_killed_midway_changes_no_byte(cluster, binary, store, expected, tmp_path, which):
    _, client = cluster
    killed: list = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_first, args=(which, killed, stop))
    killer.start()
    try:
        done = report(client, store, tmp_path / "out", binary=binary, retries=3)
    finally:
        stop.set()
        killer.join()
    assert killed, "nothing was killed: the test did not test"
    assert done.code == 0, done.stderr
    got, want = outputs(tmp_path / "out"), outputs(expected)
    assert got == want
    if which == "worker":
        client.wait_for_workers(4, timeout=60)


def test_a_fleet_of_three_stores_is_three_reports(cluster, binary, store, tmp_path):
    _, client = cluster
    sample = Path(__file__).resolve().parents[2] / "testdata" / "sample"
    nights = sorted(p for p in sample.iterdir() if p.is_dir())
    small = tmp_path / "small"
    run(binary, "ingest", *map(str, nights[:30]), "--store", str(small), "--partitions", "16")
    recent = tmp_path / "recent"
    run(binary, "ingest", *map(str, nights[-20:]), "--store", str(recent), "--partitions", "48")
    stores = [f"big={store}", str(small), str(recent)]
    done = fleet(client, stores, tmp_path / "fleet", binary=binary, report_options=["--format", "csv"])
    assert done.code == 0, done.stderr
    assert "of 3 accounts BAD" in done.stdout, done.stdout
    # Each account is its own `report --store`; the fleet summary is `orderhealth fleet`'s.
    for name, path in [("big", store), ("small", small), ("recent", recent)]:
        single = tmp_path / f"single-{name}"
        run(binary, "report", "--store", str(path), "--format", "csv", "--out", str(single))
        assert outputs(tmp_path / "fleet" / name) == outputs(single), name
    direct = tmp_path / "direct"
    subprocess.run([binary, "fleet", *stores, "--format", "csv", "--out", str(direct)], capture_output=True)
    assert (tmp_path / "fleet" / "fleet.json").read_bytes().replace(str(store).encode(), b"S") == (
        direct / "fleet.json"
    ).read_bytes().replace(str(store).encode(), b"S")
    # An account that is not a store fails alone: listed first with its error, exit 1; a
    # report an earlier run left for it does not stand in.
    (tmp_path / "fleet" / "gone").mkdir()
    (tmp_path / "fleet" / "gone" / "summary.json").write_text('{"verdict": "GOOD"}')
    done = fleet(client, [*stores, str(tmp_path / "gone")], tmp_path / "fleet", binary=binary)
    assert done.code == 1, done.stderr
    summary = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    assert summary["accounts"][0]["name"] == "gone"
    assert "no report of this account" in summary["accounts"][0]["error"]
    assert [a["error"] for a in summary["accounts"][1:]] == [None, None, None]


def test_a_missing_binary_is_a_clear_error(cluster, store, tmp_path):
    _, client = cluster
    with pytest.raises(DriverError, match="no orderhealth binary there"):
        report(client, store, tmp_path / "out", binary=str(tmp_path / "nowhere" / "orderhealth"))
    env = dict(os.environ, PATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "orderhealth_dask", "report", "--scheduler", "tcp://127.0.0.1:1", "--store", str(store),
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 2, done.stderr
    assert "orderhealth: not found on PATH; install it on every worker" in done.stderr, done.stderr


def test_an_unreachable_scheduler_is_a_clear_error(binary, store, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", "orderhealth_dask", "report", "--scheduler", f"tcp://127.0.0.1:{port}",
         "--store", str(store), "--out", str(tmp_path / "o"), "--binary", binary],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in done.stderr, done.stderr


def test_the_command_takes_the_clis_options(cluster, binary, store, tmp_path):
    cluster, _ = cluster
    opts = ["--format", "csv", "--warn-days", "3", "--tracking-basis", "ship", "--threads", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "orderhealth_dask", "report", "--scheduler", cluster.scheduler_address,
         "--store", str(store), "--out", str(tmp_path / "dist"), "--binary", binary, *opts],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Verdict:" in done.stdout, done.stdout
    run(binary, "report", "--store", str(store), "--out", str(tmp_path / "single"), *opts)
    assert outputs(tmp_path / "dist") == outputs(tmp_path / "single")
    assert (tmp_path / "dist" / "cancel_rate.csv").is_file()
