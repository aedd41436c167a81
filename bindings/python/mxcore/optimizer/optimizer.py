"""Optimizers (``mx.optimizer``), MXNet 1.x update rules.

Each ``update(index, weight, grad, state)`` rewrites ``weight`` (and ``state``) in place.
Every rule that has a fused core op (``nd.sgd_update``, ``nd.adam_update``, ...) runs as
that one op with ``out=weight``; the op updates the states in place. The optimizer's job
is the per-step scalars: learning rate (scheduler, per-parameter ``lr_mult``), weight
decay (``wd_mult``), ``rescale_grad``, ``clip_gradient`` and the update counts. Adamax and
Nadam have no fused op and stay composed of elementwise nd ops.

SGD also updates a list of parameters per call (``update([i, j], [w_i, w_j], ...)``) with
``multi_sgd_update``/``multi_sgd_mom_update``; ``Updater`` groups indices into lists of at
most ``aggregate_num`` (MXNet's ``MXNET_OPTIMIZER_AGGREGATION_SIZE``).

Differences from MXNet 1.x, kept on purpose:
  * AdaGrad adds epsilon outside the square root (``g / (sqrt(history) + eps)``, the form of
    MXNet's fused ``adagrad_update``), not inside it as MXNet 1.x's dense Python rule does.
  * AdamW (not in MXNet 1.x's optimizer module) decays with the scheduled ``lr`` and
    scales only the Adam step by the bias correction (``correct_bias``).
  * Signum with ``momentum=0`` is MXNet's ``signsgd_update``: wd shrinks the weight and
    ``wd_lh`` is not used.
"""
from __future__ import annotations

import math
import operator
import os

import numpy as np


def _nd():
    from .. import ndarray as nd
    return nd


_ND = []


def _nd_module():
    """_nd() without the import machinery on every call (the per-step paths)."""
    if not _ND:
        _ND.append(_nd())
    return _ND[0]


_is = operator.is_


class Optimizer:
    """Base class: learning rate (+ scheduler), weight decay, per-parameter multipliers."""

    opt_registry: dict = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        # MXNet 1.x: without a scheduler the default rate is 0.01; with one, its base_lr is
        # the rate unless learning_rate is given too (then learning_rate overrides it)
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                print(UserWarning('learning rate from ``lr_scheduler`` has been overwritten '
                                  'by ``learning_rate`` in optimizer.'))
                lr_scheduler.base_lr = learning_rate
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
        # a Symbol's __lr_mult__ / __wd_mult__ variable attributes seed the multipliers
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
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

    def _sym_mults(self, key):
        """{argument name: float(attribute `key`)} from the Symbol given as ``sym``."""
        if not self.sym_info:
            return {}
        attrs, names = self.sym_info
        return {n: float(attrs[n][key]) for n in names if key in attrs.get(n, {})}

    def set_lr_mult(self, args_lr_mult):
        self.lr_mult = self._sym_mults('__lr_mult__')
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith('_weight') or n.endswith('_gamma')):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(self._sym_mults('__wd_mult__'))
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        if not isinstance(index, (list, tuple)):
            index = [index]
        counts, begin, top = self._index_update_count, self.begin_num_update, self.num_update
        for idx in index:
            n = counts[idx] = counts.get(idx, begin) + 1
            if n > top:
                top = n
        self.num_update = top

    def _begin_update(self, index):
        """Count this update of parameter `index`; return its (lr, wd) with the
        scheduler and the per-parameter multipliers applied."""
        self._update_count(index)
        return self._get_lr(index), self._get_wd(index)

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

    # multi_precision keeps a float32 master copy of float16 weights in the state and
    # updates that (MXNet's layout: (master, state); the SGD family: (state, master))
    _MASTER_LAST = False

    def _uses_master(self, weight):
        w = weight[0] if isinstance(weight, (list, tuple)) else weight
        return bool(self.multi_precision) and w.dtype == np.float16

    def create_state_multi_precision(self, index, weight):
        if self._uses_master(weight):
            master = weight.astype(np.float32)
            inner = self.create_state(index, master)
            return (inner, master) if self._MASTER_LAST else (master, inner)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        raise NotImplementedError

    def update_multi_precision(self, index, weight, grad, state):
        if not self._uses_master(weight):
            self.update(index, weight, grad, state)
            return
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        inner, master = state if self._MASTER_LAST else state[::-1]
        self.update(index, master, grad.astype(np.float32), inner)
        weight[:] = master.astype(weight.dtype)

    def _get_lrs(self, indices):
        return [self._get_lr(i) for i in indices]

    def _get_wds(self, indices):
        return [self._get_wd(i) for i in indices]

    # helpers
    def _clip(self):
        """clip_gradient as the fused ops take it: MXNet passes it only when truthy."""
        return float(self.clip_gradient) if self.clip_gradient else -1.0

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
        ret.pop('_rescale_cache', None)   # caches are rebuilt on demand
        ret.pop('_attr_cache', None)
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
    """SGD, optionally with momentum: one ``sgd_update``/``sgd_mom_update`` per weight, or one
    ``multi_sgd_update``/``multi_sgd_mom_update`` per list of weights.

    ``aggregate_num`` (``MXNET_OPTIMIZER_AGGREGATION_SIZE``, default 20: the most the multi
    ops take) caps how many weights ``Updater`` hands over per call; 0 turns lists off.
    """

    _MAX_AGGREGATE = 20   # MX_MAX_TUPLE: lrs/wds entries one multi_sgd op call takes

    _MASTER_LAST = True

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        agg = int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', str(self._MAX_AGGREGATE)))
        self.aggregate_num = max(0, min(agg, self._MAX_AGGREGATE))

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def update(self, index, weight, grad, state):
        nd = _nd()
        if isinstance(index, (list, tuple)):
            self._update_many(nd, index, weight, grad, state)
            return
        lr, wd = self._begin_update(index)
        # a row_sparse grad with lazy_update changes only its rows (nd.sparse.sgd_update)
        if state is not None:
            nd.sgd_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd,
                              momentum=self.momentum, rescale_grad=self.rescale_grad,
                              clip_gradient=self._clip(), lazy_update=self.lazy_update)
        else:
            nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd,
                          rescale_grad=self.rescale_grad, clip_gradient=self._clip(),
                          lazy_update=self.lazy_update)

    def _update_many(self, nd, indices, weights, grads, states):
        n = len(indices)
        if n > 1 and any(g.stype != 'default' for g in grads):  # sparse grads: one update each
            for i, w, g, s in zip(indices, weights, grads, states):
                self.update(i, w, g, s)
            return
        if n == 1:
            self.update(indices[0], weights[0], grads[0], states[0])
            return
        self._update_count(indices)
        kw = self._multi_attrs(tuple(self._get_lrs(indices)), tuple(self._get_wds(indices)))
        if states[0] is not None:
            flat = [x for trio in zip(weights, grads, states) for x in trio]
            nd.multi_sgd_mom_update(*flat, out=weights, **kw)
        else:
            flat = [x for pair in zip(weights, grads) for x in pair]
            nd.multi_sgd_update(*flat, out=weights, **kw)

    def _prepare_group(self, indices, weights, grads, states):
        """Updater's fast path: what _update_many computes from the arrays alone (the
        op and its interleaved inputs), for lists it will see again; None where the
        general path is needed (one weight, float32 master copies)."""
        if len(indices) < 2 or any(self._uses_master(w) for w in weights) or \
                any(g.stype != 'default' for g in grads):
            return None
        if states[0] is not None:
            flat = [x for trio in zip(weights, grads, states) for x in trio]
            op = 'multi_sgd_mom_update'
        else:
            flat = [x for pair in zip(weights, grads) for x in pair]
            op = 'multi_sgd_update'
        return (tuple(indices), weights, flat, op)

    def _run_group(self, group):
        indices, weights, flat, op = group
        self._update_count(indices)
        kw = self._multi_attrs(tuple(self._get_lrs(indices)), tuple(self._get_wds(indices)))
        getattr(_nd_module(), op)(*flat, out=weights, **kw)

    def _multi_attrs(self, lrs, wds):
        """The multi_sgd attributes as strings, memoized: formatting the float tuples costs
        more than the update of a small network, and they change only with the schedule."""
        key = (lrs, wds, self.rescale_grad, self.clip_gradient, self.momentum)
        cache = self.__dict__.setdefault('_attr_cache', {})
        kw = cache.get(key)
        if kw is None:
            if len(cache) > 64:
                cache.clear()
            kw = {'lrs': f"({','.join(map(repr, map(float, lrs)))})",
                  'wds': f"({','.join(map(repr, map(float, wds)))})",
                  'rescale_grad': repr(float(self.rescale_grad)),
                  'clip_gradient': repr(self._clip()), 'num_weights': str(len(lrs))}
            if self.momentum != 0.0:
                kw['momentum'] = repr(float(self.momentum))
            cache[key] = kw
        return kw


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient (``nag_mom_update``; plain SGD without momentum)."""

    _MASTER_LAST = True

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        if state is not None:
            nd.nag_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd,
                              momentum=self.momentum, rescale_grad=self.rescale_grad,
                              clip_gradient=self._clip())
        else:
            nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd,
                          rescale_grad=self.rescale_grad, clip_gradient=self._clip())


@register
class Adam(Optimizer):
    """Adam (Kingma & Ba); the bias correction is folded into the learning rate."""

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
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        nd.adam_update(weight, grad, mean, var, out=weight, lr=lr, wd=wd, beta1=self.beta1,
                       beta2=self.beta2, epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                       clip_gradient=self._clip(), lazy_update=self.lazy_update)


@register
class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter), via ``adamw_update``:
    weight -= lr * (c_t * mean / (sqrt(var) + epsilon) + wd * weight), with c_t the bias
    correction when ``correct_bias``. An inf/nan ``rescale_grad`` skips the update."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 correct_bias=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = correct_bias

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _rescale_array(self, ctx):
        """rescale_grad as the 1-element array adamw_update takes, cached per context."""
        nd = _nd()
        rg = self.rescale_grad
        if isinstance(rg, nd.NDArray):
            return rg if rg.context == ctx else rg.as_in_context(ctx)
        cache = self.__dict__.setdefault('_rescale_cache', {})
        hit = cache.get(ctx)
        if hit is None or hit[0] != rg:
            hit = cache[ctx] = (rg, nd.full((1,), float(rg), ctx=ctx, dtype='float32'))
        return hit[1]

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        corr = 1.0
        if self.correct_bias:
            corr = math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        nd.adamw_update(weight, grad, mean, var, self._rescale_array(weight.context),
                        out=weight, lr=corr, eta=lr, wd=wd, beta1=self.beta1, beta2=self.beta2,
                        epsilon=self.epsilon, clip_gradient=self._clip())


@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton; ``rmsprop_update``), or centered with momentum (Graves;
    ``rmspropalex_update``)."""

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
        lr, wd = self._begin_update(index)
        kw = {'lr': lr, 'wd': wd, 'gamma1': self.gamma1, 'epsilon': self.epsilon,
              'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip(),
              'clip_weights': float(self.clip_weights) if self.clip_weights else -1.0}
        if not self.centered:
            (n,) = state
            nd.rmsprop_update(weight, grad, n, out=weight, **kw)
        else:
            n, gbar, delta = state
            nd.rmspropalex_update(weight, grad, n, gbar, delta, out=weight,
                                  gamma2=self.gamma2, **kw)


@register
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al.). As in MXNet 1.x, weight decay is applied to the weight and
    kept out of the squared-gradient history, and the dense step divides by
    sqrt(history + eps) (MXNet's Python path; the fused ``adagrad_update``, like MXNet's
    sparse op, divides by sqrt(history) + eps, which differs for tiny gradients)."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        if grad.stype == 'row_sparse':  # MXNet's sparse adagrad_update: only the grad's rows
            nd.sparse.adagrad_update(weight, grad, state, out=weight, lr=lr, wd=wd,
                                     epsilon=self.float_stable_eps, rescale_grad=self.rescale_grad,
                                     clip_gradient=self._clip())
            return
        g = grad * self.rescale_grad
        if self.clip_gradient is not None:
            g = nd.clip(g, -self.clip_gradient, self.clip_gradient)
        state += nd.square(g)
        weight += (g / nd.sqrt(state + self.float_stable_eps) + weight * wd) * -lr


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler; ``adadelta_update``); the learning rate is not used."""

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
        acc_g, acc_delta = state
        nd.adadelta_update(weight, grad, acc_g, acc_delta, out=weight, rho=self.rho,
                           epsilon=self.epsilon, wd=wd, rescale_grad=self.rescale_grad,
                           clip_gradient=self._clip())


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al.; ``ftrl_update``)."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1 = lamda1
        self.beta = beta

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        z, n = state
        if grad.stype == 'row_sparse' and not self._row_sparse_weight(index):
            # MXNet has no lazy FTRL for a dense weight: it densifies the gradient, and the
            # rows absent from the batch are updated too
            grad = grad.tostype('default')
        nd.ftrl_update(weight, grad, z, n, out=weight, lr=lr, lamda1=self.lamda1,
                       beta=self.beta, wd=wd, rescale_grad=self.rescale_grad,
                       clip_gradient=self._clip())

    def _row_sparse_weight(self, index):
        p = self.param_dict.get(index)
        return p is not None and getattr(p, '_stype', 'default') == 'row_sparse'


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
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        lr /= (1. - self.beta1 ** t)
        g = self._prep_grad_wd_first(grad, weight, wd)
        m, u = state
        m[:] = self.beta1 * m + (1. - self.beta1) * g
        u[:] = nd.broadcast_maximum(self.beta2 * u, nd.abs(g))
        weight[:] = weight - lr * m / u


@register
class FTML(Optimizer):
    """Follow the Moving Leader (Zheng & Kwok, 2017), MXNet 1.x's ``ftml``:
    v = b2 v + (1 - b2) g^2, d_t = (1 - b1^t) / lr * (sqrt(v / (1 - b2^t)) + eps),
    z = b1 z + (1 - b1) g - (d_t - b1 d_{t-1}) w, w = -z / d_t; g is the rescaled
    gradient plus wd * w, clipped."""

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # d, v, z

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        g = self._prep_grad_wd_first(grad, weight, wd)
        d_prev, v, z = state
        v[:] = self.beta2 * v + (1. - self.beta2) * nd.square(g)
        d_t = (1. - self.beta1 ** t) / lr * (nd.sqrt(v / (1. - self.beta2 ** t)) + self.epsilon)
        z[:] = self.beta1 * z + (1. - self.beta1) * g - (d_t - self.beta1 * d_prev) * weight
        d_prev[:] = d_t
        weight[:] = -z / d_t


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
        lr, wd = self._begin_update(index)
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
    """Signum (Bernstein et al.; ``signum_update``), or signSGD (``signsgd_update``) when
    ``momentum`` is 0."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        nd = _nd()
        lr, wd = self._begin_update(index)
        if state is not None:
            nd.signum_update(weight, grad, state, out=weight, lr=lr, wd=wd,
                             momentum=self.momentum, wd_lh=self.wd_lh,
                             rescale_grad=self.rescale_grad, clip_gradient=self._clip())
        else:
            nd.signsgd_update(weight, grad, out=weight, lr=lr, wd=wd,
                              rescale_grad=self.rescale_grad, clip_gradient=self._clip())


@register
class LAMB(Optimizer):
    """Layer-wise adaptive moments (You et al.): ``lamb_update_phase1`` gives the direction,
    ``lamb_update_phase2`` scales it by the trust ratio ||weight|| / ||direction||.

    Lists of weights (``Updater`` hands over up to ``aggregate_num``, MXNet's default 45)
    go through ``multi_lamb_update`` / ``multi_mp_lamb_update``, as in MXNet 1.x; as there,
    the multi-precision list form takes the trust ratio's ||weight|| from the float16
    weights, the single form from the float32 master."""

    _OP_TENSORS = (16, 12)   # tensors per multi_lamb / multi_mp_lamb call (the op's state mask)

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '45'))))

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)) and self._uses_master(weight):
            self._update_many(index, weight, grad, state, mp=True)
        else:
            super().update_multi_precision(index, weight, grad, state)

    def _update_many(self, indices, weights, grads, states, mp=False):
        """One multi_[mp_]lamb_update per chunk of the list; states are (mean, var), or
        (master, (mean, var)) with ``mp``."""
        nd = _nd()
        steps, lrs, wds = [], [], []
        for i in indices:
            self._update_count(i)
            steps.append(self._index_update_count[i])
            lrs.append(self._get_lr(i))
            wds.append(self._get_wd(i))
        kw = {'beta1': self.beta1, 'beta2': self.beta2, 'epsilon': self.epsilon,
              'bias_correction': bool(self.bias_correction), 'rescale_grad': self.rescale_grad,
              'clip_gradient': self._clip(),
              'lower_bound': float(self.lower_bound) if self.lower_bound else -1.0,
              'upper_bound': float(self.upper_bound) if self.upper_bound else -1.0}
        step = self._OP_TENSORS[1 if mp else 0]
        for s in range(0, len(indices), step):
            e = s + step
            inner = [st[1] for st in states[s:e]] if mp else states[s:e]
            means, vars_ = [m for m, _ in inner], [v for _, v in inner]
            common = dict(out=weights[s:e], step_count=steps[s:e], lrs=lrs[s:e], wds=wds[s:e], **kw)
            if mp:
                nd.contrib.multi_mp_lamb_update(weights[s:e], grads[s:e], means, vars_,
                                                [st[0] for st in states[s:e]], **common)
            else:
                nd.contrib.multi_lamb_update(weights[s:e], grads[s:e], means, vars_, **common)

    def update(self, index, weight, grad, state):
        nd = _nd()
        if isinstance(index, (list, tuple)):
            self._update_many(index, weight, grad, state)
            return
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        mean, var = state
        g = nd.lamb_update_phase1(weight, grad, mean, var, beta1=self.beta1, beta2=self.beta2,
                                  epsilon=self.epsilon, t=t,
                                  bias_correction=bool(self.bias_correction), wd=wd,
                                  rescale_grad=self.rescale_grad, clip_gradient=self._clip())
        r1 = nd.norm(weight)
        r2 = nd.norm(g)
        nd.lamb_update_phase2(weight, g, r1, r2, out=weight, lr=lr,
                              lower_bound=float(self.lower_bound) if self.lower_bound else -1.0,
                              upper_bound=float(self.upper_bound) if self.upper_bound else -1.0)


@register
class LARS(Optimizer):
    """Layer-wise adaptive rate scaling (You et al., arXiv:1708.03888), MXNet 1.x's ``lars``:
    SGD (with momentum) where each weight's learning rate is scaled by its trust ratio
    eta * ||w|| / (||g|| * rescale_grad + wd * ||w|| + eps), unless either norm is 0 or
    the parameter's name ends in 'gamma', 'beta' or 'bias' (Trainer passes no names, so
    every parameter is scaled there). With ``momentum_correction`` the momentum is scaled
    by lr / previous lr when a scheduler changes the rate. Rates and decays are float32,
    as MXNet's fused path computes them."""

    _MASTER_LAST = True

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '4'))
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        """Scheduled rates with the multipliers; remembers the previous base rate for the
        momentum correction."""
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        lrs = []
        for index in indices:
            r = lr
            if index in self.param_dict:
                r *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                r *= self.lr_mult[index]
            elif index in self.idx2name:
                r *= self.lr_mult.get(self.idx2name[index], 1.0)
            lrs.append(r)
        return lrs

    def set_wd_mult(self, args_wd_mult):
        # only '*_weight' arguments decay by default (not '*_gamma', unlike Optimizer)
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith('_weight')}
        self.wd_mult.update(self._sym_mults('__wd_mult__'))
        self.wd_mult.update(args_wd_mult)

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _scaled(self, index, weight, grad, lr, wd):
        import numpy as np
        name = self.idx2name.get(index, str(index))
        f32 = np.float32
        lr, wd = f32(lr), f32(wd)
        if name.endswith(('gamma', 'beta', 'bias')):
            return float(lr)
        nd = _nd()
        w_norm = f32(nd.norm(weight.astype('float32', copy=False)).asscalar())
        g_norm = f32(nd.norm(grad.astype('float32', copy=False)).asscalar()) * \
            f32(self.rescale_grad)
        if w_norm > 0 and g_norm > 0:
            lr = lr * f32(self.eta) * w_norm / (g_norm + wd * w_norm + f32(self.eps))
        return float(lr)

    def update(self, index, weight, grad, state):
        import numpy as np
        nd = _nd()
        if not isinstance(index, (list, tuple)):
            index, weight, grad, state = [index], [weight], [grad], [state]
        self._update_count(index)
        lrs = self._get_lrs(index)
        wds = self._get_wds(index)
        kw = {'rescale_grad': self.rescale_grad, 'clip_gradient': self._clip()}
        if self.momentum > 0:
            kw['momentum'] = self.momentum * (self.cur_lr / self.last_lr) \
                if self.momentum_correction and self.last_lr != 0 else self.momentum
        for i, w, g, st, lr, wd in zip(index, weight, grad, state, lrs, wds):
            lr = self._scaled(i, w, g, lr, wd)
            wd = float(np.float32(wd))
            if st is not None:
                nd.sgd_mom_update(w, g, st, out=w, lr=lr, wd=wd, **kw)
            else:
                kw.pop('momentum', None)
                nd.sgd_update(w, g, out=w, lr=lr, wd=wd, **kw)


class ccSGD(SGD):  # noqa: N801  (MXNet's name)
    """MXNet's deprecated alias class of SGD."""


# MXNet aliases
Optimizer.opt_registry['nesterov'] = NAG
Optimizer.opt_registry['ccsgd'] = ccSGD


class Updater:
    """Applies an optimizer to (index, grad, weight) and keeps per-index state.

    Called with lists, it hands the optimizer lists of at most ``optimizer.aggregate_num``
    indices (one fused multi-weight op each, for SGD); weights on different contexts or of
    different dtypes go in separate lists. ``aggregate_num`` 0 (every optimizer but SGD)
    updates one index at a time.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self._plan_cache = None
        self._fast = None

    def _state_for(self, i, w):
        if i not in self.states:
            self.states[i] = self.optimizer.create_state_multi_precision(i, w)
            self.states_synced[i] = True
        elif not self.states_synced.get(i, True):
            self.states[i] = _state_to(self.states[i], w.context)
            self.states_synced[i] = True
        return self.states[i]

    def __call__(self, index, grad, weight):
        opt = self.optimizer
        if not isinstance(index, (list, tuple)):
            opt.update_multi_precision(index, weight, grad, self._state_for(index, weight))
            return
        agg = getattr(opt, 'aggregate_num', 0) or 0
        fast = self._fast
        if fast is not None and self._fast_valid(fast, index, grad, weight, agg):
            for group in fast[-1]:
                opt._run_group(group)
            return
        states = [self._state_for(i, w) for i, w in zip(index, weight)]
        if agg <= 1 or len(index) == 1:
            for i, w, g, s in zip(index, weight, grad, states):
                opt.update_multi_precision(i, w, g, s)
            return
        plan = self._plan(weight, agg)
        for pos in plan:
            opt.update_multi_precision([index[k] for k in pos], [weight[k] for k in pos],
                                       [grad[k] for k in pos], [states[k] for k in pos])
        self._fast = self._fast_plan(opt, index, grad, weight, states, agg, plan)

    # The fast path: a Trainer hands over the same lists every step, and an optimizer
    # with prepared groups (SGD: one fused op per group, its inputs interleaved once)
    # then skips re-gathering states and inputs, which cost more Python than the
    # update of a small network. Every step still checks that the arrays, the states
    # and the optimizer are the ones the groups were made from.
    def _fast_plan(self, opt, index, grad, weight, states, agg, plan):
        prepare = getattr(opt, '_prepare_group', None)
        if prepare is None:
            return None
        groups = []
        for pos in plan:
            g = prepare([index[k] for k in pos], [weight[k] for k in pos], [grad[k] for k in pos],
                        [states[k] for k in pos])
            if g is None:
                return None
            groups.append(g)
        return (opt, agg, index, list(index), grad, weight, tuple(map(id, grad)), tuple(map(id, weight)),
                self.states, states, groups)

    def _fast_valid(self, fast, index, grad, weight, agg):
        f_opt, f_agg, f_index, f_index_copy, f_grad, f_weight, gids, wids, f_states, states, _ = fast
        cur = self.states
        if (f_opt is not self.optimizer or f_agg != agg or f_index is not index or f_grad is not grad
                or f_weight is not weight or f_states is not cur or index != f_index_copy
                or tuple(map(id, grad)) != gids or tuple(map(id, weight)) != wids):
            return False
        # the same states (set_states, which marks states to move to their weights'
        # contexts, replaces the dict, failing the test above)
        return all(map(_is, map(cur.get, index), states))

    def _plan(self, weights, agg):
        """Positions of ``weights`` split into lists of <= agg sharing context and dtype.
        The plan is kept while the same weight arrays come back (Trainer passes the same
        ones every step); holding them keeps their ids from being reused."""
        key = (tuple(map(id, weights)), agg)
        if self._plan_cache is not None and self._plan_cache[0] == key:
            return self._plan_cache[2]
        groups = {}
        for k, w in enumerate(weights):
            groups.setdefault((w.context, w.dtype), []).append(k)
        plan = [g[j:j + agg] for g in groups.values() for j in range(0, len(g), agg)]
        self._plan_cache = (key, list(weights), plan)
        return plan

    def get_states(self, dump_optimizer=False):
        """The states (and the optimizer) pickled as MXNet 1.x pickles them."""
        from . import states_io
        return states_io.dumps((self.states, self.optimizer) if dump_optimizer else self.states)

    def set_states(self, states):
        """Load get_states() bytes, written here or by MXNet 1.x."""
        from . import states_io
        states = states_io.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
        else:
            self.states = states
        self.states_synced = dict.fromkeys(self.states, False)

    def save_states_file(self, fname, dump_optimizer=False):
        """Write get_states() to the file ``fname`` (Trainer, Module and KVStore state files)."""
        with open(fname, 'wb') as f:
            f.write(self.get_states(dump_optimizer))

    def load_states_file(self, fname):
        """set_states() from a file written by save_states_file."""
        with open(fname, 'rb') as f:
            self.set_states(f.read())


def _state_to(s, ctx):
    """An optimizer state (None, NDArray or nested tuple) on context ``ctx``."""
    if s is None:
        return None
    if isinstance(s, (list, tuple)):
        return type(s)(_state_to(x, ctx) for x in s)
    return s if s.context == ctx else s.as_in_context(ctx)


def get_updater(optimizer):
    return Updater(optimizer)
