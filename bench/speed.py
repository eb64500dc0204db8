"""Speed of the kit's measures against the reference implementations, on the same model and data.

Run with ``make bench`` (or ``python bench/speed.py --out bench/RESULTS.md``). A 10-20-1 tanh
net trained on friedman1, 5000 rows, one process. Each case times the reference ("anchor") and the
kit, best of a few repeats, and reports anchor time / kit time against the goal. Timings are
never asserted in tests: this file is where speed is measured.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from results_file import write_section  # noqa: E402  (bench/, the script's own folder)

from helpers import importance as imp  # noqa: E402
from helpers.data import load_dataset, standardize  # noqa: E402
from helpers.model import as_estimator, predict, train  # noqa: E402


def best_time(fn, repeats=3):
    """The fastest of ``repeats`` calls (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def setup(n_rows=5000):
    data = load_dataset("friedman1", n_samples=n_rows, seed=0)
    (data,) = standardize(data)[:1]
    model = train(data.X, data.y, seed=0).model
    return model, data.X, data.y


def case_permutation(model, X, y):
    from sklearn.inspection import permutation_importance
    anchor = best_time(lambda: permutation_importance(as_estimator(model), X, y, n_repeats=30, random_state=0,
                                                      scoring="neg_mean_squared_error"), repeats=2)
    kit = best_time(lambda: imp.permutation(model, X, y, n_repeats=30, seed=0))
    return "permutation, 30 repeats", "scikit-learn permutation_importance", anchor, kit, 3.0


def case_gradient(model, X, y):
    from captum.attr import Saliency
    Xt = torch.as_tensor(X, dtype=torch.float32)
    sigma = X.std(axis=0)

    def anchor_fn():
        grads = Saliency(model).attribute(Xt.clone().requires_grad_(), abs=True)
        return sigma * grads.detach().numpy().mean(axis=0)
    return ("gradient", "Captum Saliency", best_time(anchor_fn), best_time(lambda: imp.gradient(model, X)), 10.0)


def case_integrated_gradients(model, X, y):
    from captum.attr import IntegratedGradients
    Xt = torch.as_tensor(X, dtype=torch.float32)
    base = Xt.mean(dim=0, keepdim=True).expand_as(Xt)
    anchor = best_time(lambda: IntegratedGradients(model).attribute(Xt, baselines=base, n_steps=50), repeats=2)
    kit = best_time(lambda: imp.integrated_gradients(model, X, n_steps=50))
    return "integrated gradients, 50 steps", "Captum IntegratedGradients", anchor, kit, 5.0


def case_shapley(model, X, y):
    import shap
    rows, background = X[:100], X[100:200]
    f = lambda a: predict(model, a)  # noqa: E731
    explainer = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=100))
    anchor = best_time(lambda: explainer(rows, silent=True), repeats=1)
    kit = best_time(lambda: imp.shapley(model, rows, background=background), repeats=2)
    return "exact Shapley, 100 rows x 100 background", "shap Exact explainer", anchor, kit, 3.0


def case_ablation(model, X, y):
    small = slice(0, 1000)
    Xs, ys = X[small], y[small]
    kwargs = {"epochs": 500}
    split = int(0.75 * len(Xs))

    def loop():
        for seed in (0, 1):
            train(Xs[:split], ys[:split], seed=seed, **kwargs)
            for i in range(Xs.shape[1]):
                Xi = Xs[:split].copy()
                Xi[:, i] = Xi[:, i].mean()
                train(Xi, ys[:split], seed=seed, **kwargs)
    anchor = best_time(loop, repeats=1)
    kit = best_time(lambda: imp.ablation(Xs[:split], ys[:split], X_test=Xs[split:], y_test=ys[split:],
                                         seeds=(0, 1), train_kwargs=kwargs), repeats=1)
    return "drop and retrain, 10 inputs x 2 seeds (1000 rows)", "a loop over train()", anchor, kit, 1.5


CASES = [case_permutation, case_gradient, case_integrated_gradients, case_shapley, case_ablation]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/RESULTS.md", help="where to write the results (Markdown)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    model, X, y = setup()
    rows = []
    for case in CASES:
        name, anchor_name, anchor, kit, goal = case(model, X, y)
        ratio = anchor / kit
        rows.append((name, anchor_name, anchor, kit, ratio, goal))
        print(f"{name:50s} {anchor_name:38s} {anchor:8.3f}s {kit:8.3f}s  x{ratio:6.1f} (goal x{goal:g})"
              f" {'ok' if ratio >= goal else 'BELOW GOAL'}", flush=True)
    write(Path(args.out), rows)
    return 0 if all(r[4] >= r[5] for r in rows) else 1


def write(path: Path, rows):
    table = [f"Measured {dt.date.today()} on {platform.machine()}, Python {platform.python_version()}, "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads; a 10-20-1 tanh net on "
             "friedman1, 5000 rows; best of 1-3 runs.", "",
             "| measure | anchor | anchor time | kit time | anchor / kit | goal |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name, anchor_name, anchor, kit, ratio, goal in rows:
        table.append(f"| {name} | {anchor_name} | {anchor:.3f} s | {kit:.4f} s | {ratio:.1f}x | {goal:g}x |")
    write_section(path, "speed", "\n".join(table), "Speed of the measures (`make bench`)")

if __name__ == "__main__":
    sys.exit(main())
