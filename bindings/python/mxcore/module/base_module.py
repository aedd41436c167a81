"""``BaseModule``: the training/evaluation loops of MXNet 1.x's module API.

A module is a computation (a bound Symbol, for :class:`Module`) with parameters, an
optimizer and an output. ``BaseModule`` holds what only needs the abstract interface:
``fit``, ``score``, ``predict``/``iter_predict``, ``forward_backward`` and parameter
files. Subclasses implement the abstract methods (bind, init_params, forward, ...)."""
from __future__ import annotations

import logging
import time
import warnings

import numpy as np

from .. import metric as _metric
from .. import ndarray as nd
from ..base import MXNetError
from ..callback import BatchEndParam
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import load_params_file, save_params_file

__all__ = ["BaseModule"]

_DEFAULT_INIT = Uniform(0.01)


def _as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _call_all(callbacks, *args):
    for cb in _as_list(callbacks):
        cb(*args)


def _check_input_names(symbol, names, typename, throw):
    """Every name in ``names`` must be an argument of ``symbol``; raise ValueError (throw)
    or warn, listing the arguments that could be meant (those that are not parameters)."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(('_weight', '_bias', '_gamma', '_beta'))]
        msg = ("Module(..., %s_names=%s): input '%s' is not an argument of the symbol "
               "(symbol.list_arguments()); did you mean one of %s?" % (typename, list(names), name, candidates))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=3)


def _to_desc(item):
    if isinstance(item, DataDesc):
        return item
    if isinstance(item, (list, tuple)) and len(item) >= 2:
        return DataDesc(*item)
    raise ValueError("expected a DataDesc or a (name, shape) pair, got %r" % (item,))


def _parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """``data_shapes``/``label_shapes`` as DataDesc lists. Data names must match the
    module's data names exactly (ValueError); label names that differ only warn (MXNet)."""
    data_shapes = [_to_desc(x) for x in data_shapes]
    given = [d.name for d in data_shapes]
    if sorted(given) != sorted(data_names):
        raise ValueError("bind: data_shapes name the inputs %s but the module's data_names are %s"
                         % (given, list(data_names)))
    if label_shapes is not None:
        label_shapes = [_to_desc(x) for x in label_shapes]
        given = [d.name for d in label_shapes]
        if sorted(given) != sorted(label_names):
            warnings.warn("bind: label_shapes name %s but the module's label_names are %s"
                          % (given, list(label_names)), stacklevel=3)
    return data_shapes, label_shapes


class BaseModule:
    """Base class of modules (MXNet 1.x ``mx.mod.BaseModule``).

    State flags: ``binded`` (executors exist), ``for_training``, ``inputs_need_grad``,
    ``params_initialized`` and ``optimizer_initialized``."""

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    # ---- high-level API ------------------------------------------------------------
    def forward_backward(self, data_batch):
        """``forward(data_batch, is_train=True)`` then ``backward()``."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def _already_bound(self, force_rebind):
        """True (after MXNet's warning) when bind() should keep the current binding."""
        if self.binded and not force_rebind:
            warnings.warn("Already bound, ignoring bind()", stacklevel=3)
            return True
        return False

    def _require_ready(self, what):
        if not self.binded or not self.params_initialized:
            raise MXNetError("%s: the module must be bound and its parameters initialized first "
                             "(bind() and init_params(), or fit())" % what)

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Run inference over ``eval_data`` (at most ``num_batch`` batches) and return
        ``eval_metric.get_name_value()``, e.g. ``[('accuracy', 0.97)]``. ``eval_metric`` may
        be a name, an EvalMetric or a list of them. Padded samples of the last batch are
        counted, as in MXNet."""
        self._require_ready("score")
        if reset:
            eval_data.reset()
        eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            self.update_metric(eval_metric, eval_batch.label)
            if batch_end_callback is not None:
                _call_all(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
            actual_num_batch += 1
        if score_end_callback:
            _call_all(score_end_callback, BatchEndParam(epoch, actual_num_batch, eval_metric, locals()))
        return eval_metric.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` per batch of ``eval_data``; ``outputs`` (a
        list, one NDArray per symbol output) excludes the batch's padded samples."""
        self._require_ready("iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            yield [out[0:out.shape[0] - pad] for out in self.get_outputs()], nbatch, eval_batch

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """Run inference and collect the outputs, padded samples dropped.

        ``eval_data`` is a DataIter, or one NDArray/numpy array (a single batch for the first
        data input; its first output is returned). With ``merge_batches`` the result is one
        NDArray per output, the batches concatenated along axis 0 (a single NDArray when the
        symbol has one output and ``always_output_list`` is False); otherwise a list per batch
        of lists of outputs."""
        self._require_ready("predict")
        if isinstance(eval_data, (nd.NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = nd.array(eval_data, dtype=eval_data.dtype)
            # inference mode even when bound for training (MXNet uses for_training here)
            self.forward(DataBatch([eval_data]), is_train=False)
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter) and not hasattr(eval_data, "reset"):
            raise ValueError("predict: eval_data must be a DataIter, an NDArray or a numpy array, got %s"
                             % type(eval_data).__name__)
        output_list = [[out.copy() for out in outs]
                       for outs, _, _ in self.iter_predict(eval_data, num_batch, reset, sparse_row_id_fn)]
        if not output_list or not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        if any(len(outs) != num_outputs for outs in output_list):
            raise MXNetError("predict: cannot merge batches, the number of outputs differs between "
                             "batches; use merge_batches=False")
        merged = [nd.concatenate([outs[i] for outs in output_list]) for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data, eval_data=None, eval_metric='acc', epoch_end_callback=None,
            batch_end_callback=None, kvstore='local', optimizer='sgd',
            optimizer_params=(('learning_rate', 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=_DEFAULT_INIT, arg_params=None,
            aux_params=None, allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None, monitor=None,
            sparse_row_id_fn=None):
        """Train for epochs ``begin_epoch .. num_epoch-1`` (MXNet 1.x ``fit``).

        Binds to ``train_data``'s shapes, initializes parameters (``arg_params``/``aux_params``
        take priority over ``initializer``) and the optimizer, then per epoch: every batch
        runs forward_backward, update and update_metric and calls ``batch_end_callback``
        (one or a list) with a BatchEndParam; the epoch's training metric and time are logged
        (``Epoch[n] Train-<name>=<value>``, ``Epoch[n] Time cost=<s>``);
        ``epoch_end_callback(epoch, symbol, arg_params, aux_params)`` is called; ``eval_data``
        (if given) is scored with ``validation_metric`` (default: ``eval_metric``) and logged
        as ``Epoch[n] Validation-<name>=<value>``. ``train_data`` is reset at the end of every
        epoch (as in MXNet), so pass it freshly created or reset."""
        if num_epoch is None:
            raise ValueError("fit: num_epoch is required (the epoch to stop before)")
        self._check_fit_labels(train_data)
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer, optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        eval_metric = _metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            eval_name_vals = self._fit_epoch(train_data, epoch, eval_metric, batch_end_callback,
                                             monitor, sparse_row_id_fn)
            for name, val in eval_name_vals:
                self.logger.info('Epoch[%d] Train-%s=%f', epoch, name, val)
            self.logger.info('Epoch[%d] Time cost=%.3f', epoch, time.time() - tic)

            # sync the device copies so callbacks see this epoch's values
            arg_params, aux_params = self.get_params()
            self.set_params(arg_params, aux_params)
            _call_all(epoch_end_callback, epoch, self.symbol, arg_params, aux_params)

            if eval_data is not None:
                res = self.score(eval_data, validation_metric, score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info('Epoch[%d] Validation-%s=%f', epoch, name, val)
            train_data.reset()

    def _fit_epoch(self, train_data, epoch, eval_metric, batch_end_callback, monitor, sparse_row_id_fn):
        """One pass over ``train_data``; returns the metric's (global) name/values."""
        data_iter = iter(train_data)
        try:
            next_batch = next(data_iter)
        except StopIteration:
            raise ValueError("fit: train_data yielded no batch in epoch %d (was it reset?)" % epoch) from None
        nbatch = 0
        end_of_batch = False
        eval_name_vals = []
        while not end_of_batch:
            data_batch = next_batch
            if monitor is not None:
                monitor.tic()
            self.forward_backward(data_batch)
            self.update()
            self.update_metric(eval_metric, data_batch.label)
            # fetch the next batch before the callbacks so they know whether this is the last
            try:
                next_batch = next(data_iter)
                self.prepare(next_batch, sparse_row_id_fn=sparse_row_id_fn)
            except StopIteration:
                end_of_batch = True
            if monitor is not None:
                monitor.toc_print()
            if end_of_batch:
                eval_name_vals = eval_metric.get_global_name_value()
            if batch_end_callback is not None:
                _call_all(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
            nbatch += 1
        return eval_name_vals

    def _check_fit_labels(self, train_data):
        """Training a symbol that takes labels needs a DataIter that provides them."""
        if self._symbol is None:
            return
        args = set(self._symbol.list_arguments())
        needed = [n for n in getattr(self, "label_names", []) if n in args]
        given = [d[0] for d in (train_data.provide_label or [])]
        missing = [n for n in needed if n not in given]
        if missing:
            raise ValueError("fit: the symbol takes label input(s) %s but train_data provides labels %s; "
                             "create the DataIter with labels (e.g. NDArrayIter(X, y, ...)) named %s"
                             % (missing, given, missing))

    # ---- parameter files -------------------------------------------------------------
    def save_params(self, fname):
        """Write the parameters to ``fname`` (keys ``arg:<name>`` / ``aux:<name>``)."""
        arg_params, aux_params = self.get_params()
        save_params_file(fname, arg_params, aux_params)

    def load_params(self, fname):
        """Read ``fname`` (written by save_params / save_checkpoint) into the module."""
        self.set_params(*load_params_file(fname))

    # ---- hooks with defaults ---------------------------------------------------------
    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Prepare for processing ``data_batch`` (nothing to do without a kvstore)."""
        if not self.binded:
            raise MXNetError("prepare: the module is not bound; call bind() first")

    def install_monitor(self, mon):
        """Report the executor's intermediate values to ``mon`` (an mx.monitor.Monitor)."""
        if not self.binded:
            raise MXNetError("install_monitor: the module is not bound; call bind() first")
        for ex in getattr(self, "_execs", None) or [self._exec]:
            mon.install(ex)

    def get_states(self, merge_multi_context=True):
        """The values of the state inputs (``state_names``)."""
        return []

    def set_states(self, states=None, value=None):
        """Set the state inputs from ``states`` (arrays) or a scalar ``value``."""

    @property
    def symbol(self):
        """The Symbol this module computes."""
        return self._symbol

    # ---- abstract API ----------------------------------------------------------------
    @property
    def data_names(self):
        """Names of the data inputs."""
        raise NotImplementedError()

    @property
    def output_names(self):
        """Names of the outputs."""
        raise NotImplementedError()

    @property
    def data_shapes(self):
        """DataDesc of each data input (after bind)."""
        raise NotImplementedError()

    @property
    def label_shapes(self):
        """DataDesc of each label input (after bind; None when bound without labels)."""
        raise NotImplementedError()

    @property
    def output_shapes(self):
        """``(name, shape)`` of each output (after bind)."""
        raise NotImplementedError()

    def get_params(self):
        """``(arg_params, aux_params)``: dicts of name -> NDArray."""
        raise NotImplementedError()

    def init_params(self, initializer=_DEFAULT_INIT, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialize parameters and auxiliary states."""
        raise NotImplementedError()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        """Assign parameter and auxiliary state values."""
        raise NotImplementedError()

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Allocate the executors for the given input shapes."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Create the optimizer and its updater."""
        raise NotImplementedError()

    def forward(self, data_batch, is_train=None):
        """Run the computation on ``data_batch``."""
        raise NotImplementedError()

    def backward(self, out_grads=None):
        """Back-propagate from the outputs of the last forward."""
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward."""
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (needs ``inputs_need_grad``)."""
        raise NotImplementedError()

    def update(self):
        """Apply one optimizer step to the parameters."""
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Accumulate ``eval_metric`` over the last outputs and ``labels``."""
        raise NotImplementedError()
