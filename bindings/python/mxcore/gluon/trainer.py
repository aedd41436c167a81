"""Gluon Trainer: applies an Optimizer to a set of Parameters.

``step`` hands every parameter to the updater in one call; with SGD (``aggregate_num`` > 0)
that becomes one fused ``multi_sgd_update``/``multi_sgd_mom_update`` per group of weights.

Single-process: ``kvstore`` is accepted and ignored and ``allreduce_grads`` only sums the
per-context gradients when a parameter lives on several contexts.

Stale gradients (MXNet's ``_fresh_grad``): ``step``/``update`` raise for a parameter whose
gradient no backward has written since the last step, or skip it with
``ignore_stale_grad=True``. The core flags each variable whose gradient a backward wrote;
one ``mx_autograd_grad_fresh`` call per step reads the flags, another clears them after the
update (writes other than backward, such as zero_grad, do not count, as in MXNet).
"""
from __future__ import annotations

import warnings

from .. import optimizer as opt
from ..base import ffi as _ffi
from ..base import lib as _lib
from .parameter import GENERATION as _PARAM_GEN
from .parameter import Parameter, ParameterDict

_GRAD_FRESH = _lib.mx_autograd_grad_fresh

_STALE_MSG = ('Gradient of Parameter `%s` on context %s has not been updated by backward '
              'since last `step`. This could mean a bug in your model that made it only use '
              'a subset of the Parameters (Blocks) for this iteration. If you are '
              'intentionally only using a subset, call step with ignore_stale_grad=True to '
              'suppress this warning and skip updating of Parameters with stale gradient')


class Trainer:
    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            # sorted by name, as MXNet 1.9.1: the updater indices (and so the states in
            # save_states files and stale-gradient messages) follow that order
            params = [params[k] for k in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError('First argument must be a list or dict of Parameters, got %s.'
                             % type(params))
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError('First argument must be a list or dict of Parameters, got '
                                 'list of %s.' % type(param))
            if id(param) in self._param2idx:
                continue
            self._param2idx[id(param)] = len(self._params)
            self._params.append(param)
        self._compression_params = compression_params
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        optimizer_params = dict(optimizer_params) if optimizer_params else {}
        self._scale = float(optimizer_params.get('rescale_grad', 1.0))
        self._init_optimizer(optimizer, optimizer_params)
        self._kv_initialized = True
        self._plan = None

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError('optimizer_params must be None if optimizer is an '
                                     'instance of Optimizer instead of str')
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict,
                                         **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer)]

    @property
    def learning_rate(self):
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning('Optimizer has to be defined before its learning rate can be '
                              'accessed.')
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        return self._optimizer

    def set_learning_rate(self, lr):
        self._optimizer.set_learning_rate(lr)

    def _check_initialized(self):
        for p in self._params:
            if p._data is None and p._deferred_init:
                raise RuntimeError(
                    "Parameter '%s' has not been initialized yet because initialization was "
                    'deferred. Actual initialization happens during the first forward pass. '
                    'Please pass one batch of data through the network before accessing '
                    'Parameters.' % p.name)

    def step(self, batch_size, ignore_stale_grad=False):
        """One update with gradients rescaled by 1/batch_size."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._checked_apply(self._step_plan(ignore_stale_grad), ignore_stale_grad, True)

    def _checked_apply(self, plan, ignore_stale_grad, reduce):
        """Check freshness, sum multi-context gradients (``reduce``), update, and clear
        the freshness flags for the next step."""
        stale = self._stale(plan)
        if stale:
            if not ignore_stale_grad:
                k = stale[0]
                raise UserWarning(_STALE_MSG % (self._params[plan[2][plan[6][1][k]]].name,
                                                str(plan[6][0][k].context)))
            plan = self._fresh_subset(plan, stale)
        if reduce:
            for grads in plan[1]:
                self._sum_grads(grads)
        self._apply(plan)
        checks = plan[6]
        _GRAD_FRESH(checks[2], len(checks[0]), checks[3], 1)

    @staticmethod
    def _stale(plan):
        """Positions (in plan[6]'s list of parameter arrays) whose gradient no backward
        wrote since the last step; one core call."""
        datas, _, handles, flags = plan[6]
        n = len(datas)
        if n:
            _GRAD_FRESH(handles, n, flags, 0)
        got = _ffi.unpack(flags, n)
        if 0 not in got:
            return None
        return [k for k in range(n) if not got[k]]

    def _fresh_subset(self, plan, stale):
        """The plan without the parameters that have a stale gradient (cached per set)."""
        gpos = plan[6][1]
        drop = frozenset(gpos[k] for k in stale)
        cache = plan[8]
        sub = cache.get(drop)
        if sub is None:
            keep = [j for j in range(len(plan[2])) if j not in drop]
            # plan[9]: the position of each multi-context parameter (in plan[1] and plan[5])
            multi = [m for j, m in zip(plan[9], plan[1]) if j not in drop]
            copies = [c for j, c in zip(plan[9], plan[5]) if j not in drop]
            sub = (plan[0], multi, [plan[2][j] for j in keep], [plan[3][j] for j in keep],
                   [plan[4][j] for j in keep], copies) + plan[6:]
            if len(cache) > 16:
                cache.clear()
            cache[drop] = sub
        return sub

    def _step_plan(self, ignore_stale_grad):
        """What one step touches: the multi-context gradients to sum, the indices,
        gradients and weights the updater gets, and every gradient copy to check for
        freshness.  Gathering them walks every Parameter, so the result is kept until any
        Parameter's arrays change (parameter.GENERATION): initialization, reinit, cast,
        reset_ctx, grad_req changes."""
        key = (_PARAM_GEN[0], bool(ignore_stale_grad))
        plan = self._plan
        if plan is not None and plan[0] == key:
            return plan
        self._check_initialized()
        indices, grads, weights, copies = self._gather(ignore_stale_grad)
        multi, multi_pos = [], []
        datas, owner = [], []
        for j, i in enumerate(indices):
            p = self._params[i]
            if len(p.list_grad()) > 1:
                multi.append(p.list_grad())
                multi_pos.append(j)
            for d in p.list_data():   # the marked variables, one per context
                datas.append(d)
                owner.append(j)
        handles = _ffi.new('mx_tensor[]', [d.handle for d in datas] or [_ffi.NULL])
        flags = _ffi.new('int[]', max(1, len(datas)))
        plan = (key, multi, indices, grads, weights, copies, (datas, owner, handles, flags),
                None, {}, multi_pos)
        if key[0] == _PARAM_GEN[0]:  # nothing above (re)initialized a Parameter
            self._plan = plan
        return plan

    def allreduce_grads(self):
        self._check_initialized()
        self._allreduce_grads()

    def _allreduce_grads(self):
        for p in self._params:
            if p.grad_req == 'null' or p._data is None:
                continue
            grads = p.list_grad()
            if len(grads) > 1:
                self._sum_grads(grads)

    @staticmethod
    def _sum_grads(grads):
        total = grads[0].copy()
        for g in grads[1:]:
            total = total + g.as_in_context(total.context)
        for g in grads:
            g[:] = total.as_in_context(g.context)

    def update(self, batch_size, ignore_stale_grad=False):
        """The update half of ``step`` (after ``allreduce_grads``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._checked_apply(self._step_plan(ignore_stale_grad), ignore_stale_grad, False)

    def _update(self, ignore_stale_grad=False):
        self._checked_apply(self._step_plan(ignore_stale_grad), ignore_stale_grad, False)

    def _apply(self, plan):
        indices, grads, weights, copies = plan[2:6]
        # The updater gets the plan's own lists every step (its grouping cache keys on
        # them); it reads them and must not change them.
        if indices:
            self._updaters[0](indices, grads, weights)
        for datas in copies:
            for d in datas[1:]:
                d[:] = datas[0].as_in_context(d.context)

    def _gather(self, ignore_stale_grad):
        # All parameters go to the updater in one call, so an optimizer with aggregate_num
        # (SGD) updates many of them per fused op; the others loop inside the updater.
        # A parameter on several contexts is updated once and copied (single process).
        indices, grads, weights, copies = [], [], [], []
        for i, p in enumerate(self._params):
            if p.grad_req == 'null':
                continue
            if p._data is None:
                if ignore_stale_grad:
                    continue
                raise UserWarning("Parameter '%s' has not been initialized" % p.name)
            datas = p.list_data()
            indices.append(i)
            weights.append(datas[0])
            grads.append(p.list_grad()[0])
            if len(datas) > 1:
                copies.append(datas)
        return indices, grads, weights, copies

    def save_states(self, fname):
        assert self._optimizer is not None
        self._updaters[0].save_states_file(fname, dump_optimizer=True)

    def load_states(self, fname):
        with open(fname, 'rb') as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        param_dict = {i: param for i, param in enumerate(self._params)}
        self._optimizer.param_dict = param_dict


_ = warnings
