"""MXNet 1.x optimizers with no fused op, composed of nd ops: DCASGD, SGLD, Test
(GroupAdaGrad is in contrib.py, where MXNet has it)."""
from __future__ import annotations

import math

from .optimizer import Optimizer, _nd, _zeros_like, register


def _prep_grad(opt, grad):
    """rescale then clip (DCASGD/SGLD order; wd is added by the rule itself)."""
    g = grad * opt.rescale_grad
    if opt.clip_gradient is not None:
        g = _nd().clip(g, a_min=-opt.clip_gradient, a_max=opt.clip_gradient)
    return g


@register
class DCASGD(Optimizer):
    """Delay-compensated async SGD (Zheng et al., 2016): the gradient is corrected by
    lamda * g * g * (w - w_prev), with optional momentum. MXNet 1.9.1 raises on
    momentum > 0 with multi-element weights (``if mom:`` on an NDArray); the rule
    here is the one it documents."""

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = _zeros_like(weight) if self.momentum != 0.0 else None
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index)
        g = _prep_grad(self, grad)
        mom, prev = state
        step = -lr * (g + wd * weight + self.lamda * g * g * (weight - prev))
        if mom is not None:
            mom[:] = self.momentum * mom + step
            step = mom
        prev[:] = weight
        weight[:] = weight + step


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: half an SGD step plus N(0, lr) noise."""

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        g = _prep_grad(self, grad)
        weight[:] = weight - lr / 2 * (g + wd * weight)
        weight[:] = weight + nd.random.normal(0, math.sqrt(lr), shape=weight.shape,
                                              dtype=weight.dtype, ctx=weight.context)


@register
class Test(Optimizer):
    """MXNet's test optimizer: w += rescale_grad * g; the state mirrors the weight."""

    def create_state(self, index, weight):
        return _nd().zeros(weight.shape, ctx=weight.context)

    def update(self, index, weight, grad, state):
        weight[:] = weight + grad * self.rescale_grad
        state[:] = weight

