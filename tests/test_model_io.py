"""Loading what a user brings (``helpers.model_io``): every format from the file itself, the checks
before anything is allocated, the refusal to unpickle; and which weight measures apply to which net
(``Measure.not_applicable``), with Olden's product of weight matrices against a hand calculation."""
import pickletools
import re
import warnings
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

from helpers import importance as imp
from helpers import model_io
from helpers.model import MLP, DeepMLP, from_sklearn, from_weights, load, predict, save
from helpers.model_io import BroughtModel, from_layers, read_model
from tests.conftest import friedman_like

CONVERSIONS = (r'torch\.jit\.script\(model\)\.save\("net\.pt"\)', r'torch\.save\(model\.state_dict\(\), "net\.pt"\)')


# ================================================================ shared pieces
def sequential(sizes, activation=nn.Tanh, seed=0):
    """An nn.Sequential of Linear layers with ``activation`` between them, seeded, in eval mode."""
    torch.manual_seed(seed)
    layers = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers).eval()


def rows(d, n=50, seed=1):
    return np.random.default_rng(seed).normal(size=(n, d))


def outputs(module, X):
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=torch.float32)).reshape(len(X)).double().numpy()


def jit_save(module, path, how="script", d=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)     # torch 2.9+ deprecates TorchScript
        compiled = torch.jit.script(module) if how == "script" else torch.jit.trace(module, torch.zeros(3, d))
        compiled.save(str(path))
    return path


class Skip(nn.Module):
    """Not a chain: the inputs reach the output twice (through the hidden layer and directly)."""

    def __init__(self, d=5, h=8):
        super().__init__()
        self.first = nn.Linear(d, h)
        self.last = nn.Linear(h + d, 1)

    def forward(self, x):
        return self.last(torch.cat([torch.tanh(self.first(x)), x], dim=1)).squeeze(-1)


# ================================================================ TorchScript
@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_torchscript_net_is_read_with_its_shape_and_predicts_as_the_original(tmp_path, how):
    net = sequential([12, 32, 16, 1], nn.ReLU)
    path = jit_save(net, tmp_path / "net.pt", how, d=12)
    brought = read_model(path, n_inputs=12, task="binary")
    assert isinstance(brought, BroughtModel)
    assert brought.format == "TorchScript" and brought.layers == [12, 32, 16, 1]
    assert brought.activation == "relu" and brought.task == "binary" and brought.hidden_layers == 2
    assert brought.description == "a 12-32-16-1 TorchScript net"
    assert brought.scaler is None and brought.scaling_source is None and brought.feature_names is None
    assert brought.model.task == "binary" and not brought.model.training
    X = rows(12)
    np.testing.assert_array_equal(outputs(brought.model, X), outputs(net, X))
    np.testing.assert_allclose(predict(brought.model, X), 1 / (1 + np.exp(-outputs(net, X))), rtol=1e-6)
    assert isinstance(load(path), torch.jit.ScriptModule)                # helpers.model.load, the module alone
    with pytest.raises(ValueError, match="the model in net.pt has 12 inputs but the data has 11"):
        read_model(path, n_inputs=11)


def test_a_torchscript_net_of_any_architecture_is_read(tmp_path):
    net = Skip().eval()
    path = jit_save(net, tmp_path / "skip.pt")
    brought = read_model(path, n_inputs=5)
    assert brought.layers is None and brought.activation is None and brought.task is None
    assert brought.description == "a TorchScript net with 5 inputs"
    X = rows(5)
    np.testing.assert_array_equal(outputs(brought.model, X), outputs(net, X))


def test_a_torchscript_net_must_take_the_columns_and_give_one_output_per_row(tmp_path):
    class Three(nn.Module):
        def forward(self, x):
            return x[:, :3] * 2.0

    class SevenColumns(nn.Module):
        def forward(self, x):
            return x.reshape(-1, 7).sum(dim=1)

    with pytest.raises(ValueError, match=r"the model in three.pt takes 5 columns but returns outputs of shape "
                                         r"\(3,\) per row .* one output per row"):
        read_model(jit_save(Three(), tmp_path / "three.pt"), n_inputs=5)
    with pytest.raises(ValueError, match="the model in seven.pt cannot take rows of 5 columns"):
        read_model(jit_save(SevenColumns(), tmp_path / "seven.pt"), n_inputs=5)
    wide = sequential([4, 6, 3])                                         # three outputs
    with pytest.raises(ValueError, match=r"returns outputs of shape \(3,\) per row"):
        read_model(jit_save(wide, tmp_path / "wide.pt"), n_inputs=4)


# ================================================================ state dicts
@pytest.mark.parametrize("sizes, kind", [([10, 20, 1], MLP), ([12, 32, 16, 1], DeepMLP), ([6, 5, 4, 3, 1], DeepMLP)])
def test_a_sequential_state_dict_of_any_depth_loads_into_the_kits_net(tmp_path, sizes, kind):
    net = sequential(sizes, nn.ReLU)
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    brought = read_model(tmp_path / "sd.pt", n_inputs=sizes[0], activation="relu")
    model = brought.model
    assert type(model) is kind and brought.format == "Sequential state dict" and brought.layers == sizes
    assert brought.activation == "relu" and brought.task is None and model.task == "regression"
    assert brought.description == f"a {'-'.join(map(str, sizes))} relu net from an nn.Sequential state dict"
    # the weights land in the right layers: hidden, deeper[0], ..., output
    linears = [m for m in net if isinstance(m, nn.Linear)]
    ours = [model.hidden, *getattr(model, "deeper", []), model.output]
    assert len(ours) == len(linears)
    for theirs, mine in zip(linears, ours):
        assert torch.equal(theirs.weight, mine.weight) and torch.equal(theirs.bias, mine.bias)
    X = rows(sizes[0])
    np.testing.assert_allclose(predict(model, X), outputs(net, X), rtol=1e-6, atol=1e-7)


def test_a_sequential_state_dict_under_a_prefix_and_a_deep_mlp_state_dict(tmp_path):
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = sequential([4, 3, 2, 1])

    torch.save(Holder().state_dict(), tmp_path / "held.pt")                # keys net.0.weight, ...
    assert read_model(tmp_path / "held.pt").layers == [4, 3, 2, 1]
    deep = DeepMLP(10, (6, 4), "tanh", seed=3).eval()
    torch.save(deep.state_dict(), tmp_path / "deep.pt")
    brought = read_model(tmp_path / "deep.pt", activation="tanh", task="binary")
    assert brought.format == "state dict" and brought.layers == [10, 6, 4, 1] and brought.model.task == "binary"
    X = rows(10)
    np.testing.assert_array_equal(outputs(brought.model, X), outputs(deep, X))


@pytest.mark.parametrize("edit, message", [
    ({"2.weight": torch.zeros(1, 7)}, r"2.weight \(1, 7\) takes 7 inputs but 0.weight gives 5 outputs"),
    ({"2.weight": torch.zeros(3, 5), "2.bias": torch.zeros(3)}, "the last layer .* has 3 outputs"),
    ({"0.bias": torch.zeros(4)}, r"0.bias has shape \(4,\) but 0.weight \(5, 4\) needs 5 biases"),
    ({"1.weight": torch.ones(5), "1.bias": torch.zeros(5)}, "only Linear layers"),
    ({"0.weight": torch.zeros(5, 4, dtype=torch.long)}, "0.weight must be a tensor of floats"),
    ({"2.bias": torch.tensor([float("inf")])}, "missing or infinite"),
])
def test_a_sequential_state_dict_must_chain_to_one_output(tmp_path, edit, message):
    good = sequential([4, 5, 1]).state_dict()
    torch.save({**good, **edit}, tmp_path / "sd.pt")
    with pytest.raises(ValueError, match=f"^sd.pt: .*{message}"):
        read_model(tmp_path / "sd.pt")
    del good["2.bias"]
    torch.save(good, tmp_path / "sd.pt")
    with pytest.raises(ValueError, match="2.weight has no 2.bias"):
        read_model(tmp_path / "sd.pt")


# ================================================================ .npz weights and scikit-learn
def sklearn_npz(path, est, **extra):
    arrays = {f"W{k + 1}": W for k, W in enumerate(est.coefs_)}
    arrays.update({f"b{k + 1}": b for k, b in enumerate(est.intercepts_)})
    np.savez(path, **arrays, **extra)
    return path


@pytest.mark.parametrize("hidden, kind", [((8,), MLP), ((8, 4), DeepMLP)])
def test_npz_weights_of_any_depth_predict_as_scikit_learn(tmp_path, hidden, kind):
    from sklearn.neural_network import MLPRegressor
    X, y = friedman_like(300, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                  # ConvergenceWarning
        est = MLPRegressor(hidden_layer_sizes=hidden, activation="relu", max_iter=200, random_state=0).fit(X, y)
    brought = read_model(sklearn_npz(tmp_path / "w.npz", est), n_inputs=10, activation="relu")
    sizes = [10, *hidden, 1]
    assert type(brought.model) is kind and brought.format == "npz" and brought.layers == sizes
    assert brought.description == f"a {'-'.join(map(str, sizes))} relu net from .npz weights"
    np.testing.assert_allclose(predict(brought.model, X), est.predict(X), rtol=1e-5, atol=1e-4)
    net = from_sklearn(est)
    assert type(net) is kind and net.activation == "relu" and net.task == "regression"
    np.testing.assert_allclose(predict(net, X), est.predict(X), rtol=1e-5, atol=1e-4)


def test_from_sklearn_takes_a_binary_classifier_of_any_depth_and_refuses_more_outputs():
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    X, y = friedman_like(300, seed=3)
    label = (y > np.median(y)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(6, 3), activation="tanh", max_iter=200, random_state=0).fit(X, label)
        two = MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(X, np.column_stack([y, y]))
    net = from_sklearn(clf)
    assert isinstance(net, DeepMLP) and net.task == "binary" and net.activation == "tanh"
    np.testing.assert_allclose(predict(net, X), clf.predict_proba(X)[:, 1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="only one output is supported"):
        from_sklearn(two)
    with pytest.raises(ValueError, match="not fitted"):
        from_sklearn(MLPRegressor())


def test_an_npz_may_carry_the_inputs_mean_and_std_and_names(tmp_path):
    W1, W2 = rows(3, n=4, seed=1), rows(1, n=3, seed=2)                    # (4, 3) and (3, 1): a 4-3-1 net
    arrays = {"W1": W1, "b1": np.zeros(3), "W2": W2, "b2": np.zeros(1)}
    np.savez(tmp_path / "w.npz", **arrays, mean=[1.0, 2.0, 3.0, 4.0], std=[1.0, 2.0, 0.5, 1.0],
             feature_names=np.array(["a", "b", "c", "d"]))
    brought = read_model(tmp_path / "w.npz")
    assert brought.scaling_source == "the .npz's mean and std" and brought.feature_names == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(brought.scaler.transform([[1.0, 4.0, 3.5, 4.0]]), [[0.0, 1.0, 1.0, 0.0]])
    model = load(tmp_path / "w.npz")
    assert model.meta["standardizer"] == {"mean": [1.0, 2.0, 3.0, 4.0], "scale": [1.0, 2.0, 0.5, 1.0]}
    assert model.meta["feature_names"] == ["a", "b", "c", "d"]
    for extra, message in [({"mean": [0.0] * 4}, "has mean without std"),
                           ({"mean": [0.0] * 3, "std": [1.0] * 3},
                            r"mean has shape \(3,\); it must hold one value per input \(4\)"),
                           ({"mean": [0.0] * 4, "std": [1.0, 0.0, 1.0, 1.0]},
                            "not a usable scaling: every 'scale' value must be"),
                           ({"feature_names": np.array(["a", "b"])}, "feature_names must be 4 strings"),
                           ({"W3": np.zeros((1, 1))}, r"lacks the arrays \['b3'\]"),
                           ({"weights": np.zeros(3)}, r"unexpected arrays \['weights'\]")]:
        np.savez(tmp_path / "bad.npz", **arrays, **extra)
        with pytest.raises(ValueError, match=f"bad.npz.*{message}"):
            read_model(tmp_path / "bad.npz")


def test_an_npz_claiming_a_huge_layer_is_refused_from_its_header_before_its_data_is_read(tmp_path, monkeypatch):
    """The header says W1 is (10**6, 3); the data is not there. Shapes come from the headers first."""
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, shape in [("W1", (10**6, 3)), ("b1", (3,)), ("W2", (3, 1)), ("b2", (1,))]:
            with archive.open(f"{name}.npy", "w") as fp:
                np.lib.format.write_array_header_1_0(fp, {"descr": "<f4", "fortran_order": False, "shape": shape})

    def no_data(*args, **kwargs):
        pytest.fail("the arrays were read before their shapes were checked")
    monkeypatch.setattr(model_io.np, "load", no_data)
    with pytest.raises(ValueError, match=r"huge.npz: the number of inputs \(W1's rows\) must be an integer from 1 "
                                         r"to 100000, got 1000000"):
        read_model(path)


def test_from_layers_and_from_weights_check_the_shapes():
    net = from_layers([np.ones((3, 4)), np.ones((4, 2)), np.ones((2, 1))], [np.zeros(4), np.zeros(2), 0.5])
    assert isinstance(net, DeepMLP) and [net.hidden.in_features, net.output.in_features] == [3, 2]
    with pytest.raises(ValueError, match=r"W2 \(5, 1\) takes 5 inputs but W1 gives 4 outputs"):
        from_layers([np.ones((3, 4)), np.ones((5, 1))], [np.zeros(4), np.zeros(1)])
    with pytest.raises(ValueError, match="weights do not fit one 3-4-1 net"):
        from_weights(np.ones((3, 4)), np.zeros(4), np.ones(5), [0.0])


# ================================================================ the kit's own file (moved from test_model.py)
def test_save_load_round_trip(tmp_path, trained_net, friedman_data):
    X = friedman_data[2]
    names = [f"in{i}" for i in range(10)]
    scaling = {"mean": [0.0] * 10, "scale": [2.0] * 10}
    path = save(trained_net, tmp_path / "net.pt", feature_names=names, standardizer=scaling)
    back = load(path, n_inputs=10)
    assert back.meta["feature_names"] == names and back.meta["standardizer"] == scaling
    np.testing.assert_array_equal(predict(back, X), predict(trained_net, X))
    brought = read_model(path)
    assert brought.format == "kit" and brought.layers == [10, 20, 1] and brought.activation == "tanh"
    assert brought.task == "regression" and brought.feature_names == names
    assert brought.scaling_source == "saved with the model" and list(brought.scaler.scale_) == [2.0] * 10
    assert brought.description == "a 10-20-1 tanh net saved by the kit"
    with pytest.raises(ValueError, match="10 inputs but the data has 9"):
        load(path, n_inputs=9)
    with pytest.raises(ValueError, match="feature names"):
        save(trained_net, tmp_path / "bad.pt", feature_names=names[:3])
    with pytest.raises(ValueError, match="needs the keys 'mean' and 'scale'"):
        save(trained_net, tmp_path / "bad.pt", standardizer={"mean": [0.0] * 10})


def test_load_state_dict_and_npz(tmp_path, trained_net, friedman_data):
    X = friedman_data[2]
    torch.save(trained_net.state_dict(), tmp_path / "sd.pt")
    brought = read_model(tmp_path / "sd.pt")
    assert brought.format == "state dict" and brought.description == "a 10-20-1 tanh net from a state dict"
    np.testing.assert_array_equal(predict(load(tmp_path / "sd.pt"), X), predict(trained_net, X))
    W1 = trained_net.hidden.weight.detach().numpy().T
    np.savez(tmp_path / "w.npz", W1=W1, b1=trained_net.hidden.bias.detach().numpy(),
             W2=trained_net.output.weight.detach().numpy().T, b2=trained_net.output.bias.detach().numpy())
    np.testing.assert_allclose(predict(load(tmp_path / "w.npz"), X), predict(trained_net, X), rtol=1e-6)
    np.savez(tmp_path / "partial.npz", W1=W1)
    with pytest.raises(ValueError, match="lacks the arrays"):
        load(tmp_path / "partial.npz")
    (tmp_path / "junk.pt").write_text("not a model")
    with pytest.raises(ValueError, match="not a model saved by torch"):
        load(tmp_path / "junk.pt")
    (tmp_path / "junk.npz").write_text("not a model")
    with pytest.raises(ValueError, match="junk.npz is not a .npz archive"):
        load(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="does not exist"):
        load(tmp_path / "nothing.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other.pt is neither a saved kit model nor a state dict .* The kit reads"):
        load(tmp_path / "other.pt")


def _kit_file(tmp_path, name="net.pt", **fields):
    """A file in the kit's model format (as ``save`` writes it) with ``fields`` overriding its own."""
    net = MLP(10, 20, seed=0)
    obj = {"format": model_io.FORMAT, "n_inputs": 10, "n_hidden": 20, "activation": "tanh", "task": "regression",
           "meta": {}, "state_dict": net.state_dict(), **fields}
    torch.save(obj, tmp_path / name)
    return tmp_path / name


def test_a_crafted_kit_file_is_refused_before_any_net_is_built(tmp_path, monkeypatch):
    """n_hidden 10**9 with small tensors: MLP(10, 10**9) would allocate 40 GB. The sizes are
    checked, against bounds and the tensors, before anything is built."""
    path = _kit_file(tmp_path, n_hidden=10**9)

    def no_net(*args, **kwargs):
        pytest.fail(f"load built a net {args} before checking the file")
    monkeypatch.setattr(model_io, "MLP", no_net)
    monkeypatch.setattr(model_io, "DeepMLP", no_net)
    with pytest.raises(ValueError, match=r"net.pt: n_hidden must be an integer from 1 to 100000, got 1000000000"):
        load(path)


@pytest.mark.parametrize("fields, message", [
    ({"n_hidden": 30}, "the file says n_inputs=10, n_hidden=30, but its weights are for 10 inputs and 20 hidden"),
    ({"n_inputs": 0}, "n_inputs must be an integer"),
    ({"n_inputs": True}, "n_inputs must be an integer"),
    ({"n_hidden": 20.0}, "n_hidden must be an integer"),
    ({"activation": "gelu"}, "activation 'gelu' is not one of"),
    ({"task": "multiclass"}, "task 'multiclass' is not one of"),
    ({"meta": ["x"]}, "meta must be a dict"),
    ({"meta": {"standardizer": {"mean": [0.0] * 10}}}, "the saved standardizer is not usable"),
    ({"state_dict": [1, 2]}, "state_dict must be a dict of tensors"),
    ({"state_dict": {"hidden.weight": torch.zeros(20, 10)}}, "missing"),
])
def test_every_field_of_a_kit_file_is_checked(tmp_path, fields, message):
    with pytest.raises(ValueError, match=f"^net.pt: .*{message}"):
        load(_kit_file(tmp_path, **fields))


def test_a_state_dict_must_fit_one_net(tmp_path):
    good = MLP(10, 20, seed=0).state_dict()
    for edit, message in [({"output.weight": torch.zeros(1, 30)}, r"output.weight \(1, 30\) \(expected \(1, 20\)\)"),
                          ({"hidden.bias": torch.zeros(7)}, r"hidden.bias \(7,\) \(expected \(20,\)\)"),
                          ({"hidden.weight": torch.zeros(20)}, "hidden.weight must be 2-D"),
                          ({"hidden.weight": torch.zeros(20, 10, dtype=torch.long)}, "tensor of floats"),
                          ({"output.bias": torch.tensor([float("nan")])}, "missing or infinite"),
                          ({"extra": torch.zeros(1)}, r"unexpected \['extra'\]")]:
        torch.save({**good, **edit}, tmp_path / "state.pt")
        with pytest.raises(ValueError, match=f"^state.pt: .*{message}"):
            load(tmp_path / "state.pt")
    torch.save(good, tmp_path / "state.pt")
    assert load(tmp_path / "state.pt").n_hidden == 20


def test_loading_does_not_move_torchs_global_generator(tmp_path):
    torch.save(sequential([4, 3, 2, 1]).state_dict(), tmp_path / "sd.pt")
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    read_model(tmp_path / "sd.pt")
    assert torch.equal(torch.rand(2), expected)


# ================================================================ pickles are refused, never run
@pytest.fixture
def torch_load_calls(monkeypatch):
    """Every call of torch.load during the test, with its keyword arguments."""
    calls, real = [], torch.load

    def recording(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)
    monkeypatch.setattr(torch, "load", recording)
    return calls


def test_a_pickled_module_is_refused_with_the_line_that_converts_it(tmp_path, torch_load_calls):
    torch.save(sequential([12, 32, 16, 1]), tmp_path / "whole.pt")
    with pytest.raises(ValueError) as caught:
        read_model(tmp_path / "whole.pt", n_inputs=12)
    message = str(caught.value)
    assert message.startswith("whole.pt holds a pickled Python object (torch.nn.modules.container.Sequential")
    for line in CONVERSIONS:
        assert re.search(line, message), line
    assert "TorchScript" in message and ".npz" in message and "weights_only" not in message
    assert torch_load_calls and all(call.get("weights_only") is True for call in torch_load_calls)


class _WritesAFile:
    """Unpickling this object would call ``open(marker, "w")``: create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("wrap", [lambda evil: evil, lambda evil: {"0.weight": evil}], ids=["bare", "in a dict"])
def test_a_malicious_pickle_is_refused_and_runs_nothing(tmp_path, torch_load_calls, wrap):
    marker = tmp_path / "MARKER"
    torch.save(wrap(_WritesAFile(marker)), tmp_path / "evil.pt")
    with zipfile.ZipFile(tmp_path / "evil.pt") as archive:                  # it would: open is in the pickle
        data = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
    assert any(op.name == "GLOBAL" and "open" in str(arg) for op, arg, _ in pickletools.genops(data))
    with pytest.raises(ValueError, match=r"evil.pt holds a pickled Python object \(io.open\).*the kit never unpickles"):
        read_model(tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="pickled Python object"):
        load(tmp_path / "evil.pt")
    assert not marker.exists()
    assert all(call.get("weights_only") is True for call in torch_load_calls)


# ================================================================ which weight measures apply, and Olden's product
def test_olden_on_two_hidden_layers_is_the_sum_over_paths_of_the_weight_products():
    net = DeepMLP(4, (3, 2), "tanh", seed=1)
    W1, W2, W3 = (layer.weight.detach().double().numpy() for layer in (net.hidden, net.deeper[0], net.output))
    by_hand = [sum(W1[j, i] * W2[k, j] * W3[0, k] for j in range(3) for k in range(2)) for i in range(4)]
    result = imp.olden(net)
    np.testing.assert_allclose(result.values, by_hand, rtol=1e-12)
    assert result.info["hidden_layers"] == 2


def test_olden_on_one_hidden_layer_is_unchanged():
    net = MLP(10, 20, seed=4)
    W1 = net.hidden.weight.detach().double().numpy()
    v = net.output.weight.detach().double().numpy()[0]
    np.testing.assert_array_equal(imp.olden(net).values.to_numpy(), v @ W1)       # the seed's formula, bit for bit


def test_weight_measures_read_a_torchscript_net_as_the_kits_net_of_the_same_weights(tmp_path):
    for sizes in ([6, 5, 1], [6, 5, 4, 1]):
        net = sequential(sizes, nn.Tanh, seed=2)
        script = read_model(jit_save(net, tmp_path / "net.pt"), n_inputs=6).model
        torch.save(net.state_dict(), tmp_path / "sd.pt")
        kit = read_model(tmp_path / "sd.pt", activation="tanh").model
        X = rows(6)
        names = ["weight_sum", "olden", "one_hot_probe"] + (["garson"] if len(sizes) == 3 else [])
        for name in names:
            args = (X,) if name == "weight_sum" else ()
            mine = imp.REGISTRY[name].function(script, *args).values
            theirs = imp.REGISTRY[name].function(kit, *args).values
            np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(imp.weight_sum(script).values,
                                   np.abs(net[0].weight.detach().double().numpy()).sum(axis=0))


def test_the_kits_own_nets_traced_to_torchscript_are_read_as_chains(tmp_path):
    for net in (MLP(5, 7, seed=0).eval(), DeepMLP(5, (7, 3), seed=0).eval()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                               # TracerWarning, DeprecationWarning
            torch.jit.trace(net, torch.zeros(2, 5)).save(str(tmp_path / "kit.pt"))
        brought = read_model(tmp_path / "kit.pt", n_inputs=5)
        sizes = [5, 7, 1] if isinstance(net, MLP) else [5, 7, 3, 1]
        assert brought.layers == sizes and brought.description == f"a {'-'.join(map(str, sizes))} TorchScript net"
        np.testing.assert_allclose(imp.olden(brought.model).values, imp.olden(net).values, rtol=1e-12)
        np.testing.assert_allclose(imp.weight_sum(brought.model).values, imp.weight_sum(net).values, rtol=1e-12)


def test_gradients_and_shapley_run_on_a_torchscript_net(tmp_path):
    net = sequential([6, 5, 4, 1], nn.Tanh, seed=2)
    script = read_model(jit_save(net, tmp_path / "net.pt"), n_inputs=6).model
    torch.save(net.state_dict(), tmp_path / "sd.pt")
    kit = read_model(tmp_path / "sd.pt").model
    X = rows(6, n=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                    # no torch warning on the way
        for measure in (imp.gradient, imp.integrated_gradients, imp.shapley):
            mine, theirs = measure(script, X), measure(kit, X)
            np.testing.assert_allclose(mine.values, theirs.values, rtol=1e-5, atol=1e-7, err_msg=measure.__name__)


def test_which_measures_apply_is_known_before_calling_them(tmp_path):
    mlp, deep = MLP(5, 8, seed=0), DeepMLP(5, (8, 4), seed=0)
    skip = read_model(jit_save(Skip().eval(), tmp_path / "skip.pt"), n_inputs=5).model
    normed = read_model(jit_save(nn.Sequential(nn.LayerNorm(5), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1)),
                                 tmp_path / "normed.pt"), n_inputs=5).model
    expected = {  # model -> the measures that do not apply
        "mlp": (mlp, set()),
        "deep": (deep, {"garson"}),
        "skip": (skip, {"garson", "olden"}),
        "normed": (normed, {"garson", "olden", "weight_sum"}),
    }
    X, y = rows(5, n=20), rows(1, n=20)[:, 0]
    for label, (model, refused) in expected.items():
        reasons = {name: imp.not_applicable(name, model) for name in imp.MEASURES}
        assert {name for name, why in reasons.items() if why} == refused, label
        for name in refused:
            why = reasons[name]
            assert why == imp.REGISTRY[name].not_applicable(model) and "\n" not in why
            with pytest.raises(ValueError) as caught:                        # the measure raises the same sentence
                imp.compute(name, model, train_X=X, train_y=y, test_X=X, test_y=y)
            assert str(caught.value) == why
    assert ("defined for one hidden layer only, and this 5-8-4-1 net has 2 hidden layers"
            in imp.not_applicable("garson", deep))
    assert "the order in which it uses its layers cannot be read" in imp.not_applicable("olden", skip)
    assert "its first layer is LayerNorm, not a Linear layer" in imp.not_applicable("weight_sum", normed)
    assert imp.not_applicable("gradient", np.zeros(3)) == "gradient needs a torch.nn.Module, got ndarray"
    assert imp.not_applicable("ablation", None) is None                    # retrains: judges new nets
    with pytest.raises(ValueError, match="is not a measure"):
        imp.not_applicable("olden2", mlp)
