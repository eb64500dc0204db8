"""Shared fixtures: small nets and data, built once per test session and deterministic."""
import numpy as np
import pytest
import torch

from helpers._base import one_thread
from helpers.model import MLP, train


def friedman_like(n, seed):
    """Friedman's function on U[0,1]^10, standardised roughly (inputs centred), with noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 10))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
         + 10 * X[:, 3] + 5 * X[:, 4] + rng.normal(size=n))
    return (X - 0.5) / np.sqrt(1 / 12), y


class Wrapped(torch.nn.Module):
    """The same net behind a plain ``nn.Module``: the measures cannot see that it is an ``MLP``,
    so they take their generic (autograd / batched forward) path. Shared by the measure tests."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.task = getattr(net, "task", "regression")

    def forward(self, x):
        return self.net(x)


@pytest.fixture(scope="session")
def friedman_data():
    """(X_train, y_train, X_test, y_test), standardised inputs."""
    X, y = friedman_like(1000, seed=0)
    return X[:750], y[:750], X[750:], y[750:]


@pytest.fixture(scope="session")
def trained_net(friedman_data):
    """A 10-20-1 tanh net trained on Friedman's function (fixed seed)."""
    X, y, _, _ = friedman_data
    return train(X, y, seed=0).model


@pytest.fixture
def random_net():
    """An untrained 10-20-1 tanh net with fixed random weights."""
    torch.manual_seed(0)
    return MLP(10, 20, "tanh").eval()


# ================================================================ batch runner (tests/test_batch.py, tests/test_browser.py)
# One small batch, run once per session and shared: two good runs and one bad CSV.
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

KIT_ROOT = Path(__file__).resolve().parent.parent

SMALL_BATCH = """\
notebook: {notebook}
parameters:
  epochs: 150
  n_samples: 300
  measures: [weight_sum, gradient, permutation]
grid:
  dataset: [friedman1]
  seed: [0, 1]
runs:
  - {{dataset: bad.csv, target: y}}
"""


def run_batch_command(config, out, *extra, timeout=300):
    """``python -m helpers.batch CONFIG --out OUT ...`` as a subprocess, from the kit's folder."""
    return subprocess.run([sys.executable, "-m", "helpers.batch", str(config), "--out", str(out), *extra],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def small_batch(tmp_path_factory, worker_id):
    """The small batch, run once per test run: ``.config``, ``.out``, ``.result`` (the
    CompletedProcess with ``returncode``, ``stdout``, ``stderr``).

    With pytest-xdist each worker has its own session, so the first worker to ask runs the batch
    in a folder all workers share, under a lock, and saves its result; the others read it.
    """
    import fcntl
    import json

    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    folder = shared / "small-batch"
    folder.mkdir(exist_ok=True)
    saved = folder / "result.json"
    with open(shared / "small-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not saved.exists():
            rows = "\n".join(f"{i},{'oops' if i == 7 else 0.5 * i},{i % 5}" for i in range(40))
            (folder / "bad.csv").write_text("pressure,flow,y\n" + rows + "\n")
            config = folder / "small.yaml"
            config.write_text(SMALL_BATCH.format(notebook=KIT_ROOT / "notebooks" / "report.ipynb"))
            done = run_batch_command(config, folder / "out", "--jobs", "2")
            saved.write_text(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}))
    result = SimpleNamespace(**json.loads(saved.read_text()))
    return SimpleNamespace(config=folder / "small.yaml", out=folder / "out", result=result, folder=folder)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for a module's tests (``pytestmark = pytest.mark.usefixtures(...)``),
    the thread count restored after them."""
    with one_thread():
        yield
