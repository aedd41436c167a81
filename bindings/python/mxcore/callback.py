"""Training callbacks of the MXNet 1.x symbolic API (``mx.callback``).

``BaseModule.fit`` calls a batch-end callback with a :data:`BatchEndParam` after every
batch, and an epoch-end callback as ``callback(epoch, symbol, arg_params, aux_params)``
after every epoch. Everything here reports through the ``logging`` module (the root
logger, as MXNet does)."""
from __future__ import annotations

import logging
import math
import time
from collections import namedtuple

__all__ = ["BatchEndParam", "LogValidationMetricsCallback", "ProgressBar", "Speedometer",
           "do_checkpoint", "log_train_metric", "module_checkpoint"]

#: What a batch-end callback receives: the epoch, the batch number within it, the
#: metric being accumulated and the caller's ``locals()``.
BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def _every(period):
    return int(max(1, period))


def do_checkpoint(prefix, period=1):
    """Epoch-end callback that writes ``prefix-symbol.json`` and ``prefix-%04d.params``
    (numbered ``epoch + 1``) every ``period`` epochs."""
    from .model import save_checkpoint
    period = _every(period)

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)  # logs the file it wrote
    return _callback


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """Epoch-end callback that calls ``mod.save_checkpoint`` every ``period`` epochs."""
    period = _every(period)

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def log_train_metric(period, auto_reset=False):
    """Batch-end callback logging ``Iter[epoch] Batch[n] Train-<name>=<value>`` every
    ``period`` batches; ``auto_reset`` restarts the metric's local statistics after each log."""
    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info('Iter[%d] Batch[%d] Train-%s=%f', param.epoch, param.nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """Batch-end callback that logs the throughput (samples/sec) and the metric every
    ``frequent`` batches.

    With ``auto_reset`` the metric's local statistics restart after each log, so each line
    shows the metric over the last ``frequent`` batches (``Batch [a-b]``); otherwise the
    metric since the start of the epoch (``Batch [0-b]``)."""

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.init = False
        self.tic = 0.0
        self.last_count = 0

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:  # batch numbers restarted: a new epoch
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float('inf')
        if param.eval_metric is None:
            logging.info('Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec', param.epoch, count, speed)
        else:
            name_value = param.eval_metric.get_name_value()
            flat = [x for pair in name_value for x in pair]
            fmt = '\t%s=%f' * len(name_value)
            if self.auto_reset:
                param.eval_metric.reset_local()
                logging.info('Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec' + fmt,
                             param.epoch, count - self.frequent, count, speed, *flat)
            else:
                logging.info('Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec' + fmt,
                             param.epoch, count, speed, *flat)
        self.tic = time.time()


class ProgressBar:
    """Batch-end callback that logs a text progress bar of ``length`` characters for an
    epoch of ``total`` batches."""

    def __init__(self, total, length=80):
        self.total = total
        self.bar_len = length

    def __call__(self, param):
        frac = param.nbatch / float(self.total)
        filled = round(self.bar_len * frac)
        bar = '=' * filled + '-' * (self.bar_len - filled)
        logging.info('[%s] %s%s\r', bar, math.ceil(100.0 * frac), '%')


class LogValidationMetricsCallback:
    """Score-end callback that logs ``Epoch[n] Validation-<name>=<value>``."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Epoch[%d] Validation-%s=%f', param.epoch, name, value)
