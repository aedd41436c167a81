"""Gluon Trainer: applies an Optimizer to a set of Parameters.

``step`` hands every parameter to the updater in one call; with SGD (``aggregate_num`` > 0)
that becomes one fused ``multi_sgd_update``/``multi_sgd_mom_update`` per group of weights.

Single-process: ``kvstore`` is accepted and ignored and ``allreduce_grads`` only sums the
per-context gradients when a parameter lives on several contexts.
"""
from __future__ import annotations

import warnings

from .. import optimizer as opt
from .parameter import GENERATION as _PARAM_GEN
from .parameter import Parameter, ParameterDict


class Trainer:
    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = list(params.values())
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
        plan = self._step_plan(ignore_stale_grad)
        for grads in plan[1]:
            self._sum_grads(grads)
        self._apply(plan)

    def _step_plan(self, ignore_stale_grad):
        """What one step touches: the multi-context gradients to sum, and the indices,
        gradients and weights the updater gets.  Gathering them walks every Parameter, so
        the result is kept until any Parameter's arrays change (parameter.GENERATION):
        initialization, reinit, cast, reset_ctx, grad_req changes."""
        key = (_PARAM_GEN[0], bool(ignore_stale_grad))
        plan = self._plan
        if plan is not None and plan[0] == key:
            return plan
        self._check_initialized()
        multi = []
        for p in self._params:
            if p.grad_req == 'null' or p._data is None:
                continue
            grads = p.list_grad()
            if len(grads) > 1:
                multi.append(grads)
        plan = (key, multi) + self._gather(ignore_stale_grad)
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
        self._optimizer.rescale_grad = self._scale / batch_size
        self._apply(self._step_plan(ignore_stale_grad))

    def _update(self, ignore_stale_grad=False):
        self._apply((None, None) + self._gather(ignore_stale_grad))

    def _apply(self, plan):
        _, _, indices, grads, weights, copies = plan
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
