"""The batch on a Dask cluster: a real ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, started here, as an analyst's cluster would be; the batch reaches them through
``--scheduler`` and must give the same bits as the local run, and a worker lost mid-run must fail
that run only.

The workers share no folder with the batch (each runs in its own temporary folder): the notebook,
the data file and the model travel with the task, and the files come back to the client.
"""
import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from batch_tools import kernels_of, wait_for, write_config
from conftest import run_batch_command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_command(*args, cwd, env=None):
    return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``(address, workers)``: a scheduler and two single-thread workers without nannies (a
    killed worker stays dead). The scheduler fails a task whose worker dies, rather than retrying
    it elsewhere, as ``--cluster local`` does."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    scheduler = dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
                             cwd=folder, env=env)
    workers = []
    for name in ("w1", "w2"):
        (folder / name).mkdir()
        workers.append(dask_command("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                    "--host", "127.0.0.1", "--name", name, cwd=folder / name))
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address, workers
    finally:
        for process in (*workers, scheduler):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (*workers, scheduler):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_batch_on_a_dask_cluster_gives_the_local_runs_bits(cluster, small_batch, tmp_path):
    address, _ = cluster
    out = tmp_path / "on-dask"
    result = run_batch_command(small_batch.config, out, "--scheduler", address)
    assert result.returncode == 1, result.stdout + result.stderr  # the bad CSV fails there too
    assert "Dask scheduler" in result.stdout
    local = (small_batch.out / "summary.csv").read_bytes()
    assert (out / "summary.csv").read_bytes() == local
    for run_id in ("dataset-friedman1_seed-0", "dataset-friedman1_seed-1"):
        for name in ("report.html", "report.ipynb", "importance.csv", "status.json", "params.json"):
            assert (out / "runs" / run_id / name).is_file()
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


def test_a_worker_lost_mid_run_fails_that_run_and_the_others_finish(cluster, tmp_path):
    address, workers = cluster
    config = write_config(tmp_path, "grid:\n  seconds: [12, 13]\n")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "helpers.batch", str(config), "--out", str(out),
                                "--scheduler", address], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: all(kernels_of(w.pid) for w in workers), 60), "both workers should be running a kernel"
        time.sleep(1)
        workers[0].kill()
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stdout + stderr
    summary = pd.read_csv(out / "summary.csv").drop_duplicates("run_id").set_index("run_id")
    assert sorted(summary["status"]) == ["failed", "ok"]
    assert "the Dask worker running it was lost" in stdout, stdout
