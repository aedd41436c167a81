"""``mx.contrib.autograd``: MXNet's first (0.x) autograd interface, kept in 1.x for
old programs. A thin layer over ``mx.autograd``: ``train_section()`` is recording
in training mode, ``grad(func)`` / ``grad_and_loss(func)`` wrap a loss function so
that calling it returns the gradients of the chosen arguments."""
from __future__ import annotations

import functools

from .. import autograd as _ag
from ..ndarray.ndarray import NDArray

__all__ = ['set_is_training', 'TrainingStateScope', 'train_section', 'test_section', 'mark_variables',
           'backward', 'compute_gradient', 'grad_and_loss', 'grad']


def set_is_training(is_train):
    """Turn recording and training mode on or off together; returns the previous
    recording state (as MXNet's)."""
    _ag.set_training(bool(is_train))
    return _ag.set_recording(bool(is_train))


class TrainingStateScope:
    """``with TrainingStateScope(True):`` records (and trains) inside the block."""

    def __init__(self, enter_state):
        self._enter_state = enter_state
        self._prev = None

    def __enter__(self):
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, ptype, value, trace):
        if self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section():
    """Scope that records operations for gradients, in training mode."""
    return TrainingStateScope(True)


def test_section():
    """Scope (inside a train_section) that neither records nor trains."""
    return TrainingStateScope(False)


def mark_variables(variables, gradients, grad_reqs='write'):
    """Attach the given gradient buffers to ``variables`` (lists of NDArray)."""
    _ag.mark_variables(variables, gradients, grad_reqs)


def backward(outputs, out_grads=None, retain_graph=False):
    """Gradients of ``outputs`` (a list or tuple) into the marked variables."""
    if not isinstance(outputs, (list, tuple)):
        raise AssertionError("outputs must be a list or tuple of NDArrays")
    if out_grads is not None and len(out_grads) != len(outputs):
        raise AssertionError("outputs and out_grads must have the same length")
    _ag.backward(list(outputs), None if out_grads is None else list(out_grads), retain_graph=retain_graph)


def compute_gradient(outputs):
    """Deprecated name of ``backward(outputs)``."""
    backward(outputs)


def grad_and_loss(func, argnum=None):
    """``func(*args)`` returning a loss becomes a function returning
    ``(gradients, loss)``: the gradients of the arguments at ``argnum`` (an int or
    a list of ints; all arguments when None)."""
    @functools.wraps(func)
    def wrapped(*args):
        variables = args
        if argnum is not None:
            variables = [args[i] for i in (argnum if isinstance(argnum, list) else [argnum])]
        for x in variables:
            if not isinstance(x, NDArray):
                raise AssertionError("type of autograd input should NDArray, got %s" % type(x).__name__)
        grads = [x.zeros_like() for x in variables]
        mark_variables(list(variables), grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs
    return wrapped


def grad(func, argnum=None):
    """Like ``grad_and_loss`` but the wrapped function returns only the gradients."""
    with_loss = grad_and_loss(func, argnum)

    @functools.wraps(with_loss)
    def wrapped(*args):
        return with_loss(*args)[0]
    return wrapped
