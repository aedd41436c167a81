"""Helpers the composite cells share for ``unroll``: splitting a sequence into time
steps, merging steps back, masking padded steps and reversing valid prefixes.

They take NDArrays, or Symbols when an unroll is traced inside a hybridized block
(the op namespace follows the data, ``_F``); a sequence is either one tensor in
``layout`` or a list of (N, ...) steps.
"""
from __future__ import annotations

from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from .rnn_cell import _F, _steps


def is_tensor(x):
    from ...symbol import Symbol
    return isinstance(x, NDArray) or (isinstance(x, Symbol) and len(x.list_outputs()) == 1)


def split_steps(owner, length, inputs, layout):
    """``inputs`` as a list of ``length`` (N, ...) steps; ``owner`` names the cell in errors."""
    if layout not in ('NTC', 'TNC'):
        raise ValueError("%s.unroll: layout must be 'NTC' or 'TNC', got %r"
                         % (type(owner).__name__, layout))
    if is_tensor(inputs):
        try:
            have = inputs.shape[layout.find('T')]
        except (AttributeError, MXNetError):  # a free symbol (outside a trace) has no shape: trust length
            have = length
    else:
        have = len(inputs)
    if length is None:
        length = have
    if have != length:
        raise ValueError('%s.unroll: length=%d but the input sequence has %d time steps'
                         % (type(owner).__name__, length, have))
    steps, _ = _steps(_F(inputs), inputs, length, layout)
    return steps


def merge_steps(steps, layout):
    """Stack (N, ...) steps into one tensor with the time axis where ``layout`` has it."""
    return _F(steps).stack(*steps, axis=layout.find('T'))


def as_tensor(seq, length, layout):
    """A sequence (tensor or list of steps) as one tensor in ``layout``."""
    return seq if is_tensor(seq) else merge_steps(seq, layout)


def format_outputs(steps, layout, merge_outputs, inputs_were_tensor):
    """MXNet's unroll convention: a tensor only with merge_outputs=True; None and False
    give the list of steps (whatever the input was)."""
    return merge_steps(steps, layout) if merge_outputs else list(steps)


def _unstack(F, stacked, n):
    """The n steps of a (T, N, ...) tensor (split would give one array, not a list, for n=1)."""
    if n == 1:
        return [F.reshape(stacked, shape=(-3, -2))]
    return list(F.split(stacked, axis=0, num_outputs=n, squeeze_axis=1))


def mask_steps(steps, valid_length):
    """Zero step t of sample b where t >= valid_length[b] (exact zeros, SequenceMask)."""
    if valid_length is None:
        return list(steps)
    F = _F(steps)
    masked = F.SequenceMask(F.stack(*steps, axis=0), sequence_length=valid_length, use_sequence_length=True)
    return _unstack(F, masked, len(steps))


def reverse_steps(steps, valid_length):
    """Reverse the time order; with ``valid_length`` only each sample's valid prefix is
    reversed and its padding stays in place (so a backward cell never reads padding first)."""
    if valid_length is None:
        return list(reversed(steps))
    F = _F(steps)
    rev = F.SequenceReverse(F.stack(*steps, axis=0), sequence_length=valid_length, use_sequence_length=True)
    return _unstack(F, rev, len(steps))


def default_begin_state(cell, begin_state, steps):
    """``begin_state`` or zeros from ``cell.begin_state`` on the steps' batch, context, dtype."""
    if begin_state is not None:
        return list(begin_state)
    first = steps[0]
    if isinstance(first, NDArray):
        return cell.begin_state(first.shape[0], ctx=first.context, dtype=first.dtype)
    return symbol_begin_state(cell, first)


def symbol_begin_state(cell, step):
    """Zero begin states whose batch comes from a symbolic (N, C) step, so a traced or
    exported graph runs on any batch size (MXNet writes _zeros(shape=(0, H)) and infers
    the 0 backwards; this form needs no backward inference)."""
    from ... import symbol as sym
    col = sym.slice_axis(sym.zeros_like(step), axis=1, begin=0, end=1)   # (N, 1)
    states = []
    for info in cell.state_info(0):
        shape = tuple(info['shape'])
        if len(shape) != 2:
            raise NotImplementedError("%s.unroll on symbols: begin states of shape %s are not supported; "
                                      "pass begin_state" % (type(cell).__name__, shape))
        states.append(sym.broadcast_axis(col, axis=1, size=shape[1]))
    return states
