"""Modules written in Python (MXNet 1.x ``mx.mod.PythonModule``/``PythonLossModule``).

A ``PythonModule`` has no parameters and no optimizer; a subclass computes its outputs
(and input gradients) in Python. ``PythonLossModule`` is the usual one: the last stage
of a :class:`SequentialModule` whose forward passes the scores through and whose
backward returns ``grad_func(scores, labels)`` as the scores' gradient
(example/module/python_loss.py)."""

from __future__ import annotations

import logging

from .. import ndarray as nd
from ..base import MXNetError
from .base_module import BaseModule, _parse_data_desc

__all__ = ["PythonModule", "PythonLossModule"]


class PythonModule(BaseModule):
    """A parameter-free module computed in Python. Subclasses implement ``forward``,
    ``backward``, ``get_outputs``, ``get_input_grads`` and ``_compute_output_shapes``."""

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super().__init__(logger=logger)
        self._data_names = list(data_names)
        self._label_names = list(label_names) if label_names is not None else []
        self._output_names = list(output_names)
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        return self._data_shapes

    @property
    def label_shapes(self):
        return self._label_shapes

    @property
    def output_shapes(self):
        return self._output_shapes

    def get_params(self):
        return {}, {}

    def init_params(
        self,
        initializer=None,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        """Nothing to initialize."""
        self.params_initialized = True

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        self.params_initialized = True

    def update(self):
        """No parameters: nothing to update."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """The outputs are taken as predictions; a module bound without labels has none."""
        if self._label_shapes is None:
            return
        if pre_sliced:
            raise RuntimeError("PythonModule does not support presliced labels")
        eval_metric.update(labels, self.get_outputs())

    def bind(
        self,
        data_shapes,
        label_shapes=None,
        for_training=True,
        inputs_need_grad=False,
        force_rebind=False,
        shared_module=None,
        grad_req="write",
    ):
        if self._already_bound(force_rebind):
            return
        if grad_req != "write":
            raise MXNetError("%s.bind: only grad_req='write' is supported, got %r" % (type(self).__name__, grad_req))
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes
        )
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def init_optimizer(
        self, kvstore="local", optimizer="sgd", optimizer_params=(("learning_rate", 0.01),), force_init=False
    ):
        """No parameters: no optimizer."""
        self.optimizer_initialized = True

    def _compute_output_shapes(self):
        """``[(output_name, shape), ...]`` from the bound ``data_shapes``/``label_shapes``."""
        raise NotImplementedError()


class PythonLossModule(PythonModule):
    """A loss as the last stage of a SequentialModule: forward passes its one input (the
    scores) through as ``<name>_output``; backward sets the scores' gradient to
    ``grad_func(scores, labels)`` (an NDArray or anything ``nd.array`` takes)."""

    def __init__(
        self, name="pyloss", data_names=("data",), label_names=("softmax_label",), logger=logging, grad_func=None
    ):
        super().__init__(data_names, label_names, [name + "_output"], logger=logger)
        if len(self._data_names) != 1 or len(self._label_names) != 1:
            raise ValueError(
                "PythonLossModule takes one data input and one label, got data_names=%s, "
                "label_names=%s" % (self._data_names, self._label_names)
            )
        self._name = name
        self._scores = None
        self._labels = None
        self._scores_grad = None
        if grad_func is not None and not callable(grad_func):
            raise TypeError("PythonLossModule: grad_func must be callable, got %r" % (grad_func,))
        self._grad_func = grad_func

    def _compute_output_shapes(self):
        return [(self._name + "_output", tuple(self._data_shapes[0].shape))]

    def forward(self, data_batch, is_train=None):
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        if not merge_multi_context:
            raise MXNetError("PythonLossModule.get_outputs: only merge_multi_context=True is supported")
        return [self._scores]

    def backward(self, out_grads=None):
        if out_grads is not None:
            raise MXNetError("PythonLossModule.backward: a loss module takes no out_grads")
        if not self.for_training:
            raise MXNetError("PythonLossModule.backward: the module was bound with for_training=False")
        self._backward_impl()

    def _backward_impl(self):
        """The scores' gradient from ``grad_func``; a subclass without one overrides this."""
        if self._grad_func is None:
            raise NotImplementedError("PythonLossModule: give grad_func or override _backward_impl")
        grad = self._grad_func(self._scores, self._labels)
        self._scores_grad = grad if isinstance(grad, nd.NDArray) else nd.array(grad)

    def get_input_grads(self, merge_multi_context=True):
        if not merge_multi_context:
            raise MXNetError("PythonLossModule.get_input_grads: only merge_multi_context=True is supported")
        return [self._scores_grad]

    def install_monitor(self, mon):
        raise NotImplementedError("PythonLossModule has no executors to monitor")
