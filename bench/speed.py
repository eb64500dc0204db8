"""Speed of the kit's measures against the reference implementations, on the same model and data.

Run with ``make bench`` (or ``python bench/speed.py --out bench/RESULTS.md``). A 10-20-1 tanh
net trained on friedman1, 5000 rows, one process. Timings are never asserted in tests: this file
is where speed is measured.

Steady state, side by side. A first call pays one-off costs that a user pays once per session,
not per call: shap compiles its numba kernels, Captum and scikit-learn import lazily, caches and
the allocator warm up. So each case calls the reference ("anchor") and the kit once each
untimed, then times them in alternation, anchor then kit, for several rounds, and keeps each
side's fastest round: both sides see the same state of a machine that other processes may share,
and the fastest round is the least disturbed one. The ratio is anchor time / kit time.

The floor. For the kit's one-hidden-layer MLP, the fast paths reduce every evaluation to the
hidden activations of already-shifted pre-activations (a coalition, a shuffled column or a step
along the path moves the pre-activations by a sum of rank-one terms, computed once). The work
left is about one activation per hidden unit and evaluation, so the time torch takes for that
many in-place activations, in cache-sized chunks, is a floor for the fast path; kit / floor says
how much else (forming the pre-activations, reducing the outputs, Python) costs.
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
from helpers._base import one_thread  # noqa: E402
from helpers.data import load_dataset, standardize  # noqa: E402
from helpers.model import as_estimator, predict, train  # noqa: E402

N_HIDDEN = 20
FLOOR_CHUNK = 2 ** 16
"""Floats per in-place activation in the floor (256 kB, well inside a core's L2 cache)."""
ROUNDS_QUICK, ROUNDS, ROUNDS_TRAINING = 20, 5, 3
"""Timed rounds per case: more for a measure that takes milliseconds, fewer for 22 trainings."""


def elapsed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def side_by_side(anchor, kit, rounds: int,
                 n_activations: int | None = None) -> tuple[float, float, float | None]:
    """Best times of ``anchor`` and ``kit`` at steady state, and the floor for ``n_activations``.

    One untimed call of each (compilation, lazy imports, caches), then ``rounds`` rounds of
    anchor, kit and (with ``n_activations``) the floor's runs, each one's fastest round kept.
    """
    timed = {"anchor": anchor, "kit": kit}
    if n_activations:
        timed.update({name: activations(n_activations, act) for name, act in
                      (("tanh_", torch.tanh_), ("sigmoid_", torch.sigmoid_))})
    for fn in timed.values():
        fn()
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(rounds):
        for name, fn in timed.items():
            best[name] = min(best[name], elapsed(fn))
    floor = min(best["tanh_"], best["sigmoid_"]) / torch.get_num_threads() if n_activations else None
    return best["anchor"], best["kit"], floor


def activations(n_activations: int, act):
    """A run of ``n_activations`` float32 in-place activations ``act`` on one thread, for the floor.

    One reused buffer of ``FLOOR_CHUNK`` floats (it stays in cache), refilled before each run with
    pre-activations of a typical spread (torch's vectorised kernels take the same time whatever the
    values, so applying the activation again and again is fair). ``tanh_`` and ``sigmoid_`` are both timed:
    ``tanh(z) = 2 sigmoid(2z) - 1``, the same net once the factors are folded into the weights, so
    the faster is the floor. One thread, divided by the thread count: the floor assumes the work
    splits perfectly over the threads, which no barrier-bound or shared machine gets.
    """
    size = min(FLOOR_CHUNK, n_activations)
    source = torch.randn(size, generator=torch.Generator().manual_seed(0)) * 2
    buffer = torch.empty(size)
    full, rest = divmod(n_activations, size)

    def run():
        with one_thread():
            buffer.copy_(source)
            for _ in range(full):
                act(buffer)
            if rest:
                act(buffer[:rest])
    return run


def setup(n_rows=5000):
    data = load_dataset("friedman1", n_samples=n_rows, seed=0)
    (data,) = standardize(data)[:1]
    model = train(data.X, data.y, n_hidden=N_HIDDEN, seed=0).model
    return model, data.X, data.y


# Each case returns (measure, anchor's name, anchor time, kit time, floor time or None, goal,
# activations or None).
def case_permutation(model, X, y):
    from sklearn.inspection import permutation_importance
    n_repeats = 30
    work = (n_repeats * X.shape[1] + 1) * len(X) * N_HIDDEN      # every shuffled copy, and X itself
    times = side_by_side(
        lambda: permutation_importance(as_estimator(model), X, y, n_repeats=n_repeats, random_state=0,
                                       scoring="neg_mean_squared_error"),
        lambda: imp.permutation(model, X, y, n_repeats=n_repeats, seed=0), ROUNDS, work)
    return (f"permutation, {len(X)} rows x {n_repeats} repeats", "scikit-learn permutation_importance",
            *times, 4.0, work)


def case_gradient(model, X, y):
    from captum.attr import Saliency
    Xt = torch.as_tensor(X, dtype=torch.float32)
    sigma = X.std(axis=0)

    def anchor_fn():
        grads = Saliency(model).attribute(Xt.clone().requires_grad_(), abs=True)
        return sigma * grads.detach().numpy().mean(axis=0)
    work = len(X) * N_HIDDEN
    times = side_by_side(anchor_fn, lambda: imp.gradient(model, X), ROUNDS_QUICK, work)
    return f"gradient, {len(X)} rows", "Captum Saliency", *times, 10.0, work


def case_integrated_gradients(model, X, y):
    from captum.attr import IntegratedGradients
    n_steps = 50
    Xt = torch.as_tensor(X, dtype=torch.float32)
    base = Xt.mean(dim=0, keepdim=True).expand_as(Xt)
    work = n_steps * len(X) * N_HIDDEN
    times = side_by_side(lambda: IntegratedGradients(model).attribute(Xt, baselines=base, n_steps=n_steps),
                         lambda: imp.integrated_gradients(model, X, n_steps=n_steps), ROUNDS, work)
    return (f"integrated gradients, {len(X)} rows x {n_steps} steps", "Captum IntegratedGradients",
            *times, 5.0, work)


def case_shapley(model, X, y):
    import shap
    rows, background = X[:100], X[100:200]
    f = lambda a: predict(model, a)  # noqa: E731

    def anchor_fn():
        explainer = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=len(background)))
        return explainer(rows, silent=True)
    d = X.shape[1]
    work = 2 ** d * len(rows) * len(background) * N_HIDDEN         # every coalition, row and background row
    times = side_by_side(anchor_fn, lambda: imp.shapley(model, rows, background=background), ROUNDS, work)
    return (f"exact Shapley, {len(rows)} rows x {len(background)} background, {d} inputs", "shap Exact explainer",
            *times, 4.0, work)


def case_ablation(model, X, y):
    Xs, ys = X[:1000], y[:1000]
    kwargs = {"epochs": 500}
    seeds = (0, 1)
    split = int(0.75 * len(Xs))
    Xtr, ytr = Xs[:split], ys[:split]

    def loop():                                   # 2 seeds x (1 baseline + 10 inputs) = 22 nets
        for seed in seeds:
            train(Xtr, ytr, seed=seed, **kwargs)
            for i in range(Xtr.shape[1]):
                Xi = Xtr.copy()
                Xi[:, i] = Xi[:, i].mean()
                train(Xi, ytr, seed=seed, **kwargs)

    def kit_fn():
        res = imp.ablation(Xtr, ytr, X_test=Xs[split:], y_test=ys[split:], seeds=seeds, train_kwargs=kwargs)
        assert res.info["n_nets"] == len(seeds) * (1 + Xtr.shape[1])
    times = side_by_side(loop, kit_fn, ROUNDS_TRAINING)
    n_nets = len(seeds) * (1 + Xtr.shape[1])
    return (f"drop and retrain, {n_nets} nets ({Xtr.shape[1]} inputs + baseline, x {len(seeds)} seeds; "
            f"{len(Xs)} rows, {kwargs['epochs']} epochs)", "a loop over train()", *times, 3.0, None)


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
        name, anchor_name, anchor, kit, floor, goal, work = case(model, X, y)
        rows.append((name, anchor_name, anchor, kit, goal, work, floor))
        against_floor = f"kit/floor {kit / floor:5.1f}" if floor else ""
        print(f"{name:60s} {anchor_name:38s} {anchor:8.4f}s {kit:8.4f}s  x{anchor / kit:6.1f} (goal x{goal:g})"
              f" {'ok' if anchor / kit >= goal else 'BELOW GOAL'}  {against_floor}", flush=True)
    write(Path(args.out), rows)
    return 0 if all(anchor / kit >= goal for _, _, anchor, kit, goal, _, _ in rows) else 1


def write(path: Path, rows):
    table = [f"Measured {dt.date.today()} on {platform.machine()}, Python {platform.python_version()}, "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads; a 10-{N_HIDDEN}-1 tanh net on "
             "friedman1, 5000 rows.", "",
             "Steady state, side by side: each case first calls the anchor and the kit once, untimed "
             "(shap's numba compilation, lazy imports, warm caches), then times them in alternation, "
             f"anchor then kit, and keeps each side's best round: best of {ROUNDS_QUICK} for the gradient, "
             f"of {ROUNDS} for permutation, integrated gradients and Shapley, of {ROUNDS_TRAINING} for drop "
             "and retrain. The machine may be shared with other processes; the best round is the least "
             "disturbed.", "",
             "Floor: the kit's MLP fast paths leave about one activation per hidden unit and evaluation "
             "(column \"activations\"); the floor is the time torch takes for that many float32 in-place "
             f"activations (the faster of `tanh_` and `sigmoid_`), in chunks of {FLOOR_CHUNK:,} floats on one "
             "thread, divided by the thread count (a perfect split), timed in the same rounds as the case. "
             "kit / floor is how close the measure is to it: near 1, the activations are the cost; the "
             "rest is forming the pre-activations, reducing the outputs, and per-call overhead, which is "
             "all of the gradient's time (its 1e5 activations take microseconds). Drop and retrain is "
             "training, not evaluation: no floor.", "",
             "| measure | anchor | anchor time | kit time | anchor / kit | goal | activations | floor "
             "| kit / floor |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, anchor_name, anchor, kit, goal, work, floor in rows:
        cells = (f"{work:.2e} | {floor * 1e3:.3g} ms | {kit / floor:.1f}x".replace("e+0", "e") if floor
                 else "- | - | -")
        table.append(f"| {name} | {anchor_name} | {anchor * 1e3:.4g} ms | {kit * 1e3:.4g} ms "
                     f"| {anchor / kit:.1f}x | {goal:g}x | {cells} |")
    write_section(path, "speed", "\n".join(table), "Speed of the measures (`make bench`)")


if __name__ == "__main__":
    sys.exit(main())
