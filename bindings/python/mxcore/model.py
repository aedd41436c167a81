"""Checkpoint files of the MXNet 1.x symbolic API (``mx.model``).

A checkpoint is ``prefix-symbol.json`` (the graph) plus ``prefix-%04d.params``
(the parameters, keys ``arg:<name>`` and ``aux:<name>``): the same pair that
``HybridBlock.export`` writes and MXNet 1.x's ``mx.model.save_checkpoint``,
``Module.save_checkpoint`` and model-zoo downloads use."""
from __future__ import annotations

from .base import MXNetError
from .callback import BatchEndParam  # noqa: F401  (MXNet 1.x has it in mx.model)

import logging

__all__ = ["save_checkpoint", "load_checkpoint", "load_params", "save_params_file", "load_params_file",
           "BatchEndParam"]


def _params_file(prefix, epoch):
    return '%s-%04d.params' % (prefix, int(epoch))


def save_params_file(fname, arg_params, aux_params):
    """Write parameters to ``fname`` with MXNet's ``arg:<name>`` / ``aux:<name>`` keys (CPU copies)."""
    from . import ndarray as nd
    save = {('arg:%s' % k): v.as_in_context(_cpu()) for k, v in (arg_params or {}).items()}
    save.update({('aux:%s' % k): v.as_in_context(_cpu()) for k, v in (aux_params or {}).items()})
    nd.save(fname, save)


def load_params_file(fname):
    """``(arg_params, aux_params)`` from a file with ``arg:``/``aux:`` keys. A key without
    them (a file Gluon's ``save_parameters`` wrote) is an error that names the file:
    such files belong to ``Block.load_parameters``."""
    from . import ndarray as nd
    loaded = nd.load(fname)
    if not isinstance(loaded, dict):
        raise MXNetError("load_params: %s holds a list of arrays, not named parameters "
                         "(arg:<name> / aux:<name>)" % fname)
    arg_params, aux_params = {}, {}
    for k, v in loaded.items():
        kind, _, name = k.partition(':')
        if kind == 'arg' and name:
            arg_params[name] = v
        elif kind == 'aux' and name:
            aux_params[name] = v
        else:
            raise MXNetError("load_params: %s has key '%s'; checkpoint keys are arg:<name> or aux:<name> "
                             "(a Gluon save_parameters file loads with Block.load_parameters)" % (fname, k))
    return arg_params, aux_params


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (when ``symbol`` is given) and ``prefix-%04d.params``."""
    if symbol is not None:
        symbol.save('%s-symbol.json' % prefix, remove_amp_cast=remove_amp_cast)
    fname = _params_file(prefix, epoch)
    save_params_file(fname, arg_params, aux_params)
    logging.info('Saved checkpoint to "%s"', fname)


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` from ``prefix-%04d.params`` (see load_params_file)."""
    return load_params_file(_params_file(prefix, epoch))


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` from ``prefix-symbol.json`` and ``prefix-%04d.params``."""
    from . import symbol as sym
    symbol = sym.load('%s-symbol.json' % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


def _cpu():
    from .context import cpu
    return cpu()


def __getattr__(name):
    # mx.model.FeedForward lives in feedforward.py (it imports mx.mod, which imports this module)
    if name == "FeedForward":
        from .feedforward import FeedForward
        return FeedForward
    raise AttributeError("module 'mxcore.model' has no attribute %r" % name)
