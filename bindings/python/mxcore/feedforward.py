"""``mx.model.FeedForward``: MXNet 1.x's deprecated model API (kept by old
tutorials and scripts), here a thin layer over ``mx.mod.Module``.

Numpy or NDArray data become an ``NDArrayIter`` of ``numpy_batch_size``
(shuffled, rolled over for training; padded for prediction); optimizer
settings come as keyword arguments (``learning_rate=0.1``), as in MXNet."""
from __future__ import annotations

import logging
import warnings

import numpy as np

from . import initializer as init
from . import io
from .model import load_checkpoint, save_checkpoint
from .ndarray import NDArray

__all__ = ["FeedForward"]


def _as_iter(X, y, batch_size, is_train):
    if isinstance(X, io.DataIter):
        return X
    if isinstance(X, (np.ndarray, NDArray)):
        n = X.shape[0]
        if y is None and is_train:
            raise ValueError("FeedForward: y must be specified when X is an array")
        if y is not None and (not isinstance(y, (np.ndarray, NDArray)) or y.shape[0] != n):
            raise ValueError("FeedForward: y must be an array with one label per row of X (%d)" % n)
        return io.NDArrayIter(X, y, min(n, batch_size), shuffle=is_train,
                              last_batch_handle="roll_over" if is_train else "pad")
    raise TypeError("FeedForward: X must be a DataIter, numpy array or NDArray, got %s" % type(X).__name__)


class FeedForward:
    """A symbol plus its parameters, trained with ``fit`` and used with ``predict``/``score``."""

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
                 initializer=init.Uniform(0.01), numpy_batch_size=128, arg_params=None, aux_params=None,
                 allow_extra_params=False, begin_epoch=0, **kwargs):
        warnings.warn("mxnet.model.FeedForward has been deprecated. Please use mxnet.mod.Module instead.",
                      DeprecationWarning, stacklevel=2)
        self.symbol = symbol
        self.ctx = ctx
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.optimizer = optimizer
        self.initializer = initializer
        self.numpy_batch_size = numpy_batch_size
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        self.begin_epoch = begin_epoch
        self.kwargs = dict(kwargs)
        self._pred_mod = None

    def _module(self, data):
        from .module import Module
        labels = [d.name for d in (data.provide_label or [])]
        names = [d.name for d in data.provide_data]
        return Module(self.symbol, data_names=names, label_names=labels, context=self.ctx or _cpu())

    def fit(self, X, y=None, eval_data=None, eval_metric="acc", epoch_end_callback=None, batch_end_callback=None,
            kvstore="local", logger=None, work_load_list=None, monitor=None, eval_end_callback=None,
            eval_batch_end_callback=None):
        """Train for ``num_epoch`` epochs from ``begin_epoch``; the parameters end up in
        ``arg_params``/``aux_params``."""
        data = _as_iter(X, y, self.numpy_batch_size, True)
        data.reset()  # as MXNet's FeedForward does before its first epoch (a shuffled iterator reshuffles)
        if isinstance(eval_data, tuple):
            eval_data = _as_iter(eval_data[0], eval_data[1], self.numpy_batch_size, False)
        mod = self._module(data)
        if logger is not None:
            mod.logger = logger
        mod.fit(data, eval_data=eval_data, eval_metric=eval_metric, epoch_end_callback=epoch_end_callback,
                batch_end_callback=batch_end_callback, kvstore=kvstore, optimizer=self.optimizer,
                optimizer_params=self.kwargs, eval_end_callback=eval_end_callback,
                eval_batch_end_callback=eval_batch_end_callback, initializer=self.initializer,
                arg_params=self.arg_params, aux_params=self.aux_params, allow_missing=True,
                begin_epoch=self.begin_epoch, num_epoch=self.num_epoch, monitor=monitor)
        self.arg_params, self.aux_params = mod.get_params()
        self._pred_mod = None

    def _predictor(self, data):
        shapes = tuple((d.name, tuple(d.shape)) for d in data.provide_data)
        if self._pred_mod is None or self._pred_mod[0] != shapes:
            from .module import Module
            if self.arg_params is None:
                raise ValueError("FeedForward: no parameters; call fit() or load() first")
            names = [n for n, _ in shapes]
            # arguments that are neither data nor parameters (softmax_label): unbound labels
            labels = [a for a in self.symbol.list_arguments() if a not in self.arg_params and a not in names]
            mod = Module(self.symbol, data_names=names, label_names=labels, context=self.ctx or _cpu())
            mod.bind(data_shapes=list(shapes), for_training=False)
            mod.set_params(self.arg_params, self.aux_params or {}, allow_missing=False,
                           allow_extra=True)
            self._pred_mod = (shapes, mod)
        return self._pred_mod[1]

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """The outputs as numpy arrays (one array, or a list for several outputs), padded
        samples dropped; with return_data also the data and labels."""
        data = _as_iter(X, None, self.numpy_batch_size, False)
        if reset:
            data.reset()
        mod = self._predictor(data)
        outs, datas, labels = None, [], []
        for i, batch in enumerate(data):
            if num_batch is not None and i >= num_batch:
                break
            mod.forward(batch, is_train=False)
            keep = batch.data[0].shape[0] - (batch.pad or 0)
            got = [o[:keep].asnumpy() for o in mod.get_outputs()]
            outs = [[g] for g in got] if outs is None else [acc + [g] for acc, g in zip(outs, got)]
            if return_data:
                datas.append(batch.data[0][:keep].asnumpy())
                if batch.label:
                    labels.append(batch.label[0][:keep].asnumpy())
        outs = [np.concatenate(o) for o in (outs or [])]
        result = outs[0] if len(outs) == 1 else outs
        if return_data:
            return result, np.concatenate(datas), (np.concatenate(labels) if labels else None)
        return result

    def score(self, X, eval_metric="acc", num_batch=None, batch_end_callback=None, reset=True):
        """The value of ``eval_metric`` (a name or an EvalMetric) over ``X``."""
        from . import metric
        data = _as_iter(X, None, self.numpy_batch_size, False)
        if reset:
            data.reset()
        mod = self._predictor(data)
        em = metric.create(eval_metric) if not isinstance(eval_metric, metric.EvalMetric) else eval_metric
        em.reset()
        for i, batch in enumerate(data):
            if num_batch is not None and i >= num_batch:
                break
            mod.forward(batch, is_train=False)
            em.update(batch.label, mod.get_outputs())
            if batch_end_callback is not None:
                batch_end_callback(i)
        return em.get()[1]

    def save(self, prefix, epoch=None):
        """prefix-symbol.json and prefix-%04d.params (epoch: num_epoch by default)."""
        epoch = self.num_epoch if epoch is None else epoch
        if epoch is None:
            raise ValueError("FeedForward.save: give an epoch (num_epoch is not set)")
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params or {})
        logging.info('Saved checkpoint to "%s-%04d.params"', prefix, epoch)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from a checkpoint (training would continue at ``epoch``)."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params, begin_epoch=epoch,
                           **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
               initializer=init.Uniform(0.01), eval_data=None, eval_metric="acc", epoch_end_callback=None,
               batch_end_callback=None, kvstore="local", logger=None, work_load_list=None, eval_end_callback=None,
               eval_batch_end_callback=None, **kwargs):
        """Make a FeedForward and fit it."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size, optimizer=optimizer,
                            initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric, epoch_end_callback=epoch_end_callback,
                  batch_end_callback=batch_end_callback, kvstore=kvstore, logger=logger,
                  work_load_list=work_load_list, eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model


def _cpu():
    from .context import cpu
    return cpu()
