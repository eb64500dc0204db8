"""Shared fixtures: small nets and data, built once per test session and deterministic."""
import numpy as np
import pytest
import torch

from helpers.model import MLP, train


def friedman_like(n, seed):
    """Friedman's function on U[0,1]^10, standardised roughly (inputs centred), with noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 10))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
         + 10 * X[:, 3] + 5 * X[:, 4] + rng.normal(size=n))
    return (X - 0.5) / np.sqrt(1 / 12), y


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
