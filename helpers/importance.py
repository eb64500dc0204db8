"""Every importance measure, one function each, all returning an ``Importance``.

Same shape throughout: ``measure(model, X, y?, *, options, feature_names=None) -> Importance``
(``ablation`` retrains and so takes data, not a model). Each function's docstring gives its
formula, its reference and when it misleads.

| measure | what it reads |
| --- | --- |
| ``weight_sum``, ``garson``, ``olden``, ``one_hot_probe`` | the weights |
| ``gradient``, ``integrated_gradients`` | derivatives over the data |
| ``permutation``, ``grouped_permutation``, ``conditional_permutation`` | held-out loss, inputs shuffled |
| ``shapley`` | exact interventional Shapley values |
| ``lek_profile``, ``lek_importance`` | the response swept along each input |
| ``ablation`` | a net retrained without the input |
"""
from helpers._base import Importance  # noqa: F401
from helpers._weights import weight_sum, garson, olden, one_hot_probe  # noqa: F401
from helpers._gradients import gradient, integrated_gradients  # noqa: F401
from helpers._perturbation import permutation, grouped_permutation, conditional_permutation  # noqa: F401
from helpers._shapley import shapley  # noqa: F401
from helpers._profile import lek_profile, lek_importance  # noqa: F401
from helpers._retrain import ablation  # noqa: F401

MEASURES = ("weight_sum", "garson", "olden", "one_hot_probe", "gradient", "integrated_gradients",
            "permutation", "conditional_permutation", "shapley", "lek_profile", "ablation")
"""Every measure by the name its ``Importance.method`` carries (``lek_profile`` is ``lek_importance``'s)."""
