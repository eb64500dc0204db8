"""helpers.report (the report notebook's logic) and the report notebook end to end with a model
the user brings, a binary target and 30 inputs."""
import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import KIT_ROOT
from helpers import report
from helpers.data import load_dataset
from helpers.model import load, predict, save
from helpers.notebook_runner import execute

QUICK = {"epochs": 150}


@pytest.fixture(scope="module")
def friedman():
    return load_dataset("friedman1", n_samples=300, seed=0)


@pytest.fixture(scope="module")
def fitted_two_seeds(friedman):
    return report.prepare_model(friedman, seed=3, seeds=2, train_kwargs=QUICK)


def test_check_measures_names_the_unknown_one():
    assert report.check_measures(["gradient", "shapley", "gradient"]) == ["gradient", "shapley"]
    assert report.check_measures("olden") == ["olden"]
    with pytest.raises(ValueError, match="unknown measure 'shapely'"):
        report.check_measures(["gradient", "shapely"])
    with pytest.raises(ValueError, match="empty"):
        report.check_measures([])


def test_prepare_model_trains_one_net_per_seed_on_standardised_inputs(friedman, fitted_two_seeds):
    fitted = fitted_two_seeds
    assert fitted.seeds == [3, 4] and len(fitted.models) == 2 and not fitted.brought
    assert fitted.train.n + fitted.test.n == friedman.n
    np.testing.assert_allclose(fitted.train.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(fitted.train.X.std(axis=0), 1, atol=1e-12)
    fit = report.fit_table(fitted)
    assert list(fit.index) == [3, 4] and fit.attrs["score"] == "R^2"
    # the score is R^2 computed by hand
    model, test = fitted.models[1], fitted.test
    r2 = 1 - np.mean((predict(model, test.X) - test.y) ** 2) / np.var(test.y)
    assert fit.loc[4, "held_out"] == pytest.approx(r2)
    with pytest.raises(ValueError, match="seeds"):
        report.prepare_model(friedman, seeds=0)


def test_held_out_rows_bounds_the_held_out_sample_and_says_so(friedman):
    """``held_out_rows`` keeps that many of the held-out rows, drawn with the seed (the same rows
    for the same seed, a subset of the full held-out rows), and the report's sentence says so;
    the training rows are untouched."""
    full = report.prepare_model(friedman, seed=3, train_kwargs={"epochs": 5})
    fitted = report.prepare_model(friedman, seed=3, train_kwargs={"epochs": 5}, held_out_rows=100)
    again = report.prepare_model(friedman, seed=3, train_kwargs={"epochs": 5}, held_out_rows=100)
    assert full.test.n == 75 and fitted.test.n == 75  # fewer held-out rows than the bound: all kept
    bigger = load_dataset("friedman1", n_samples=1000, seed=0)
    full = report.prepare_model(bigger, seed=3, train_kwargs={"epochs": 5})
    fitted = report.prepare_model(bigger, seed=3, train_kwargs={"epochs": 5}, held_out_rows=100)
    again = report.prepare_model(bigger, seed=3, train_kwargs={"epochs": 5}, held_out_rows=100)
    assert full.test.n == 250 and fitted.test.n == 100 and fitted.train.n == full.train.n
    np.testing.assert_array_equal(fitted.test.X, again.test.X)
    rows = {tuple(r) for r in np.round(full.test.X, 12)}
    assert all(tuple(r) in rows for r in np.round(fitted.test.X, 12))
    assert fitted.held_out == "100 rows drawn at random (seed 3) from 250 rows held out at random (seed 3)"


def test_measures_over_seeds_have_a_spread_and_a_tidy_table(fitted_two_seeds):
    results, notes = report.compute_measures(["weight_sum", "gradient", "permutation", "ablation"],
                                             fitted_two_seeds, n_repeats=3)
    assert notes == [] and list(results) == ["weight_sum", "gradient", "permutation", "ablation"]
    grad = results["gradient"]
    assert grad.samples.shape == (2, 10) and (grad.std > 0).all()
    # the combined value is the mean of the per-seed values, each the measure on one net
    from helpers import importance as imp
    one = imp.gradient(fitted_two_seeds.models[0], fitted_two_seeds.test.X,
                       feature_names=fitted_two_seeds.train.feature_names)
    np.testing.assert_allclose(grad.samples.iloc[0].to_numpy(), one.values.to_numpy())
    np.testing.assert_allclose(grad.values.to_numpy(), grad.samples.mean().to_numpy())
    table = report.importance_table(results)
    assert list(table.columns) == ["method", "feature", "importance", "std"]
    assert len(table) == 4 * 10 and table["importance"].notna().all()
    norm = pd.DataFrame({name: r.normalized().values.abs() for name, r in results.items()})
    np.testing.assert_allclose(norm.sum().to_numpy(), 1.0)
    # drop-and-retrain reuses the run's nets as its baselines, trained with the same options
    assert results["ablation"].info["models"] == fitted_two_seeds.models
    assert results["ablation"].info["n_nets"] == 2 * 10


def test_agreement_table_only_with_a_truth(fitted_two_seeds, friedman):
    results, _ = report.compute_measures(["olden"], fitted_two_seeds)
    table = report.agreement_table(results, friedman.true_importance)
    assert list(table["method"]) == ["olden"] and {"spearman", "kendall", "topk_recall", "k"} <= set(table)
    assert report.agreement_table(results, None) is None


def test_correlated_pairs_finds_the_planted_duplicates():
    data = load_dataset("correlated", n_samples=400, seed=0)
    pairs = report.correlated_pairs(data.X, data.feature_names)
    assert [(a, b) for a, b, _ in pairs] == [("x1", "x2"), ("x3", "x10")]
    assert pairs[0][2] == pytest.approx(np.corrcoef(data.X[:, 0], data.X[:, 1])[0, 1])


def _caveats(data, **kwargs):
    fitted = report.prepare_model(data, seed=0, train_kwargs={**QUICK, **kwargs})
    fit = report.fit_table(fitted)
    return report.caveats(data, fitted, fit, {})


def test_caveats_fire_when_they_apply():
    assert _caveats(load_dataset("friedman1", n_samples=400, seed=0)) == []
    correlated = _caveats(load_dataset("correlated", n_samples=400, seed=0))
    assert len(correlated) == 1 and "x1 and x2" in correlated[0] and "x3 and x10" in correlated[0]
    # the kit standardised the inputs: their raw scales tell the reader nothing, so no caveat
    scales = load_dataset("scales", n_samples=400, seed=0)
    assert not any("different scales" in c for c in _caveats(scales))
    # a model that takes them raw: the caveat fires, the names escaped for Markdown
    raw = report.prepare_model(scales, seed=0, train_kwargs=QUICK)
    raw = dataclasses.replace(raw, scaler=None, brought=True)
    found = report.caveats(scales, raw, report.fit_table(raw), {})
    assert any("different scales" in c and r"x1\_thousands" in c and "takes them raw" in c for c in found), found
    # a net that memorises 60 rows: a large train/held-out gap, and few rows
    tiny = load_dataset("friedman1", n_samples=60, seed=1)
    overfit = _caveats(tiny, epochs=1500, patience=1500, weight_decay=0.0, n_hidden=50)
    assert any("training rows much better" in c for c in overfit), overfit
    assert any("Only 60 rows" in c for c in overfit)


def test_a_brought_model_keeps_its_standardisation(tmp_path, friedman, fitted_two_seeds):
    model = fitted_two_seeds.models[0]
    scaler = fitted_two_seeds.scaler
    path = save(model, tmp_path / "net.pt", feature_names=friedman.feature_names, standardizer=scaler)
    brought = report.prepare_model(friedman, seed=3, model_path=str(path), train_kwargs=QUICK)
    assert brought.brought and brought.histories == []
    np.testing.assert_allclose(brought.test.X, fitted_two_seeds.test.X)
    np.testing.assert_array_equal(predict(brought.models[0], brought.test.X), predict(model, brought.test.X))
    # drop-and-retrain cannot retrain the brought net: it trains the kit's own of the same shape, and says so
    results, notes = report.compute_measures(["gradient", "ablation"], brought)
    assert list(results) == ["gradient", "ablation"] and "kit's own 10-20-1 tanh nets" in notes[0]
    assert results["ablation"].info["models"] != brought.models
    other = dataclasses.replace(friedman, X=friedman.X[:, :9], feature_names=friedman.feature_names[:9],
                                true_importance=None)
    with pytest.raises(ValueError, match="10 inputs but the data has 9"):
        report.prepare_model(other, model_path=str(path))


def test_report_notebook_with_a_brought_model_binary_target_and_30_inputs(tmp_path):
    """The report end to end: a scikit-learn-style .npz model, a 0/1 target, 30 inputs (so Shapley
    values are sampled, with a note)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=200) > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(30)]).round(4)
    frame["label"] = y
    frame.to_csv(tmp_path / "wide.csv", index=False)
    W1 = np.zeros((30, 4))
    W1[0, 0], W1[1, 1] = 2.0, 1.0
    np.savez(tmp_path / "net.npz", W1=W1, b1=np.zeros(4), W2=np.array([[2.0], [1.0], [0.0], [0.0]]), b2=np.zeros(1))
    assert load(tmp_path / "net.npz", task="binary").task == "binary"
    result = execute(KIT_ROOT / "notebooks" / "report.ipynb", tmp_path / "out.ipynb", cwd=tmp_path, timeout=300,
                     parameters={"dataset": "wide.csv", "target": "label", "model": "net.npz",
                                 "model_inputs": "raw", "measures": ["olden", "gradient", "shapley", "permutation"]})
    assert result.ok, result.error
    table = pd.read_csv(tmp_path / "importance.csv")
    assert set(table["method"]) == {"olden", "gradient", "shapley", "permutation"} and len(table) == 4 * 30
    shap_values = table[table["method"] == "shapley"].set_index("feature")["importance"]
    assert shap_values.idxmax() == "f00" and shap_values.drop(["f00", "f01"]).abs().max() < 1e-6
    outputs = json.dumps([c.get("outputs") for c in result.notebook.cells])
    assert "sampled" in outputs and "no known truth" in outputs and "logit" in outputs
    assert not (tmp_path / "agreement.csv").exists()


def test_a_brought_model_on_the_users_own_held_out_rows_gives_the_users_own_fit(tmp_path):
    """An analyst trains a scikit-learn MLP on their training file (scaled with their own
    StandardScaler), exports it as an .npz with the scaler's mean and std, and brings both files:
    the report's held-out R^2 on test_data is the R^2 they get themselves, and it says which rows
    and which scaling it used."""
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    X = rng.normal(loc=[10.0, -5.0, 0.0, 100.0], scale=[2.0, 1.0, 0.1, 30.0], size=(400, 4))
    y = X[:, 0] - 2 * X[:, 1] + 20 * X[:, 2] + 0.3 * rng.normal(size=400)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).round(4).assign(y=y.round(4))
    frame.iloc[:300].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[300:].to_csv(tmp_path / "test.csv", index=False)
    train, test = pd.read_csv(tmp_path / "train.csv"), pd.read_csv(tmp_path / "test.csv")
    scaler = StandardScaler().fit(train[["a", "b", "c", "d"]])
    net = MLPRegressor(hidden_layer_sizes=(8,), activation="tanh", max_iter=600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning: the fit is good enough here
        net.fit(scaler.transform(train[["a", "b", "c", "d"]]), train["y"])
    np.savez(tmp_path / "net.npz", W1=net.coefs_[0], b1=net.intercepts_[0], W2=net.coefs_[1],
             b2=net.intercepts_[1], mean=scaler.mean_, std=scaler.scale_)
    theirs = r2_score(test["y"], net.predict(scaler.transform(test[["a", "b", "c", "d"]])))

    data = load_dataset(tmp_path / "train.csv", target="y")
    fitted = report.prepare_model(data, model_path=str(tmp_path / "net.npz"), test_data=str(tmp_path / "test.csv"))
    fit = report.fit_table(fitted)
    assert fitted.test.n == 100 and fitted.user_held_out
    assert fit["held_out"].iloc[0] == pytest.approx(theirs, abs=1e-5)
    text = report.describe_model(fitted).replace("\\", "")  # Markdown escapes off
    assert "test.csv" in text and "npz" in text and "mean and std" in text.replace("standard deviation", "std")
    assert "may include rows your model was trained on" not in text
    assert "rows of your data file" in report.fit_caption(fitted, fit)
    # without test_data, the report warns beside the fit table that its held-out rows may be training rows
    again = report.prepare_model(data, model_path=str(tmp_path / "net.npz"))
    assert "may include rows your model was trained on" in report.describe_model(again).replace("\\", "")
    assert "rows it learnt from" in report.fit_caption(report.prepare_model(data), fit)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("task", ["regression", "binary"])
def test_report_notebook_with_a_torchscript_net_and_the_users_test_data(tmp_path, task):
    """The asker's situation: their own 4-16-8-1 net as TorchScript, their training and test files.
    Every measure that applies runs; Garson (one hidden layer only) is skipped saying why; the
    page describes their net, not the kit's."""
    import torch

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 4))
    signal = X[:, 0] - 0.5 * X[:, 1]
    y = (signal > 0).astype(int) if task == "binary" else signal + 0.1 * rng.normal(size=300)
    frame = pd.DataFrame(X, columns=["u", "v", "w", "z"]).round(4).assign(target=np.round(y, 4))
    frame.iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "test.csv", index=False)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 1))
    torch.jit.script(net).save(str(tmp_path / "net.pt"))
    measures = ["weight_sum", "garson", "olden", "gradient", "integrated_gradients", "permutation", "shapley"]
    result = execute(KIT_ROOT / "notebooks" / "report.ipynb", tmp_path / "out.ipynb", cwd=tmp_path, timeout=300,
                     parameters={"dataset": "train.csv", "target": "target", "model": "net.pt", "model_inputs": "raw",
                                 "test_data": "test.csv", "measures": measures, "n_repeats": 3})
    assert result.ok, result.error
    table = pd.read_csv(tmp_path / "importance.csv")
    assert set(table["method"]) == set(measures) - {"garson"} and len(table) == 4 * (len(measures) - 1)
    outputs = json.dumps([c.get("outputs") for c in result.notebook.cells]).replace("\\\\", "")  # escapes off
    assert "4-16-8-1 TorchScript net" in outputs and "test.csv" in outputs
    assert "garson was skipped" in outputs and "2 hidden layers" in outputs
    assert "trained by the kit" not in outputs and "may include rows your model" not in outputs
    fit = [o for c in result.notebook.cells for o in c.get("outputs", []) if "held_out" in str(o.get("data", {}))]
    assert fit, "the fit table is shown"


def test_the_data_paragraph_says_each_fact_once():
    """A CSV's own description already gives its size and target: the paragraph does not repeat
    them (nor the file's name); a built-in data set's description gets them added."""
    csv = report.describe_data(load_dataset(str(KIT_ROOT / "data" / "penguins.csv"), target="body_mass_g"))
    csv = csv.replace("\\", "")  # the Markdown escapes
    assert csv.startswith("**penguins.csv**: 333 rows, 7 variables") and csv.count("rows") == 1
    assert csv.count("penguins.csv") == 1 and csv.count("body_mass_g") == 1
    builtin = report.describe_data(load_dataset("diabetes")).replace("\\", "")
    assert builtin.startswith("**diabetes**: Diabetes (Efron et al. 2004)")
    assert builtin.endswith("442 rows, 10 inputs, target <code>y</code> (regression).")
