"""``SequentialModule`` (MXNet 1.x ``mx.mod.SequentialModule``): modules chained so each
one's outputs are the next one's data (example/module/sequential_module.py).

``add(module, take_labels=True)`` gives a module the batch's labels (its update_metric
is the chain's); ``auto_wiring=True`` renames the previous module's outputs to this
module's data names. Forward runs the chain; backward runs it in reverse, feeding each
module's input gradients to the one before (so every module after the first is bound
with ``inputs_need_grad`` when training)."""

from __future__ import annotations

import copy
import logging

from ..base import MXNetError
from ..io import DataDesc
from .base_module import _DEFAULT_INIT, BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append ``module``; meta keywords ``take_labels``/``auto_wiring``. Returns self."""
        unknown = set(kwargs) - self._meta_keys
        if unknown:
            raise ValueError(
                "SequentialModule.add: unknown meta %s (known: %s)" % (sorted(unknown), sorted(self._meta_keys))
            )
        self._modules.append(module)
        self._metas.append(kwargs)
        # a new module invalidates what was bound/initialized
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    def _require_modules(self, what):
        if not self._modules:
            raise MXNetError("SequentialModule.%s: no module added yet (add())" % what)

    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        self._require_bound("data_shapes")
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        self._require_bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require_bound("output_shapes")
        return self._modules[-1].output_shapes

    def _require_bound(self, what):
        if not self.binded:
            raise MXNetError("SequentialModule.%s: the module is not bound; call bind() first" % what)

    def get_params(self):
        if not self.params_initialized:
            raise MXNetError("SequentialModule.get_params: parameters are not initialized (init_params())")
        arg_params, aux_params = {}, {}
        for module in self._modules:
            a, x = module.get_params()
            arg_params.update(a)
            aux_params.update(x)
        return arg_params, aux_params

    def init_params(
        self,
        initializer=_DEFAULT_INIT,
        arg_params=None,
        aux_params=None,
        allow_missing=False,
        force_init=False,
        allow_extra=False,
    ):
        if self.params_initialized and not force_init:
            return
        self._require_bound("init_params")
        for module in self._modules:
            module.init_params(
                initializer=initializer,
                arg_params=arg_params,
                aux_params=aux_params,
                allow_missing=allow_missing,
                force_init=force_init,
                allow_extra=allow_extra,
            )
        # one name in two modules would make get_params()/checkpoints ambiguous
        seen = {}
        for i, module in enumerate(self._modules):
            a, x = module.get_params()
            for name in list(a) + list(x):
                if name in seen:
                    raise MXNetError(
                        "SequentialModule: parameter '%s' is in module %d (%s) and module %d (%s); "
                        "give the layers distinct names"
                        % (name, seen[name], type(self._modules[seen[name]]).__name__, i, type(module).__name__)
                    )
                seen[name] = i
        self.params_initialized = True

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        self.init_params(
            initializer=None,
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
            allow_extra=allow_extra,
        )

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
        if inputs_need_grad and not for_training:
            raise MXNetError("SequentialModule.bind: inputs_need_grad needs for_training=True")
        if shared_module is not None:
            raise MXNetError("SequentialModule.bind: shared_module is not supported")
        self._require_modules("bind")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes
        my_data_shapes = data_shapes
        any_labels = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            take_labels = bool(meta.get(self.META_TAKE_LABELS, False))
            any_labels = any_labels or take_labels
            if meta.get(self.META_AUTO_WIRING, False):
                names = module.data_names
                if len(names) != len(my_data_shapes):
                    raise MXNetError(
                        "SequentialModule.bind: module %d takes %d inputs %s, the previous module has "
                        "%d outputs" % (i, len(names), names, len(my_data_shapes))
                    )
                my_data_shapes = [(name, _shape_of(d)) for name, d in zip(names, my_data_shapes)]
            module.bind(
                data_shapes=my_data_shapes,
                label_shapes=label_shapes if take_labels else None,
                for_training=for_training,
                inputs_need_grad=bool(inputs_need_grad or (for_training and i > 0)),
                force_rebind=force_rebind,
                shared_module=None,
                grad_req=grad_req,
            )
            my_data_shapes = module.output_shapes
        if not any_labels:
            self._label_shapes = None  # nobody takes the labels
        self.binded = True

    def init_optimizer(
        self, kvstore="local", optimizer="sgd", optimizer_params=(("learning_rate", 0.01),), force_init=False
    ):
        if not (self.binded and self.params_initialized):
            raise MXNetError("SequentialModule.init_optimizer: bind() and init_params() first")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(
                kvstore=kvstore, optimizer=optimizer, optimizer_params=optimizer_params, force_init=force_init
            )
        self.optimizer_initialized = True

    def forward(self, data_batch, is_train=None):
        self._require_ready("forward")
        batch = copy.copy(data_batch)
        for i, module in enumerate(self._modules):
            module.forward(batch, is_train=is_train)
            if i == len(self._modules) - 1:
                break
            batch.data = module.get_outputs()
            if getattr(batch, "provide_data", None) is not None:
                # the next module's inputs carry this module's output names and shapes
                batch.provide_data = [
                    DataDesc(name, out.shape) for (name, _), out in zip(module.output_shapes, batch.data)
                ]

    def backward(self, out_grads=None):
        if not self.for_training:
            raise MXNetError("SequentialModule.backward: the module was bound with for_training=False")
        for i in range(len(self._modules) - 1, -1, -1):
            self._modules[i].backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = self._modules[i].get_input_grads()

    def update(self):
        if not self.optimizer_initialized:
            raise MXNetError("SequentialModule.update: init_optimizer() first")
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require_ready("get_outputs")
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require_ready("get_input_grads")
        if not self.inputs_need_grad:
            raise MXNetError("SequentialModule.get_input_grads: bind with inputs_need_grad=True")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require_ready("update_metric")
        for module, meta in zip(self._modules, self._metas):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._require_bound("install_monitor")
        for module in self._modules:
            module.install_monitor(mon)


def _shape_of(desc):
    return desc.shape if isinstance(desc, DataDesc) else tuple(desc[1])
