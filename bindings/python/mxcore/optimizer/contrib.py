"""``mx.optimizer.contrib``: GroupAdaGrad, as in MXNet 1.x."""
from __future__ import annotations

from .composed import _prep_grad
from .optimizer import Optimizer, _nd, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one rate per row of a 2-d weight (MXNet's optimizer.contrib):
    history += mean(g^2, axis=1); w -= lr * g / sqrt(history + eps). No weight decay."""

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise ValueError("GroupAdaGrad: weight must be 2-d, got shape %s" % (weight.shape,))
        return _nd().zeros((weight.shape[0], 1), ctx=weight.context)

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        if wd != 0:
            raise ValueError("GroupAdaGrad: weight decay is not supported (wd=%g)" % wd)
        g = _prep_grad(self, grad)
        state[:] = state + nd.mean(nd.square(g), axis=1, keepdims=True)
        weight[:] = weight - lr * g / nd.sqrt(state + self.float_stable_eps)
