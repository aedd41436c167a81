"""MXNet 1.x's ``mx.mod.BucketingModule``: one Module per bucket key (e.g. a
sequence length), all sharing the default bucket's parameters and optimizer.

``sym_gen(bucket_key)`` returns ``(symbol, data_names, label_names)``; every
bucket's symbol must use the same parameters. Batches carry ``bucket_key`` (and
their ``provide_data``/``provide_label``); the module for a new key is bound on
first use, sharing the default bucket's arrays.
"""
from __future__ import annotations

import logging

from .. import ndarray as nd
from ..base import MXNetError
from ..context import cpu
from ..model import load_params_file
from .base_module import BaseModule
from .module import Module


class BucketingModule(BaseModule):
    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=None, work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise ValueError("BucketingModule: default_bucket_key is required")
        self._sym_gen = sym_gen
        self._default_bucket_key = default_bucket_key
        self._context = context if context is not None else cpu()
        self._fixed_param_names = fixed_param_names
        self._state_names = state_names
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._bind_args = None
        self._symbol = None  # BaseModule's; the current bucket's symbol is `symbol`
        self._loaded_params = None  # (arg, aux) from load(), applied by bind()

    def _new_module(self, key):
        symbol, data_names, label_names = self._sym_gen(key)
        return Module(symbol, data_names, label_names, logger=self.logger, context=self._context,
                      fixed_param_names=self._fixed_param_names, state_names=self._state_names)

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    # ---- what the current bucket's module has ------------------------------------------
    @property
    def data_names(self):
        return self._curr_module.data_names if self.binded else self._sym_gen(self._default_bucket_key)[1]

    @property
    def output_names(self):
        mod = self._curr_module if self.binded else self._new_module(self._default_bucket_key)
        return mod.output_names

    @property
    def data_shapes(self):
        self._require_ready("data_shapes")
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        self._require_ready("label_shapes")
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        self._require_ready("output_shapes")
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        self._require_ready("symbol")
        return self._curr_module.symbol

    def _require_ready(self, what):
        if not self.binded:
            raise RuntimeError("BucketingModule.%s: call bind() first" % what)

    # ---- binding and buckets -------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind the default bucket's module (the one whose parameters all buckets share).
        Parameters already initialized (or loaded by ``load``) are kept, as in MXNet."""
        saved = self._params_to_keep()
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if shared_module is not None:
            raise ValueError("BucketingModule.bind: shared_module is not supported (buckets share among themselves)")
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self._bind_args = dict(for_training=for_training, inputs_need_grad=inputs_need_grad, grad_req=grad_req)
        mod = self._new_module(self._default_bucket_key)
        mod.bind(data_shapes, label_shapes, **self._bind_args)
        self._buckets = {self._default_bucket_key: mod}
        self._curr_module, self._curr_bucket_key = mod, self._default_bucket_key
        self.binded = True
        self.params_initialized = mod.params_initialized
        if saved is not None:
            self.set_params(*saved)

    def _params_to_keep(self):
        if self.binded and self.params_initialized:
            return self.get_params()
        return self._loaded_params

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key``'s module current, binding it (sharing the default bucket's
        parameters and optimizer) the first time."""
        self._require_ready("switch_bucket")
        if bucket_key not in self._buckets:
            default = self._buckets[self._default_bucket_key]
            if not default.params_initialized:
                raise RuntimeError("BucketingModule: initialize the parameters (init_params) before using "
                                   "bucket %r" % (bucket_key,))
            mod = self._new_module(bucket_key)
            mod.bind(data_shapes, label_shapes, shared_module=default, **self._bind_args)
            self._buckets[bucket_key] = mod
        self._curr_module, self._curr_bucket_key = self._buckets[bucket_key], bucket_key

    # ---- parameters and optimizer ----------------------------------------------------------
    def init_params(self, initializer=None, arg_params=None, aux_params=None, allow_missing=False,
                    force_init=False, allow_extra=False):
        self._require_ready("init_params")
        kw = dict(arg_params=arg_params, aux_params=aux_params, allow_missing=allow_missing, force_init=force_init,
                  allow_extra=allow_extra)
        if initializer is not None:
            kw["initializer"] = initializer
        self._buckets[self._default_bucket_key].init_params(**kw)
        self.params_initialized = True

    def get_params(self):
        """The shared parameters (every bucket's executor holds the same arrays)."""
        self._require_ready("get_params")
        mod = self._curr_module
        mod._params_dirty = True  # another bucket may have updated the shared arrays
        return mod.get_params()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        self._require_ready("set_params")
        self._buckets[self._default_bucket_key].set_params(arg_params, aux_params, allow_missing=allow_missing,
                                                           force_init=force_init, allow_extra=allow_extra)
        self.params_initialized = True

    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        self._require_ready("init_optimizer")
        default = self._buckets[self._default_bucket_key]
        default.init_optimizer(kvstore, optimizer, optimizer_params, force_init=force_init)
        for mod in self._buckets.values():
            if mod is not default:
                mod.borrow_optimizer(default)
        self.optimizer_initialized = True

    # ---- computation: the current bucket ----------------------------------------------------
    def prepare(self, data_batch, sparse_row_id_fn=None):
        key = getattr(data_batch, "bucket_key", None)
        if key is not None:
            self.switch_bucket(key, data_batch.provide_data, data_batch.provide_label)

    def forward(self, data_batch, is_train=None):
        self._require_ready("forward")
        key = getattr(data_batch, "bucket_key", None)
        self.switch_bucket(self._default_bucket_key if key is None else key,
                           data_batch.provide_data, data_batch.provide_label)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        self._curr_module.backward(out_grads)

    def update(self):
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        return self._curr_module.get_outputs(merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        return self._curr_module.get_input_grads(merge_multi_context)

    def get_states(self, merge_multi_context=True):
        return self._curr_module.get_states(merge_multi_context)

    def set_states(self, states=None, value=None):
        self._curr_module.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """MXNet's layout: the shared parameters in ``prefix-%04d.params``, each bound
        bucket's symbol in ``prefix-<key>-symbol.json`` and the keys (int32) in
        ``prefix.buckets``; ``BucketingModule.load`` reads them back."""
        if not self._buckets:
            raise MXNetError("BucketingModule.save_checkpoint: the module has no bucket yet (call bind() first)")
        self.save_params("%s-%04d.params" % (prefix, epoch))
        for key in self._buckets:
            self._sym_gen(key)[0].save("%s-%s-symbol.json" % (prefix, key), remove_amp_cast=remove_amp_cast)
        nd.save("%s.buckets" % prefix, nd.array(list(self._buckets), dtype="int32"))

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule for a checkpoint ``save_checkpoint`` wrote; ``kwargs`` go to
        the constructor. The parameters are applied when the module is bound."""
        if sym_gen is None or default_bucket_key is None:
            raise ValueError("BucketingModule.load: sym_gen and default_bucket_key are required")
        keys = [int(k) for k in nd.load("%s.buckets" % prefix)[0].asnumpy()]
        if default_bucket_key not in keys:
            raise MXNetError("BucketingModule.load: %s.buckets has no bucket %r (it has %s)"
                             % (prefix, default_bucket_key, keys))
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        mod._loaded_params = load_params_file("%s-%04d.params" % (prefix, epoch))
        mod.params_initialized = True
        return mod
