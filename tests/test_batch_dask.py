"""The batch on a Dask cluster: a real ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1, started here, as an analyst's cluster would be; the batch reaches them through
``--scheduler`` and must give the same bits as the local run, and a worker lost mid-run must fail
that run only. A run stops its kernel when its task is cancelled or its batch is gone, and Ctrl-C
in a terminal stops a ``--cluster local`` batch with one line.

The workers share no folder with the batch (each runs in its own temporary folder): the notebook,
the data file and the model travel with the task, and the files come back to the client.
"""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from batch_tools import alive, descendants, kernels_of, start_batch, tiny_notebook, wait_for, write_config
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


def running_kernels(workers) -> list[int]:
    return [k for w in workers if w.poll() is None for k in kernels_of(w.pid)]


def test_a_cancelled_run_stops_its_kernel_on_the_worker(cluster, tmp_path):
    # a worker cannot interrupt the thread that runs a task: the run itself must notice
    from distributed import Client

    from helpers.batch_runs import Task, run_task

    address, workers = cluster
    notebook = tiny_notebook(tmp_path)
    task = Task("slow", notebook.name, notebook.read_bytes(), notebook_params={"seconds": 120}, timeout=600)
    with Client(address, timeout="30s") as client:
        future = client.submit(run_task, task, pure=False)
        kernels = wait_for(lambda: running_kernels(workers), 60)
        assert len(kernels) == 1, "the run should be running a kernel"
        future.cancel()
        try:
            assert wait_for(lambda: not any(alive(k) for k in kernels), 10), "the kernel ran on after its task was cancelled"
        finally:
            for kernel in kernels:
                with contextlib.suppress(OSError):
                    os.kill(kernel, signal.SIGKILL)


def test_a_killed_batch_leaves_no_kernel_running_on_the_workers(cluster, tmp_path):
    address, workers = cluster
    config = write_config(tmp_path, "grid:\n  seconds: [120, 121]\n")
    process = start_batch(config, tmp_path / "out", "--scheduler", address)
    kernels = []
    try:
        live = [w for w in workers if w.poll() is None]
        assert wait_for(lambda: all(kernels_of(w.pid) for w in live), 60), "each worker should be running a kernel"
        kernels = running_kernels(live)
        process.kill()  # SIGKILL: nothing of the batch can clean up; its client is simply gone
        process.wait(10)
        assert wait_for(lambda: not any(alive(k) for k in kernels), 15), "kernels ran on after their batch was killed"
    finally:
        if process.poll() is None:
            process.kill()
        for kernel in kernels:
            with contextlib.suppress(OSError):
                os.kill(kernel, signal.SIGKILL)


def test_ctrl_c_in_the_terminal_stops_a_local_cluster_batch_with_one_line(tmp_path):
    # a terminal's Ctrl-C reaches the whole process group: the batch and the LocalCluster's workers
    config = write_config(tmp_path, "runs:\n  - {seconds: 0}\n" + "".join(
        f"  - {{seconds: 120, fail: run{i}}}\n" for i in range(3)))
    out = tmp_path / "out"
    process = start_batch(config, out, "--jobs", "2", "--cluster", "local", session=True)
    below = []
    try:
        assert wait_for(lambda: (out / "runs" / "seconds-0").is_dir(), 120), "the quick run never finished"
        assert wait_for(lambda: len(kernels_of(process.pid)) == 2, 60), "two long runs should be running"
        below = descendants(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        left = [p for p in below if not wait_for(lambda p=p: not alive(p), 10)]
    finally:
        if process.poll() is None:
            process.kill()
        for pid in below:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode == 130, stdout + stderr
    assert len(stderr.strip().splitlines()) == 1 and "interrupted" in stderr, stderr
    assert not left, "processes outlived the batch"
    summary = pd.read_csv(out / "summary.csv").drop_duplicates("run_id").set_index("run_id")["status"]
    assert summary.pop("seconds-0") == "ok" and set(summary) == {"interrupted"}


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
