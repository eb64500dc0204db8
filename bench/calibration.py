"""Calibration of the verdict (``helpers.verdict.decide``) on data whose truth is known.

Run with ``make bench`` (or ``python bench/calibration.py --out bench/RESULTS.md``). Many data sets,
one seed each, 10 standard normal inputs and ``y = signal + N(0, 1)``:

- x1 linear (``a x1``), x2 nonlinear (``b (x2^2 - 1) / sqrt 2``), x3 and x4 interacting
  (``c x3 x4``), with a, b, c drawn from U(0.5, 1.5); x5 weak (``e x5``, e from U(0, 0.4), so that
  some real inputs sit near the threshold);
- x6 .. x9 pure noise; x10 noise correlated with x1 (``0.9 x1 + sqrt(0.19) N(0, 1)``, r = 0.9: a
  cluster with x1).

On each, the kit's 10-20-1 tanh net is trained (all data sets in one ``train_many`` call) on 750
rows and the verdict computed on the 250 held-out rows. An input's *true held-out worth* is the
same quantity on 20 000 fresh rows from the same generator (the estimand the verdict's interval is
about), in units of the threshold ``tau`` (by default 5% of the net's loss there). Reported:

- noise inputs (x6 .. x10, y does not use them) called "matters": goal at most 5% of pairs;
- real inputs worth at least 3 tau called "matters": goal at least 95% (and the rate by worth);
- a pure-noise target (same inputs, y independent of them): data sets with no "matters" and with
  the "learned nothing" flag raised: goal at least 95%.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the kit
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ (also when the tests import this file)

from helpers.training import train_many  # noqa: E402
from helpers.verdict import DEFAULT_THRESHOLD, decide  # noqa: E402
from results_file import finish  # noqa: E402

NAMES = [f"x{i}" for i in range(1, 11)]
REAL, NOISE = NAMES[:5], NAMES[5:]
WELL_ABOVE = 3.0   # "well above the threshold": a true worth of at least this many tau


def make(rng: np.random.Generator, n: int, coef: np.ndarray | None, *, null: bool = False):
    """Rows of the generator above: (X, y). ``coef`` = (a, b, c, e); ``null`` gives y ~ N(0, 1)."""
    X = rng.standard_normal((n, 10))
    X[:, 9] = 0.9 * X[:, 0] + np.sqrt(1 - 0.81) * X[:, 9]
    noise = rng.standard_normal(n)
    if null:
        return X, noise
    a, b, c, e = coef
    signal = a * X[:, 0] + b * (X[:, 1] ** 2 - 1) / np.sqrt(2) + c * X[:, 2] * X[:, 3] + e * X[:, 4]
    return X, signal + noise


def data_sets(n_sets: int, seed: int, null: bool, n_rows: int = 1000, n_truth: int = 20_000):
    """One (train, test, truth-sample) per data set, each from its own SeedSequence stream."""
    out = []
    for child in np.random.SeedSequence([seed, int(null)]).spawn(n_sets):
        rng = np.random.default_rng(child)
        coef = np.concatenate([rng.uniform(0.5, 1.5, 3), rng.uniform(0.0, 0.4, 1)])
        X, y = make(rng, n_rows, coef, null=null)
        Xb, yb = make(rng, n_truth, coef, null=null)
        split = int(0.75 * n_rows)
        out.append((X[:split], y[:split], X[split:], y[split:], Xb, yb))
    return out


def run(n_sets: int, seed: int, null: bool, n_repeats: int, threshold: float, level: float, epochs: int):
    sets = data_sets(n_sets, seed, null)
    start = time.perf_counter()
    nets = [r.model for r in train_many(np.stack([s[0] for s in sets]), np.stack([s[1] for s in sets]),
                                         seeds=list(range(n_sets)), epochs=epochs)]
    trained = time.perf_counter() - start
    rows = []
    for k, (net, (Xtr, ytr, Xte, yte, Xb, yb)) in enumerate(zip(nets, sets)):
        v = decide([net], Xte, yte, task="regression", feature_names=NAMES, X_train=Xtr, y_train=ytr,
                   n_repeats=n_repeats, seed=k, threshold=threshold, level=level)
        truth = decide([net], Xb, yb, task="regression", feature_names=NAMES, X_train=Xtr, y_train=ytr,
                       n_repeats=3, seed=k, threshold=threshold, level=level)
        worth = truth.table.set_index("feature")["importance"]
        table = v.table.set_index("feature")
        clusters = {m: c for _, c in v.clusters.iterrows() for m in c["members"]}
        for f in NAMES:
            c = clusters.get(f)
            rows.append({"set": k, "feature": f, "verdict": table.loc[f, "verdict"],
                         "worth": float(worth[f]) / max(truth.threshold, 1e-12),
                         "worth_share": float(worth[f]) / truth.baseline_loss,   # the worth as a share of the loss
                         "worth_loss": float(worth[f]),                            # in loss units
                         "low": float(table.loc[f, "low"]), "high": float(table.loc[f, "high"]),
                         "baseline": v.baseline_loss, "cluster": "" if c is None else c["group"],
                         "c_low": np.nan if c is None else float(c["low"]),
                         "learned_nothing": v.learned_nothing, "r2": float(v.fit.loc["net", "score"])})
    return rows, trained, time.perf_counter() - start - trained


def reclassify(rows: list[dict], share_: float) -> list[str]:
    """The verdicts ``decide`` gives with threshold ``share_`` (the same rules on the stored
    intervals: the band, the clusters judged together, no "matters" when the net learned nothing)."""
    out = []
    for r in rows:
        tau = share_ * r["baseline"]
        v = ("matters" if r["low"] > tau else "does not matter" if -tau <= r["low"] and r["high"] <= tau
             else "unclear")
        out.append("unclear" if v == "matters" and r["learned_nothing"] else v)
    by_cluster: dict = {}
    for r, v in zip(rows, out):
        if r["cluster"]:
            by_cluster.setdefault((r["set"], r["cluster"]), []).append(v)
    for k, r in enumerate(rows):
        if r["cluster"]:
            together = r["c_low"] > share_ * r["baseline"] and not r["learned_nothing"]
            if together and "matters" not in by_cluster[(r["set"], r["cluster"])]:
                out[k] = "unclear"
    return out


def sweep(signal: list[dict], null: list[dict], shares=(0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.1)) -> list[str]:
    """The checks at other thresholds, from the same intervals (the worth scales with the threshold)."""
    lines = ["| threshold (share of the loss) | noise called *matters* | real worth >= 3 tau: *matters* "
             "| real worth >= 5% of the loss: *matters* | pure noise: no *matters* |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for sh in shares:
        v = reclassify(signal, sh)
        v0 = reclassify(null, sh)
        noise = [x == "matters" for r, x in zip(signal, v) if r["feature"] in NOISE]
        strong = [x == "matters" for r, x in zip(signal, v)
                  if r["feature"] in REAL and r["worth_share"] >= WELL_ABOVE * sh]
        big = [x == "matters" for r, x in zip(signal, v) if r["feature"] in REAL and r["worth_share"] >= 0.05]
        sets0 = sorted({r["set"] for r in null})
        clean = sum(all(x != "matters" for r, x in zip(null, v0) if r["set"] == k) for k in sets0)
        lines.append(f"| {sh:g} | {share(sum(noise), len(noise))} | {share(sum(strong), len(strong))} "
                     f"| {share(sum(big), len(big))} | {share(clean, len(sets0))} |")
    return lines


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.1f}%" if total else "none"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/RESULTS.md", help="the Markdown file to update")
    parser.add_argument("--sets", type=int, default=60, help="data sets per scenario")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=10, help="permutation repeats (decide's n_repeats)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--epochs", type=int, default=3000)
    args = parser.parse_args(argv)
    opts = dict(n_repeats=args.repeats, threshold=args.threshold, level=args.level, epochs=args.epochs)
    signal, t_train, t_decide = run(args.sets, args.seed, False, **opts)
    null, t_train0, t_decide0 = run(args.sets, args.seed, True, **opts)

    noise = [r for r in signal if r["feature"] in NOISE]
    noise_plain = [r for r in noise if r["feature"] != "x10"]
    noise_corr = [r for r in noise if r["feature"] == "x10"]
    real = [r for r in signal if r["feature"] in REAL]
    strong = [r for r in real if r["worth"] >= WELL_ABOVE]
    called = lambda rows: sum(r["verdict"] == "matters" for r in rows)  # noqa: E731
    false_rate = called(noise) / len(noise)
    power = called(strong) / len(strong) if strong else float("nan")
    sets0 = sorted({r["set"] for r in null})
    clean0 = sum(all(r["verdict"] != "matters" for r in null if r["set"] == k) for k in sets0)
    flagged0 = sum(any(r["learned_nothing"] for r in null if r["set"] == k) for k in sets0)
    r2 = np.array([r["r2"] for r in signal if r["feature"] == "x1"])
    ok = false_rate <= 0.05 and power >= 0.95 and clean0 / len(sets0) >= 0.95 and flagged0 / len(sets0) >= 0.95
    covered = lambda rows: sum(r["low"] <= r["worth_loss"] <= r["high"] for r in rows)  # noqa: E731
    coverage = covered(signal) / len(signal)
    ok = ok and coverage >= args.level - 0.05

    bands = [(-np.inf, 1.0, "below tau"), (1.0, WELL_ABOVE, f"1 to {WELL_ABOVE:g} tau"),
             (WELL_ABOVE, 10.0, f"{WELL_ABOVE:g} to 10 tau"), (10.0, np.inf, "10 tau and more")]
    lines = [f"Measured {dt.date.today()} on {platform.machine()}, Python {platform.python_version()}: "
             f"`python bench/calibration.py` (seed {args.seed}). {args.sets} data sets per scenario, each with its "
             f"own 10-20-1 tanh net (750 training rows, 250 held out, default training); `decide` with "
             f"threshold {args.threshold:g} of the held-out loss, {args.level:.0%} intervals, {args.repeats} repeats. "
             f"True worth: the same quantity on 20 000 fresh rows, in units of tau. Nets' held-out R^2: median "
             f"{np.median(r2):.2f} (range {r2.min():.2f} to {r2.max():.2f}).", "",
             "| check | goal | measured | |",
             "| --- | ---: | ---: | --- |",
             f"| noise inputs called *matters* ((input, data set) pairs) | at most 5% | {share(called(noise), len(noise))} "
             f"| {'ok' if false_rate <= 0.05 else 'MISSED'} |",
             f"| &nbsp; of which independent noise (x6-x9) | | {share(called(noise_plain), len(noise_plain))} | |",
             f"| &nbsp; of which x10, noise with r = 0.9 to x1 | | {share(called(noise_corr), len(noise_corr))} | |",
             f"| real inputs worth at least {WELL_ABOVE:g} tau called *matters* | at least 95% | "
             f"{share(called(strong), len(strong))} | {'ok' if power >= 0.95 else 'MISSED'} |",
             f"| the {args.level:.0%} interval holds the true worth (all inputs) | about {args.level:.0%} "
             f"| {share(covered(signal), len(signal))} | {'ok' if coverage >= args.level - 0.05 else 'MISSED'} |",
             f"| &nbsp; of which real inputs worth at least {WELL_ABOVE:g} tau | | {share(covered(strong), len(strong))} | |",
             f"| &nbsp; of which noise inputs | | {share(covered(noise), len(noise))} | |",
             f"| pure-noise target: data sets with no *matters* | at least 95% | {share(clean0, len(sets0))} "
             f"| {'ok' if clean0 / len(sets0) >= 0.95 else 'MISSED'} |",
             f"| pure-noise target: data sets flagged *learned nothing* | at least 95% | {share(flagged0, len(sets0))} "
             f"| {'ok' if flagged0 / len(sets0) >= 0.95 else 'MISSED'} |",
             "", "Noise inputs: how often each verdict is given. *does not matter* needs the whole interval inside "
             "the threshold band, which 250 held-out rows give for few of them: *unclear* is the honest answer "
             "there, and more held-out rows narrow the intervals.", "",
             "| inputs | pairs | matters | unclear | does not matter |",
             "| --- | ---: | ---: | ---: | ---: |",
             *[f"| {label} | {len(rows_)} | " + " | ".join(
                 f"{100 * sum(r['verdict'] == v for r in rows_) / len(rows_):.0f}%"
                 for v in ("matters", "unclear", "does not matter")) + " |"
               for label, rows_ in (("independent noise (x6-x9)", noise_plain), ("x10, r = 0.9 to x1", noise_corr))
               if rows_],
             "", "Real inputs (x1-x5) by true worth: how often each verdict is given.", "",
             "| true worth | pairs | matters | unclear | does not matter |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for lo, hi, label in bands:
        band = [r for r in real if lo <= r["worth"] < hi]
        if band:
            cnt = {v: sum(r["verdict"] == v for r in band) for v in ("matters", "unclear", "does not matter")}
            lines.append(f"| {label} | {len(band)} | " + " | ".join(f"{100 * c / len(band):.0f}%" for c in cnt.values())
                         + " |")
    lines += ["", "The same intervals judged at other thresholds (a real input is *well above* at 3 tau of that "
              "threshold; the last column is a fixed bar, 5% of the loss):", ""] + sweep(signal, null)
    lines += ["", f"Time: training {t_train + t_train0:.0f} s, verdicts {t_decide + t_decide0:.0f} s "
              f"({2 * args.sets} data sets). Goals {'all met' if ok else 'NOT all met'}."]
    return finish(args.out, "calibration", lines, "Calibration of the verdict (`make bench`)", ok)


if __name__ == "__main__":
    sys.exit(main())
