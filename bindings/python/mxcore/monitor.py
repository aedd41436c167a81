"""``mx.monitor`` / ``mx.mon`` (MXNet 1.x): statistics of a symbolic executor's
intermediate values while it trains.

``Monitor.install(executor)`` asks the executor to report, after every forward,
the outputs of each op node (and with ``monitor_all`` each node's inputs as
``<node>_<input>``); ``tic()`` before a batch starts collecting every
``interval`` batches and ``toc()`` returns ``(batch, name, statistic)`` rows,
adding the arguments and auxiliary states whose names match ``pattern``.
Not reported (MXNet also gives them): the outputs of the backward nodes.
"""
from __future__ import annotations

import logging
import re
from math import sqrt

from . import ndarray

__all__ = ["Monitor"]


def _norm_stat(x):
    """|x| / sqrt(size(x)): MXNet's default statistic."""
    return ndarray.norm(x) / sqrt(x.size)


class Monitor:
    """Collects ``stat_func`` of the tensors whose names match ``pattern`` every
    ``interval`` batches (``sort``: by name)."""

    def __init__(self, interval, stat_func=None, pattern='.*', sort=False, monitor_all=False):
        self.stat_func = stat_func or _norm_stat
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

        def stat_helper(name, array):
            if self.activated and self.re_prog.match(name):
                self.queue.append((self.step, name, self.stat_func(array)))
        self.stat_helper = stat_helper

    def install(self, exe):
        """Report ``exe``'s intermediate values to this monitor (several executors may
        share one)."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start collecting for this batch (every ``interval`` batches); call before forward."""
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """Stop collecting; the rows ``(batch, name, value string)`` of this batch,
        arguments and auxiliary states included."""
        if not self.activated:
            return []
        for exe in self.exes:
            for name, array in zip(exe._symbol.list_arguments(), exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
            for name, array in zip(exe._symbol.list_auxiliary_states(), exe.aux_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda x: x[1])
        res = []
        for n, k, values in self.queue:
            values = values if isinstance(values, list) else [values]
            text = ''.join((str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + '\t' for v in values)
            res.append((n, k, text))
        self.queue = []
        return res

    def toc_print(self):
        """toc(), logged one row per line."""
        for n, k, v in self.toc():
            logging.info('Batch: {:7d} {:30s} {:s}'.format(n, k, v))
