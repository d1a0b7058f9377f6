"""A generated store of ~200 k orders in three batches and 32 partitions, and a local Dask
cluster of 4 worker processes: every socket bound to 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _binary() -> str:
    given = os.environ.get("ORDERHEALTH_BIN")
    if given:
        return given
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    return str(Path(target) / "debug" / "orderhealth")


@pytest.fixture(scope="session")
def binary() -> str:
    b = _binary()
    assert os.access(b, os.X_OK), f"{b}: build orderhealth first (cargo build), or set ORDERHEALTH_BIN"
    return b


def run(binary: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    done = subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, f"orderhealth {' '.join(args)}: exit {done.returncode}: {done.stderr}"
    return done


@pytest.fixture(scope="session")
def store(binary, tmp_path_factory) -> Path:
    """~200 k orders over 60 days, ingested as a base (50 days) and two layers."""
    root = tmp_path_factory.mktemp("gen")
    dumps = root / "dumps"
    run(binary, "generate", "--orders", "200000", "--days", "60", "--seed", "7", "--catalog", "--out", str(dumps))
    nights = sorted(p for p in dumps.iterdir() if p.is_dir())
    loose = sorted(p for p in dumps.iterdir() if p.is_file())
    store = root / "store"
    batches = [nights[:50] + loose, nights[50:56], nights[56:]]
    run(binary, "ingest", *map(str, batches[0]), "--store", str(store), "--partitions", "32")
    for batch in batches[1:]:
        run(binary, "ingest", *map(str, batch), "--store", str(store))
    return store


@pytest.fixture(scope="session")
def expected(binary, store, tmp_path_factory) -> Path:
    """`report --store` on one machine: what the cluster must give, byte for byte."""
    out = tmp_path_factory.mktemp("expected") / "out"
    run(binary, "report", "--store", str(store), "--out", str(out))
    return out


@pytest.fixture(scope="session")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(
        host="127.0.0.1",
        n_workers=4,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster, Client(cluster) as client:
        yield cluster, client


def outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
