"""Optimizers (``mx.optimizer``), MXNet 1.x update rules.

Each ``update(index, weight, grad, state)`` rewrites ``weight`` (and ``state``) in place.
SGD and Adam use the fused ``nd.*_update`` ops when the registry has them; the others
(and the fallbacks) are written with elementwise nd ops, the same formulas MXNet documents.
"""
from __future__ import annotations

import math
import pickle

import numpy as np


def _nd():
    from .. import ndarray as nd
    return nd


class Optimizer:
    """Base class: learning rate (+ scheduler), weight decay, per-parameter multipliers."""

    opt_registry: dict = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None:
            self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        self.idx2name = dict(param_idx2name)
        self.param_dict = param_dict if param_dict else {}
        self.sym_info = ()
        self.set_lr_mult({})
        self.set_wd_mult({})

    @staticmethod
    def register(klass):
        name = klass.__name__.lower()
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError('Cannot find optimizer %s' % name)

    # --- learning rate -----------------------------------------------------------------
    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        if self.lr_scheduler is not None:
            raise UserWarning('LRScheduler of the optimizer has already been defined. Note '
                              'that set_learning_rate can mutate the value of the learning '
                              'rate of the optimizer only when the LRScheduler of the '
                              'optimizer is undefined.')
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        raise DeprecationWarning

    def set_lr_mult(self, args_lr_mult):
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith('_weight') or n.endswith('_gamma')):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lr(self, index):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if index in self.param_dict:
            lr *= self.param_dict[index].lr_mult
        elif index in self.lr_mult:
            lr *= self.lr_mult[index]
        elif index in self.idx2name:
            lr *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lr

    def _get_wd(self, index):
        wd = self.wd
        if index in self.param_dict:
            wd *= self.param_dict[index].wd_mult
        elif index in self.wd_mult:
            wd *= self.wd_mult[index]
        elif index in self.idx2name:
            wd *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wd

    # --- state + update ----------------------------------------------------------------
    def create_state(self, index, weight):
        return None

    def create_state_multi_precision(self, index, weight):
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        raise NotImplementedError

    def update_multi_precision(self, index, weight, grad, state):
        self.update(index, weight, grad, state)

    # helpers
    def _clip(self):
        return -1.0 if self.clip_gradient is None else float(self.clip_gradient)

    def _prep_grad(self, grad, weight=None, wd=0.0):
        """rescale, clip, then add wd*weight (the order used by the non-SGD rules)."""
        nd = _nd()
        g = grad * self.rescale_grad
        if self.clip_gradient is not None:
            g = nd.clip(g, a_min=-self.clip_gradient, a_max=self.clip_gradient)
        if wd and weight is not None:
            g = g + wd * weight
        return g

    def _prep_grad_wd_first(self, grad, weight, wd):
        """rescale, add wd*weight, then clip (adam/rmsprop/nadam order)."""
        nd = _nd()
        g = grad * self.rescale_grad
        if wd:
            g = g + wd * weight
        if self.clip_gradient is not None:
            g = nd.clip(g, a_min=-self.clip_gradient, a_max=self.clip_gradient)
        return g

    def __getstate__(self):
        ret = self.__dict__.copy()
        ret['param_dict'] = {}
        return ret

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register


def create(name, **kwargs):
    """Create an optimizer by name ('sgd', 'adam', ...) or return an Optimizer unchanged."""
    if isinstance(name, Optimizer):
        return name
    return Optimizer.create_optimizer(name, **kwargs)


def _zeros_like(w):
    nd = _nd()
    return nd.zeros(w.shape, ctx=w.context, dtype=w.dtype)


@register
class SGD(Optimizer):
    """weight -= lr * (grad + wd * weight), with optional momentum."""

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kw = {'lr': lr, 'wd': wd, 'rescale_grad': self.rescale_grad,
              'clip_gradient': self._clip()}
        if state is not None:
            if hasattr(nd, 'sgd_mom_update'):
                nd.sgd_mom_update(weight, grad, state, out=weight, momentum=self.momentum,
                                  **kw)
                return
            g = self._prep_grad(grad)
            state[:] = self.momentum * state - lr * (g + wd * weight)
            weight[:] = weight + state
        else:
            if hasattr(nd, 'sgd_update'):
                nd.sgd_update(weight, grad, out=weight, **kw)
                return
            g = self._prep_grad(grad)
            weight[:] = weight - lr * (g + wd * weight)


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        g = self._prep_grad(grad, weight, wd)
        if state is not None:
            state[:] = self.momentum * state + g
            weight[:] = weight - lr * (g + self.momentum * state)
        else:
            weight[:] = weight - lr * g


@register
class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction folded into the learning rate."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        if hasattr(nd, 'adam_update'):
            nd.adam_update(weight, grad, mean, var, out=weight, lr=lr, wd=wd,
                           beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                           rescale_grad=self.rescale_grad, clip_gradient=self._clip())
            return
        g = self._prep_grad_wd_first(grad, weight, wd)
        mean[:] = self.beta1 * mean + (1. - self.beta1) * g
        var[:] = self.beta2 * var + (1. - self.beta2) * nd.square(g)
        weight[:] = weight - lr * mean / (nd.sqrt(var) + self.epsilon)


@register
class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 correct_bias=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = correct_bias

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        g = self._prep_grad(grad)
        mean, var = state
        mean[:] = self.beta1 * mean + (1. - self.beta1) * g
        var[:] = self.beta2 * var + (1. - self.beta2) * nd.square(g)
        step = lr
        if self.correct_bias:
            step = lr * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        weight[:] = weight - step * mean / (nd.sqrt(var) + self.epsilon) - lr * wd * weight


@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton), optionally centered (Graves)."""

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        g = self._prep_grad_wd_first(grad, weight, wd)
        if not self.centered:
            (n,) = state
            n[:] = (1 - self.gamma1) * nd.square(g) + self.gamma1 * n
            weight[:] = weight - lr * g / nd.sqrt(n + self.epsilon)
        else:
            n, gbar, delta = state
            n[:] = (1 - self.gamma1) * nd.square(g) + self.gamma1 * n
            gbar[:] = (1 - self.gamma1) * g + self.gamma1 * gbar
            delta[:] = self.gamma2 * delta - lr * g / nd.sqrt(n - nd.square(gbar) +
                                                              self.epsilon)
            weight[:] = weight + delta
        if self.clip_weights:
            weight[:] = nd.clip(weight, a_min=-self.clip_weights, a_max=self.clip_weights)


@register
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al.)."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        g = self._prep_grad(grad)
        state[:] = state + nd.square(g)
        weight[:] = weight - lr * (g / nd.sqrt(state + self.float_stable_eps) + wd * weight)


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler); the learning rate is not used."""

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        wd = self._get_wd(index)
        g = self._prep_grad(grad)
        acc_g, acc_delta = state
        acc_g[:] = self.rho * acc_g + (1. - self.rho) * nd.square(g)
        cur = nd.sqrt(acc_delta + self.epsilon) / nd.sqrt(acc_g + self.epsilon) * g
        acc_delta[:] = self.rho * acc_delta + (1. - self.rho) * nd.square(cur)
        weight[:] = weight - (cur + wd * weight)


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al.)."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1 = lamda1
        self.beta = beta

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        g = self._prep_grad(grad)
        z, n = state
        z[:] = z + g - (nd.sqrt(n + nd.square(g)) - nd.sqrt(n)) * weight / lr
        n[:] = n + nd.square(g)
        weight[:] = (nd.sign(z) * self.lamda1 - z) / ((self.beta + nd.sqrt(n)) / lr + wd) * \
            (nd.abs(z) > self.lamda1)


@register
class Adamax(Optimizer):
    """AdaMax: Adam with the infinity norm."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr /= (1. - self.beta1 ** t)
        g = self._prep_grad_wd_first(grad, weight, wd)
        m, u = state
        m[:] = self.beta1 * m + (1. - self.beta1) * g
        u[:] = nd.broadcast_maximum(self.beta2 * u, nd.abs(g))
        weight[:] = weight - lr * m / u


@register
class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        g = self._prep_grad_wd_first(grad, weight, wd)
        mom_t = self.beta1 * (1. - 0.5 * (pow(0.96, t * self.schedule_decay)))
        mom_t1 = self.beta1 * (1. - 0.5 * (pow(0.96, (t + 1) * self.schedule_decay)))
        self.m_schedule = self.m_schedule * mom_t
        m_schedule_next = self.m_schedule * mom_t1
        m, v = state
        m[:] = self.beta1 * m + (1. - self.beta1) * g
        v[:] = self.beta2 * v + (1. - self.beta2) * nd.square(g)
        grad_prime = g / (1. - self.m_schedule)
        m_prime = m / (1. - m_schedule_next)
        v_prime = v / (1. - pow(self.beta2, t))
        m_bar = (1. - mom_t) * grad_prime + mom_t1 * m_prime
        weight[:] = weight - lr * m_bar / (nd.sqrt(v_prime) + self.epsilon)


@register
class Signum(Optimizer):
    """signSGD / Signum (Bernstein et al.)."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        g = self._prep_grad(grad)
        if state is not None:
            state[:] = self.momentum * state - (1 - self.momentum) * (g + wd * weight)
            weight[:] = (1 - lr * self.wd_lh) * weight + lr * nd.sign(state)
        else:
            weight[:] = (1 - lr * self.wd_lh) * weight - lr * nd.sign(g + wd * weight)


@register
class LAMB(Optimizer):
    """Layer-wise adaptive moments (You et al.)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        g = self._prep_grad(grad)
        m, v = state
        m[:] = self.beta1 * m + (1. - self.beta1) * g
        v[:] = self.beta2 * v + (1. - self.beta2) * nd.square(g)
        if self.bias_correction:
            mh = m / (1. - self.beta1 ** t)
            vh = v / (1. - self.beta2 ** t)
        else:
            mh, vh = m, v
        r = mh / (nd.sqrt(vh) + self.epsilon) + wd * weight
        r1 = float(np.sqrt(float(nd.sum(nd.square(weight)).asscalar())))
        r2 = float(np.sqrt(float(nd.sum(nd.square(r)).asscalar())))
        if self.lower_bound is not None:
            r1 = max(r1, self.lower_bound)
        if self.upper_bound is not None:
            r1 = min(r1, self.upper_bound)
        ratio = r1 / r2 if (r1 > 0 and r2 > 0) else 1.0
        weight[:] = weight - lr * ratio * r


# MXNet aliases
Optimizer.opt_registry['nesterov'] = NAG
Optimizer.opt_registry['ccsgd'] = SGD


class Updater:
    """Applies an optimizer to (index, grad, weight) and keeps per-index state."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}

    def __call__(self, index, grad, weight):
        if not isinstance(index, (list, tuple)):
            index, grad, weight = [index], [grad], [weight]
        for i, g, w in zip(index, grad, weight):
            if i not in self.states:
                self.states[i] = self.optimizer.create_state_multi_precision(i, w)
                self.states_synced[i] = True
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    @staticmethod
    def _to_np(s):
        if s is None:
            return None
        if isinstance(s, (list, tuple)):
            return tuple(Updater._to_np(x) for x in s)
        return ('__nd__', s.asnumpy())

    @staticmethod
    def _from_np(s):
        nd = _nd()
        if s is None:
            return None
        if isinstance(s, tuple) and len(s) == 2 and s[0] == '__nd__':
            return nd.array(s[1], dtype=s[1].dtype)
        return tuple(Updater._from_np(x) for x in s)

    def get_states(self, dump_optimizer=False):
        states = {k: self._to_np(v) for k, v in self.states.items()}
        return pickle.dumps((states, self.optimizer) if dump_optimizer else states)

    def set_states(self, states):
        states = pickle.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
        else:
            self.states = states
        self.states = {k: self._from_np(v) for k, v in self.states.items()}
        self.states_synced = dict.fromkeys(self.states, False)


def get_updater(optimizer):
    return Updater(optimizer)
