"""``mx.optimizer.contrib``: GroupAdaGrad, as in MXNet 1.x."""
from __future__ import annotations

from .optimizer import Optimizer, _nd, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one rate per row of a 2-d weight (MXNet's optimizer.contrib), one fused
    ``group_adagrad_update``: history += mean(g^2, axis=1); w -= lr * g / sqrt(history + eps).
    No weight decay."""

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
        # MXNet's dense rule clips whenever clip_gradient is not None (0 included)
        clip = -1.0 if self.clip_gradient is None else float(self.clip_gradient)
        nd.contrib.group_adagrad_update(weight, grad, state, out=weight, lr=lr, epsilon=self.float_stable_eps,
                                        rescale_grad=self.rescale_grad, clip_gradient=clip)
