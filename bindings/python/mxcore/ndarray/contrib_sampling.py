"""nd.contrib.rand_zipfian / sym.contrib.rand_zipfian: candidate sampling from the
log-uniform (Zipfian) distribution P(k) = log((k + 2) / (k + 1)) / log(range_max + 1),
as MXNet 1.x's Python helpers (sampled softmax / NCE; example/rnn/large_word_lm)."""
from __future__ import annotations

import math


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """(sampled classes int64 (num_sampled,), expected count of each true class,
    expected count of each sampled class), the counts float64."""
    from . import random
    from .ndarray import current_context
    ctx = ctx if ctx is not None else current_context()
    return _zipfian(random.uniform, true_classes.as_in_context(ctx), num_sampled, range_max, ctx=ctx)


def sym_rand_zipfian(true_classes, num_sampled, range_max):
    """The symbolic form: three Symbols, the same draws and expected counts."""
    from ..symbol import Symbol, random
    if not isinstance(true_classes, Symbol):
        raise TypeError("sym.contrib.rand_zipfian: true_classes must be a Symbol, got %s" % type(true_classes).__name__)
    return _zipfian(random.uniform, true_classes, num_sampled, range_max)


def _zipfian(uniform, true_classes, num_sampled, range_max, **where):
    log_range = math.log(range_max + 1)
    # exp(U(0, log(range_max + 1))) - 1 is log-uniform over [0, range_max)
    u = uniform(0, log_range, shape=(num_sampled,), dtype='float64', **where)
    sampled = (u.exp() - 1).astype('int64') % range_max

    def expected(classes):
        k = classes.astype('float64')
        return ((k + 2.0) / (k + 1.0)).log() / log_range * num_sampled
    return sampled, expected(true_classes), expected(sampled)
