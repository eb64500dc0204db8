"""The verdict: which inputs matter, which do not, and which cannot be told, with 95% intervals.

``decide`` is the one call: the nets, the held-out rows, the task. It answers per original variable
(``groups``) with **matters**, **does not matter** or **unclear**, from the held-out loss increase when
the variable is shuffled, with an interval from each row's share in it, a practical threshold,
the correlated clusters judged as a whole, a linear model beside the nets, and a flag for nets that
learned nothing. ``consensus`` and ``disagreements`` put the other measures beside the verdict.

The shuffling is the kit's (``helpers._perturbation._scores``: the same permutations as
``importance.permutation`` draws for the same stream, the same fast path for the kit's ``MLP``);
this module only keeps the per-row losses that the measures average away (each row as the one
shuffled and as the donor of a value), and does the statistics.
``bench/calibration.py`` measures how often the verdict is right on data whose truth is known.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from helpers._base import Importance, as_matrix, as_target, check_inputs, check_positive_int, check_seed, forward_fn
from helpers._perturbation import _linear_conditional, _scores
from helpers.importance import REGISTRY
from helpers.model import TASKS

VERDICTS = ("matters", "does not matter", "unclear")
COLUMNS = ("feature", "verdict", "importance", "low", "high", "rank", "group", "note")
WEIGHT_MEASURES = frozenset(n for n, m in REGISTRY.items() if m.reads == "weights")
CONDITIONAL_MEASURES = frozenset(n for n, m in REGISTRY.items() if m.reads == "conditional loss")
GRADIENT_MEASURES = frozenset(n for n, m in REGISTRY.items() if m.reads == "slopes")
"""The registry's measures by what they read (``Measure.reads``), for ``disagreements``' reasons."""
DEFAULT_THRESHOLD = 0.05
"""The practical threshold as a share of the nets' held-out loss: an input "matters" when shuffling
it costs, with 95% confidence, more than 5% of the loss, and "does not matter" when its whole
interval lies within +-5%. Calibrated in ``bench/calibration.py`` (bench/RESULTS.md), 100 data sets
per seed, 250 held-out rows each: false "matters" for noise inputs stay under 2% at every share tried
(the interval, not the band, keeps them down), but real inputs worth 3 thresholds or more are called
"matters" at least 95% of the time only from about 4%: at 1-3% that rate was 92-96% (seed 0),
because 3 thresholds are then within a few standard errors of the estimate with 250 rows.
The price: an input worth less than 5% of the loss can never be called "matters"."""


# ---------------------------------------------------------------- the result
@dataclass
class Verdict:
    """What ``decide`` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per variable, columns ``feature, verdict, importance, low, high, rank, group, note``:
        the verdict (``matters``, ``does not matter``, ``unclear``), the held-out loss increase and its
        interval, the rank (1 = the largest increase), the correlated cluster it belongs to ("" if
        none) and a plain-words note ("" if none).
    clusters : pandas.DataFrame
        One row per correlated cluster: ``group, members, verdict, importance, low, high`` for the
        cluster's columns shuffled together (empty when no inputs are strongly correlated).
    baseline_loss : float
        The nets' mean held-out loss (mean squared error, or log-loss for a binary task).
    threshold : float
        The practical threshold in loss units: ``threshold_share * baseline_loss``.
    threshold_share : float
        The share of the baseline loss asked for (``decide``'s ``threshold``).
    level : float
        The confidence level of the intervals.
    fit : pandas.DataFrame
        Indexed by ``net`` (the mean over the nets), ``linear`` (ridge or logistic regression) and
        ``constant`` (the mean, or the base rate): ``score`` (held-out R^2 or accuracy), ``loss``
        (held-out loss), and for the nets ``train_score`` when training rows were given (NaN else).
        ``fit.attrs["score"]`` is "R^2" or "accuracy".
    learned_nothing : bool
        True when the nets' held-out loss cannot be shown (at ``level``) to beat the constant's: then
        no input is called ``matters``.
    worse_than_linear : bool
        True when the nets' held-out loss is above the linear model's beyond doubt (the interval of
        the per-row difference lies above 0) or by more than the threshold: a flag that tells something.
    flags : dict of str -> str
        The caveats that apply (keys ``learned_nothing``, ``worse_than_linear``), each a plain sentence.
    per_row : pandas.DataFrame
        Each held-out row's share ``phi_ij = d_ij + e_ij - importance_j`` (held-out rows x variables,
        averaged over the nets): its loss difference as the row whose value was shuffled away, plus
        the differences its value caused where it was shuffled in, minus the importance (``decide``).
        Their mean over the rows is the importance, their spread gives the interval.
    info : dict
        The options used and the numbers behind the decision (``n_rows``, ``n_models``,
        ``n_repeats``, ``seed``, ``loss``, ``improvement`` with its interval, ``df``).
    """
    table: pd.DataFrame
    clusters: pd.DataFrame
    baseline_loss: float
    threshold: float
    threshold_share: float
    level: float
    fit: pd.DataFrame
    learned_nothing: bool
    worse_than_linear: bool
    flags: dict = field(default_factory=dict)
    per_row: pd.DataFrame | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict, repr=False)

    @property
    def reasons(self) -> list[str]:
        """The flags' sentences, in order."""
        return list(self.flags.values())

    def features(self, verdict: str) -> list[str]:
        """The variables with this verdict, most important first."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict={verdict!r} is not one of {', '.join(map(repr, VERDICTS))}")
        rows = self.table[self.table["verdict"] == verdict].sort_values("rank", kind="stable")
        return list(rows["feature"])

    def summary(self) -> str:
        """The verdict in one or two plain sentences (plain text: escape it for Markdown or HTML).

        For example "bmi, s5 and bp matter; age and s4 do not matter; sex is unclear." Of many
        inputs with one verdict, the ``SUMMARY_NAMES`` most important are named and the others
        counted ("x7, x3, ... and 85 others do not matter"); the table names every one.
        """
        parts = []
        matters, nots, unclear = (self.features(v) for v in VERDICTS)
        if matters:
            parts.append(f"{_join(matters, SUMMARY_NAMES)} {'matters' if len(matters) == 1 else 'matter'}")
        if nots:
            parts.append(f"{_join(nots, SUMMARY_NAMES)} {'does' if len(nots) == 1 else 'do'} not matter")
        if unclear:
            parts.append(f"{_join(unclear, SUMMARY_NAMES)} {'is' if len(unclear) == 1 else 'are'} unclear")
        text = "; ".join(parts) + "."
        together = self.clusters[self.clusters["together_only"]] if len(self.clusters) else self.clusters
        for _, row in together.iterrows():
            text += f" {_together(row['members'])}."
        if self.learned_nothing:
            text = self.flags["learned_nothing"] + " " + text
        return text

    def __repr__(self) -> str:
        return f"Verdict: {self.summary()}\n{self.table.round(4).to_string(index=False)}"


SUMMARY_NAMES = 12
"""Most names of one verdict in ``Verdict.summary``; beyond, the rest are counted."""


def _join(names: Sequence[str], limit: int | None = None) -> str:
    """``a, b and c``; with ``limit``, of more names the first ``limit`` and ``and 85 others``."""
    names = list(names)
    if limit is not None and len(names) > limit + 1:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} others"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _together(members: Sequence[str]) -> str:
    if len(members) == 2:
        return f"{members[0]} and {members[1]} together matter; either can stand in for the other"
    return f"{_join(members)} together matter; any of them can stand in for the others"


# ---------------------------------------------------------------- the statistics
def _row_loss(task: str, y: np.ndarray):
    """The loss of each row, (b, n) outputs -> (b, n) float64: squared error, or log-loss on the
    logit ``softplus(z) - y z`` (the losses ``importance.permutation`` averages, kept per row)."""
    yt = torch.as_tensor(y, dtype=torch.float64)
    if task == "binary":
        return lambda out: (nn.functional.softplus(out.double()) - yt * out.double()).numpy()
    return lambda out: ((out.double() - yt) ** 2).numpy()


class _PerRow:
    """A loss for ``_scores`` (``with_permutations=True``) that keeps each row's loss difference
    twice: as the *recipient*, the row whose value was shuffled away, and as the *donor*, the row
    whose value was shuffled into another. The first call is the unshuffled data, then every unit's
    repeats in order (``_scores``' contract); per unit both are summed over the repeats."""

    def __init__(self, row_loss, n_units: int, n_repeats: int, n: int):
        self.row_loss, self.n_repeats = row_loss, n_repeats
        self.base: np.ndarray | None = None
        self.received = np.zeros((n_units, n))
        self.donated = np.zeros((n_units, n))
        self.count = 0

    def __call__(self, out: torch.Tensor, P: torch.Tensor | None = None) -> np.ndarray:
        rows = self.row_loss(out)
        if self.base is None:
            self.base = rows[0].copy()
        else:
            unit = self.count // self.n_repeats
            diff = rows - self.base
            self.received[unit] += diff.sum(axis=0)
            # row i of copy r took its value from row P[r, i]: that donor's share of the difference
            self.donated[unit] += np.bincount(P.numpy().ravel(), weights=diff.ravel(), minlength=diff.shape[1])
            self.count += len(rows)
        return rows.mean(axis=1)

    def influence(self) -> np.ndarray:
        """(units, n): ``phi_i = d_i + e_i - I``, with ``d_i`` the mean over repeats of row i's
        shuffled loss minus its loss as it is, ``e_i`` the mean over repeats of the loss difference
        that row i's value caused where it was shuffled in, and ``I`` the importance (the mean of
        the ``d_i``, and of the ``e_i``). Their mean is ``I``; their spread over the rows is the
        spread of ``I`` over samples of rows (Hoeffding's decomposition, ``decide``)."""
        if self.count != self.received.shape[0] * self.n_repeats:  # internal: _scores changed its order
            raise RuntimeError(f"expected {self.received.shape[0] * self.n_repeats} shuffled copies, saw {self.count}")
        d = self.received / self.n_repeats
        return d + self.donated / self.n_repeats - d.mean(axis=1, keepdims=True)


def _stream_seeds(seed: int, n_models: int) -> list[tuple[int, int]]:
    """Independent permutation seeds for each net: (variables, clusters), from
    ``SeedSequence(seed).spawn``. Exposed so that a test can replay one with ``permutation``."""
    out = []
    for child in np.random.SeedSequence(seed).spawn(n_models):
        a, b = child.spawn(2)
        out.append((int(a.generate_state(1)[0]), int(b.generate_state(1)[0])))
    return out


def interval(D: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t interval of per-row values (each row's share, ``phi``) from one or more nets.

    ``D`` is (m nets, units, n rows). With ``d_i = mean_k D_ki`` (per unit),

        estimate = mean_i d_i,   se^2 = var_i(d_i) / n + var_k(mean_i D_ki) / m,

    the second term only when m > 1 (the spread between retrained nets), with Welch-Satterthwaite
    degrees of freedom ``se^4 / ((var_i/n)^2 / (n-1) + (var_k/m)^2 / (m-1))``; the interval is
    ``estimate +- t_{df, (1+level)/2} se``. Returns (estimate, low, high, df), each (units,).
    """
    D = np.asarray(D, dtype=np.float64)
    m, _, n = D.shape
    d = D.mean(axis=0)
    est = d.mean(axis=1)
    v_rows = d.var(axis=1, ddof=1) / n
    v_nets = D.mean(axis=2).var(axis=0, ddof=1) / m if m > 1 else np.zeros_like(est)
    se2 = v_rows + v_nets
    denom = v_rows ** 2 / (n - 1) + (v_nets ** 2 / (m - 1) if m > 1 else 0.0)
    df = np.where(denom > 0, se2 ** 2 / np.where(denom > 0, denom, 1.0), n - 1.0)
    half = stats.t.ppf((1 + level) / 2, df) * np.sqrt(se2)
    return est, est - half, est + half, df


def _classify(low: np.ndarray, high: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(low > threshold, "matters",
                    np.where((low >= -threshold) & (high <= threshold), "does not matter", "unclear"))


def _clusters(Xs: Sequence[np.ndarray], names: list[str], variables: Mapping[str, list[int]],
              limit: float) -> list[list[str]]:
    """Connected components (of two or more variables) of the graph "some column of one has
    |Pearson r| >= limit with some column of the other" on any of the matrices ``Xs``."""
    from helpers.report import correlated_pairs  # here: helpers.report may import this module

    owner = {names[j]: v for v, cols in variables.items() for j in cols}
    columns = {v: [names[j] for j in cols] for v, cols in variables.items()}
    parent = {v: v for v in variables}

    def root(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v
    for X in Xs:
        if X is None or len(X) < 3:
            continue
        for a, b, _ in correlated_pairs(X, names, limit=limit, groups=columns):
            ra, rb = root(owner[a]), root(owner[b])
            if ra != rb:
                parent[rb] = ra
    comps: dict[str, list[str]] = {}
    for v in variables:  # members in the variables' order
        comps.setdefault(root(v), []).append(v)
    return [c for c in comps.values() if len(c) > 1]


# ---------------------------------------------------------------- checks
def _check_models(models, X: np.ndarray, task: str, feature_names, groups):
    if isinstance(models, nn.Module):
        models = [models]
    if not isinstance(models, (list, tuple)) or not models:
        raise ValueError(f"models must be a torch.nn.Module or a non-empty list of them, got {type(models).__name__}")
    given = None
    for k, model in enumerate(models):
        if not isinstance(model, nn.Module):
            raise ValueError(f"models[{k}] must be a torch.nn.Module, got {type(model).__name__}")
        model_task = getattr(model, "task", None)
        if model_task is not None and model_task != task:
            raise ValueError(f"task={task!r} but models[{k}] is a {model_task!r} model")
        given = check_inputs(model, X, feature_names=feature_names, groups=groups, X_name="X_test")
    return list(models), given


def _check_share(name: str, value, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0 <= float(value) < upper:
        raise ValueError(f"{name} must be a number in [0, {upper:g}), got {value!r}")
    return float(value)


def _check_target(name: str, y, n: int, task: str) -> np.ndarray:
    ya = as_target(y, n, name)
    if task == "binary" and not np.isin(ya, (0.0, 1.0)).all():
        raise ValueError(f"{name} must hold 0s and 1s for task='binary', got the value {ya[~np.isin(ya, (0.0, 1.0))][0]!r}")
    return ya


# ---------------------------------------------------------------- fit of the nets and the references
def _constant_losses(task: str, y: np.ndarray, y_train: np.ndarray | None) -> np.ndarray:
    """Per-row held-out loss of predicting a constant: the training mean (base rate), or without
    training rows the mean of the *other* held-out rows (leave-one-out: not fitted on the row)."""
    n = len(y)
    c = np.full(n, y_train.mean()) if y_train is not None else (y.sum() - y) / (n - 1)
    if task == "binary":
        c = np.clip(c, 1e-6, 1 - 1e-6)
        return -(y * np.log(c) + (1 - y) * np.log(1 - c))
    return (y - c) ** 2


def _linear_losses(task, X_test, y_test, X_train, y_train) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-row held-out losses and predictions (values, or probabilities) of the linear reference:
    ``RidgeCV`` or ``LogisticRegression`` fitted on the training rows, or without them 5-fold
    cross-validated on the held-out rows (each row predicted by a fit that did not see it)."""
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import cross_val_predict

    if task == "binary":
        est, how = LogisticRegression(max_iter=2000), "logistic regression"
    else:
        est, how = RidgeCV(alphas=np.logspace(-3, 3, 13)), "ridge regression"
    if X_train is not None and (task != "binary" or len(np.unique(y_train)) == 2):
        est.fit(X_train, y_train)
        pred = est.predict_proba(X_test)[:, 1] if task == "binary" else est.predict(X_test)
    else:
        folds = int(min(5, len(y_test) if task != "binary" else np.bincount(y_test.astype(int), minlength=2).min()))
        if folds < 2:
            return np.full(len(y_test), np.nan), np.full(len(y_test), np.nan), how
        method = "predict_proba" if task == "binary" else "predict"
        pred = cross_val_predict(est, X_test, y_test, cv=folds, method=method)
        pred = pred[:, 1] if task == "binary" else pred
        how += " (cross-validated on the held-out rows)"
    if task == "binary":
        p = np.clip(pred, 1e-12, 1 - 1e-12)
        return -(y_test * np.log(p) + (1 - y_test) * np.log(1 - p)), pred, how
    return (y_test - pred) ** 2, pred, how


def _score(task: str, y: np.ndarray, pred: np.ndarray) -> float:
    """R^2 against the rows' own mean, or accuracy of a probability thresholded at 0.5."""
    if task == "binary":
        return float(np.mean((pred > 0.5) == (y > 0.5)))
    total = float(np.sum((y - y.mean()) ** 2))
    return float(1 - np.sum((y - pred) ** 2) / total) if total > 0 else float("nan")


def _predict(model: nn.Module, X: np.ndarray, task: str) -> np.ndarray:
    with torch.no_grad():
        out = forward_fn(model)(torch.as_tensor(X, dtype=torch.float32)).double()
    return (torch.sigmoid(out) if task == "binary" else out).numpy()


# ---------------------------------------------------------------- the one call
def decide(models, X_test, y_test, *, task: str, feature_names: Sequence[str] | None = None, groups=None,
           X_train=None, y_train=None, n_repeats: int = 10, seed: int = 0,
           threshold: float = DEFAULT_THRESHOLD, level: float = 0.95, correlation: float = 0.8) -> Verdict:
    """Decide per input: **matters**, **does not matter** or **unclear**, from the held-out loss.

    For variable ``j`` (a column, or a group of columns shuffled together), held-out row ``i``, net
    ``k`` and permutation repeat ``r``:

        h_k(i, l) = L(y_i, f_k(x_i with x_ij -> x_lj)) - L(y_i, f_k(x_i))
        d_ijk = mean_r h_k(i, pi_r(i)),   e_ljk = mean_r h_k(pi_r^-1(l), l)
        importance_jk = mean_i d_ijk = mean_l e_ljk,   importance_j = mean_k importance_jk

    (L the squared error, or the log-loss of the logit for a binary task), so ``importance_j`` is
    the permutation importance on the held-out rows, averaged over the nets. Each row enters it
    twice: as the *recipient* whose value is replaced (``d``) and as the *donor* whose value is put
    into another row (``e``). Over samples of rows, ``importance_jk`` behaves like a two-sample
    U-statistic, and Hoeffding's decomposition gives its spread from each row's share
    ``phi_ijk = d_ijk + e_ijk - importance_jk`` (Hoeffding 1948): ``var(importance_jk) ~
    var_i(phi_ijk) / n``. The interval is the paired per-row t interval behind LOCO and permutation
    inference (Lei et al. 2018, Williamson et al. 2021) on these shares: ``importance_j +- t se_j``
    with ``se_j^2 = var_i(phi_ij)/n + var_k(importance_jk)/m``, ``phi_ij = mean_k phi_ijk`` (the
    second term with several nets), and Welch-Satterthwaite degrees of freedom (``interval``).
    Counting the rows as recipients only (``var_i(d_ij)/n``) would leave out the donors: for an
    input that clearly matters that interval is 1.2-1.6 times too narrow (bench/calibration.py,
    chapter 12).
    With ``b`` the nets' mean held-out loss and ``tau = threshold * b``:

    - **matters**: ``low > tau``;
    - **does not matter**: ``-tau <= low`` and ``high <= tau``;
    - **unclear**: anything else.

    Correlated inputs: variables whose columns have ``|Pearson r| >= correlation`` on the training
    or the held-out rows form clusters (connected components). A cluster is judged as a whole, its
    columns shuffled together with one row order. A *member* is judged on what it adds beyond the
    other members: its columns are split by least squares on the other members' columns (on the
    held-out rows) into a fitted part and a residual, and only the residual rows are shuffled (the
    conditional permutation of ``importance.conditional_permutation``, within the cluster). Shuffling
    a member alone would make rows the data never has, and would call a copy that the net happens to
    use important. When the cluster matters but no member alone does, the members are **unclear**,
    with the note "x1 and x2 together matter; either can stand in for the other".

    A net that learned nothing: the per-row loss differences between the nets and a constant (the
    training mean or base rate) get the same interval; when it does not lie below 0 (the nets cannot
    be shown to beat the constant), ``learned_nothing`` is set, with a reason, and no input is called
    **matters** (such calls become **unclear**).

    Parameters
    ----------
    models : torch.nn.Module or list of them
        One or more nets (for example one per retraining seed), each mapping (n, d) float32 to (n,)
        or (n, 1): a prediction, or for ``task="binary"`` the logit.
    X_test : array or DataFrame (n, d)
        Held-out rows, which the nets did not learn from; at least 10.
    y_test : array (n,)
        Their target (0s and 1s for a binary task).
    task : {"regression", "binary"}
        The loss: squared error, or log-loss.
    feature_names : sequence of str, default None
        The columns' names; else the DataFrame's, the model's saved names, or x1..xd.
    groups : mapping of str -> list of str, optional
        Columns that form one variable (a category's one-hot levels), as in the measures; each
        variable gets one verdict and its columns are always shuffled together.
    X_train, y_train : arrays, optional
        The training rows: used for the correlations, the linear reference (fitted on them; without
        them it is cross-validated on the held-out rows), the constant's value and the nets'
        training score. Give both or neither.
    n_repeats : int, default 10
        Shuffles per variable and net.
    seed : int, default 0
        Every permutation is drawn from ``np.random.SeedSequence(seed)``, one independent stream per
        net (and one for the clusters): same inputs and seed, same numbers.
    threshold : float, default 0.05
        The practical threshold as a share of the nets' held-out loss, in [0, 1) (see
        ``DEFAULT_THRESHOLD`` for why 5%).
    level : float, default 0.95
        The intervals' confidence level, in (0, 1).
    correlation : float, default 0.8
        The absolute Pearson correlation from which two variables are judged together, in (0, 1].

    Returns
    -------
    Verdict
        ``table`` (``feature, verdict, importance, low, high, rank, group, note``), ``clusters``,
        ``baseline_loss``, ``threshold`` (absolute), ``fit`` (net, linear, constant), the flags
        ``learned_nothing`` and ``worse_than_linear`` with their sentences in ``flags``, and
        ``summary()``.

    What the interval accounts for, and what it does not
    -----------------------------------------------------
    It accounts for the sampling of the held-out rows, each as recipient and as donor (the spread
    of ``phi_ij`` over rows), for the permutation repeats (their noise is in each ``phi_ij``; with
    few repeats counted twice, so slightly conservative: measured 0.9 times the spread over fresh
    rows at 10 repeats and 100 rows in the tests) and, with several nets, for the retraining seeds
    (the spread of the nets' importances; with one net it says nothing about another seed).
    ``bench/calibration.py`` measures how often it holds the true worth and the resulting error
    rates. It does not account for the training data being one draw (a LOCO-style refit would), nor
    for the choice among several tests: with ten inputs, one false "unclear" or "matters" in a
    hundred verdicts is expected. The t interval relies on the central limit theorem over rows:
    with a few dozen rows and heavy-tailed losses its coverage can fall short.

    References
    ----------
    Hoeffding, W. (1948). A class of statistics with asymptotically normal distribution. Annals of
    Mathematical Statistics 19(3), 293-325 (the decomposition behind each row's share).
    Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. & Wasserman, L. (2018). Distribution-free
    predictive inference for regression. JASA 113(523), 1094-1111 (LOCO and its per-row test).
    Williamson, B. D., Gilbert, P. B., Simon, N. R. & Carone, M. (2021). A general framework for
    inference on algorithm-agnostic variable importance. JASA 118(543), 1645-1658.
    Fisher, A., Rudin, C. & Dominici, F. (2019). All models are wrong, but many are useful. JMLR 20(177).
    Strobl, C. et al. (2008). Conditional variable importance for random forests. BMC Bioinformatics 9, 307.

    When it misleads
    ----------------
    It judges what an input is worth *to these nets*, on these held-out rows: an input the nets
    ignore "does not matter" even if the target depends on it (a net that is worse than the linear
    model is flagged for this reason). Correlation below ``correlation``, or nonlinear dependence
    between inputs, is not handled: shuffling then still creates rows the data never has. A member
    of a cluster is judged on its part that the other members do not explain *linearly*; an input
    that causes the target but is copied by another shows as "unclear" with the "together" note, not
    as "matters". With few held-out rows most verdicts are "unclear": that is the honest answer.

    Examples
    --------
    >>> v = decide([net], X_test, y_test, task="regression", X_train=X, y_train=y)   # doctest: +SKIP
    >>> v.summary()                                                                  # doctest: +SKIP
    'x1, x4 and x2 matter; x6, x7 and x8 do not matter; x9 is unclear.'
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task={task!r} is not one of {', '.join(map(repr, TASKS))}")
    Xa = as_matrix(X_test, "X_test")
    models, given = _check_models(models, X_test, task, feature_names, groups)
    n, d = Xa.shape
    if n < 10:
        raise ValueError(f"X_test has {n} rows; the verdict needs at least 10 held-out rows")
    ya = _check_target("y_test", y_test, n, task)
    if (X_train is None) != (y_train is None):
        raise ValueError("X_train and y_train go together: give both or neither")
    Xtr = ytr = None
    if X_train is not None:
        Xtr = as_matrix(X_train, "X_train")
        if Xtr.shape[1] != d:
            raise ValueError(f"X_train has {Xtr.shape[1]} columns but X_test has {d}")
        ytr = _check_target("y_train", y_train, len(Xtr), task)
    n_repeats = check_positive_int("n_repeats", n_repeats)
    seed = check_seed(seed)
    share = _check_share("threshold", threshold, 1.0)
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    if isinstance(correlation, bool) or not isinstance(correlation, (int, float, np.floating)) \
            or not 0 < correlation <= 1:
        raise ValueError(f"correlation must be a number in (0, 1], got {correlation!r}")

    names, variables = given.names, given.groups          # variable -> column indices
    labels = list(variables)
    clusters = _clusters([Xtr, Xa], names, variables, float(correlation))
    cluster_of = {v: "+".join(c) for c in clusters for v in c}

    # the shuffles: a variable outside any cluster is permuted as it is; a member's residual given
    # its cluster mates is permuted (base + shuf[perm] replaces its columns, as in _scores)
    base, shuf = np.zeros_like(Xa), Xa.copy()
    for members in clusters:
        cols = [j for v in members for j in variables[v]]
        local = {j: k for k, j in enumerate(cols)}
        fitted, resid, _ = _linear_conditional(Xa[:, cols], [[local[j] for j in variables[v]] for v in members])
        base[:, cols], shuf[:, cols] = fitted, resid
    units = [variables[v] for v in labels]
    cluster_units = [sorted(j for v in c for j in variables[v]) for c in clusters]
    row_loss = _row_loss(task, ya)
    D, C, base_rows, preds = [], [], [], []
    for model, (s_var, s_clu) in zip(models, _stream_seeds(seed, len(models))):
        rec = _PerRow(row_loss, len(units), n_repeats, n)
        _scores(model, Xa, units, base, shuf, s_var, n_repeats, rec, draws=[u[0] for u in units],
                with_permutations=True)
        D.append(rec.influence())
        base_rows.append(rec.base)
        if cluster_units:
            rec_c = _PerRow(row_loss, len(cluster_units), n_repeats, n)
            _scores(model, Xa, cluster_units, np.zeros_like(Xa), Xa, s_clu, n_repeats, rec_c, with_permutations=True)
            C.append(rec_c.influence())
        preds.append(_predict(model, Xa, task))
    D = np.stack(D)
    base_rows = np.stack(base_rows)                                  # (m, n)
    baseline = float(base_rows.mean())
    tau = share * baseline
    est, low, high, df = interval(D, level)
    verdicts = _classify(low, high, tau)

    # did the nets learn anything? per-row loss minus the constant's, with the same interval
    const_rows = _constant_losses(task, ya, ytr)
    gain, g_low, g_high, _ = interval((base_rows - const_rows)[:, None, :], level)
    learned_nothing = not bool(g_high[0] < 0)

    # the clusters as a whole
    cluster_rows = []
    if clusters:
        c_est, c_low, c_high, _ = interval(np.stack(C), level)
        c_verdicts = _classify(c_low, c_high, tau)
        for k, members in enumerate(clusters):
            cluster_rows.append({"group": "+".join(members), "members": list(members), "verdict": str(c_verdicts[k]),
                                 "importance": float(c_est[k]), "low": float(c_low[k]), "high": float(c_high[k])})
    if learned_nothing:
        verdicts = np.where(verdicts == "matters", "unclear", verdicts)
        for row in cluster_rows:
            row["verdict"] = "unclear" if row["verdict"] == "matters" else row["verdict"]
    notes = {v: "" for v in labels}
    position = {v: k for k, v in enumerate(labels)}
    for row in cluster_rows:
        members = row["members"]
        alone = [verdicts[position[v]] for v in members]
        row["together_only"] = row["verdict"] == "matters" and "matters" not in alone
        for v in members:
            if row["together_only"]:
                verdicts[position[v]] = "unclear"
                notes[v] = _together(members)
            else:
                others = [u for u in members if u != v]
                notes[v] = f"correlated with {_join(others)}: judged on what it adds beyond {'it' if len(others) == 1 else 'them'}"

    for k, v in enumerate(labels):
        if high[k] < -tau and not notes[v]:
            notes[v] = "shuffling it lowers the held-out loss: the nets fit noise with it"
    table = pd.DataFrame({"feature": labels, "verdict": [str(v) for v in verdicts], "importance": est,
                          "low": low, "high": high})
    table["rank"] = table["importance"].rank(ascending=False, method="first").astype(int)
    table["group"] = [cluster_of.get(v, "") for v in labels]
    table["note"] = [notes[v] for v in labels]
    clusters_df = pd.DataFrame(cluster_rows, columns=["group", "members", "verdict", "importance", "low", "high",
                                                      "together_only"])

    # the fit table: nets, linear reference, constant
    lin_rows, lin_pred, lin_how = _linear_losses(task, Xa, ya, Xtr, ytr)
    score_name = "accuracy" if task == "binary" else "R^2"
    const_pred = np.full(n, ytr.mean() if ytr is not None else ya.mean())
    net_scores = [_score(task, ya, p) for p in preds]
    train_score = (float(np.mean([_score(task, ytr, _predict(mdl, Xtr, task)) for mdl in models]))
                   if Xtr is not None else np.nan)
    fit = pd.DataFrame({"score": [float(np.mean(net_scores)), _score(task, ya, lin_pred), _score(task, ya, const_pred)],
                        "loss": [baseline, float(np.mean(lin_rows)), float(np.mean(const_rows))],
                        "train_score": [train_score, np.nan, np.nan]},
                       index=pd.Index(["net", "linear", "constant"], name="model"))
    fit.attrs["score"] = score_name
    fit.attrs["linear"] = lin_how

    flags = {}
    nets = "net" if len(models) == 1 else "nets"
    if learned_nothing:
        loss_name = "log-loss" if task == "binary" else "mean squared error"
        flags["learned_nothing"] = (
            f"The {nets} {'predicts' if nets == 'net' else 'predict'} the held-out rows no better than a constant ("
            f"{'the base rate' if task == 'binary' else 'the mean of the target'}): {loss_name} {baseline:.3g} "
            f"against {float(const_rows.mean()):.3g}, a difference of {float(gain[0]):.3g} ({level:.0%} interval "
            f"{float(g_low[0]):.3g} to {float(g_high[0]):.3g}), so no input can be shown to matter.")
        if task == "binary" and fit.loc["net", "score"] > fit.loc["constant", "score"] + 0.1:
            # right more often than the base rate, yet no better in log-loss: overconfident probabilities
            flags["learned_nothing"] += (
                f" Yet {'it classifies' if nets == 'net' else 'they classify'} {fit.loc['net', 'score']:.0%} of the rows "
                f"right, against {fit.loc['constant', 'score']:.0%} for the base rate: the predicted probabilities "
                "are overconfident (a few rows predicted wrong with near certainty cost more than the right ones "
                "gain), and the verdict, which judges inputs by the log-loss, cannot read them.")
    lin_loss = float(np.nanmean(lin_rows)) if np.isfinite(lin_rows).any() else np.nan
    worse = False
    if np.isfinite(lin_loss) and baseline > lin_loss:
        # a flag when it tells something: the nets are worse beyond doubt, or by more than the threshold
        diff, d_low, d_high, _ = interval((base_rows - lin_rows)[:, None, :], level)
        worse = bool(d_low[0] > 0 or baseline - lin_loss > tau)
        sure = "clearly " if d_low[0] > 0 else ""
    if worse:
        flags["worse_than_linear"] = (
            f"The {nets} {'does' if nets == 'net' else 'do'} {sure}worse on the held-out rows than a linear model "
            f"({lin_how}): {score_name} {fit.loc['net', 'score']:.2f} against {fit.loc['linear', 'score']:.2f}. "
            "An input the net failed to use can then be called unimportant although the target depends on it.")

    per_row = pd.DataFrame(D.mean(axis=0).T, columns=pd.Index(labels, name="feature"))
    info = {"n_rows": n, "n_models": len(models), "n_repeats": n_repeats, "seed": seed,
            "loss": "log_loss" if task == "binary" else "mse", "df": pd.Series(df, index=labels),
            "improvement": {"estimate": float(-gain[0]), "low": float(-g_high[0]), "high": float(-g_low[0])},
            "groups": given.columns() if given.grouped else {}}
    return Verdict(table[list(COLUMNS)], clusters_df, baseline, float(tau), share, float(level), fit,
                   learned_nothing, worse, flags, per_row, info)


# ---------------------------------------------------------------- the other measures beside it
def _ranks(values: pd.Series) -> pd.Series:
    return values.abs().rank(ascending=False, method="average")


def consensus(results: Mapping[str, Importance], verdict: Verdict | None = None) -> pd.DataFrame:
    """Each input's rank by every measure and its median rank over them (the consensus ranking).

    Parameters
    ----------
    results : mapping of str -> Importance
        Measure name -> its result, indexed by the same variable names as the verdict (a measure
        ranks by absolute value, 1 = the most important).
    verdict : Verdict, optional
        Adds the columns ``verdict`` and ``verdict_rank``, and orders the rows by the verdict's rank.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``feature``, ``median_rank`` (over the measures that rank it),
        ``consensus_rank`` (1 = the smallest median rank), one ``rank_<measure>`` column per measure,
        and with a verdict ``verdict`` and ``verdict_rank``.
    """
    if not isinstance(results, Mapping):
        raise ValueError(f"results must be a mapping of measure name -> Importance, got {type(results).__name__}")
    ranks = {}
    for name, result in results.items():
        if not isinstance(result, Importance):
            raise ValueError(f"results[{name!r}] must be an Importance, got {type(result).__name__}")
        ranks[f"rank_{name}"] = _ranks(result.values)
    features = list(verdict.table["feature"]) if verdict is not None else \
        list(dict.fromkeys(f for r in results.values() for f in r.values.index))
    table = pd.DataFrame(ranks).reindex(features)
    out = pd.DataFrame({"feature": features})
    out["median_rank"] = table.median(axis=1, skipna=True).to_numpy() if ranks else np.nan
    out["consensus_rank"] = out["median_rank"].rank(method="min").astype("Int64") if ranks else pd.NA
    if verdict is not None:
        by = verdict.table.set_index("feature")
        out.insert(1, "verdict", by.loc[features, "verdict"].to_numpy())
        out.insert(2, "verdict_rank", by.loc[features, "rank"].to_numpy())
    for col in table.columns:
        out[col] = table[col].to_numpy()
    return out


def _overfit_reason(fit: pd.DataFrame) -> str:
    return (f"expected: the net is overfitted ({fit.attrs['score']} {fit.loc['net', 'train_score']:.2f} on training "
            f"rows, {fit.loc['net', 'score']:.2f} held out), and gradients are steep where it fits noise")


def disagreements(results: Mapping[str, Importance], verdict: Verdict, *, min_agreement: float = 0.5) -> pd.DataFrame:
    """Which measures rank the inputs differently from the verdict, and whether that is expected.

    Agreement is Spearman's rank correlation between a measure's absolute values and the verdict's
    held-out importance over the inputs both have; a measure with ``spearman < min_agreement`` (or
    none computable) disagrees. The reason says when the disagreement is expected: a weight measure
    where inputs are strongly correlated (the weights split or move credit between them), a
    gradient-type measure on an overfitted net (training score more than 0.1 above held-out: it is
    steep where it fits noise), any measure on a net that learned nothing.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``measure``, ``spearman``, ``disagrees`` (bool), ``reason`` ("" when
        it agrees, or disagrees for no known reason).
    """
    if not isinstance(verdict, Verdict):
        raise ValueError(f"verdict must be a Verdict (from decide), got {type(verdict).__name__}")
    mine = verdict.table.set_index("feature")["importance"]
    fit = verdict.fit
    gap = float(fit.loc["net", "train_score"] - fit.loc["net", "score"])
    overfitted = np.isfinite(gap) and gap > 0.1
    rows = []
    for name, result in results.items():
        common = [f for f in mine.index if f in result.values.index]
        rho = np.nan
        if len(common) >= 3:
            a, b = result.values.reindex(common).abs().to_numpy(float), mine.reindex(common).to_numpy(float)
            if np.ptp(a) > 0 and np.ptp(b) > 0:
                rho = float(stats.spearmanr(a, b)[0])
        disagrees = not (np.isfinite(rho) and rho >= min_agreement)
        reason = ""
        if disagrees:
            if verdict.learned_nothing:
                reason = "the net learned nothing, so every ranking is noise"
            elif name in WEIGHT_MEASURES and len(verdict.clusters):
                reason = ("expected: weights split or move credit between correlated inputs ("
                          + ", ".join(verdict.clusters["group"]) + ")")
            elif name in GRADIENT_MEASURES and overfitted:
                reason = _overfit_reason(fit)
            elif len(verdict.clusters) and name not in CONDITIONAL_MEASURES:
                reason = ("expected: the verdict judges correlated inputs (" + ", ".join(verdict.clusters["group"])
                          + ") on what each adds beyond the others, this measure credits each in full")
        rows.append({"measure": name, "spearman": rho, "disagrees": disagrees, "reason": reason})
    return pd.DataFrame(rows, columns=["measure", "spearman", "disagrees", "reason"])
