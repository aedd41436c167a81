"""Helpers the composite cells share for ``unroll``: splitting a sequence into time
steps, merging steps back, masking padded steps and reversing valid prefixes.

All of them work on NDArrays (``unroll`` is imperative in mxcore, like the existing
cells'); a sequence is either one tensor in ``layout`` or a list of (N, ...) steps.
"""
from __future__ import annotations

from ...ndarray.ndarray import NDArray
from .rnn_cell import _steps


def _nd():
    from ... import ndarray as nd
    return nd


def is_tensor(x):
    return isinstance(x, NDArray)


def split_steps(owner, length, inputs, layout):
    """``inputs`` as a list of ``length`` (N, ...) steps; ``owner`` names the cell in errors."""
    if layout not in ('NTC', 'TNC'):
        raise ValueError("%s.unroll: layout must be 'NTC' or 'TNC', got %r"
                         % (type(owner).__name__, layout))
    if is_tensor(inputs):
        have = inputs.shape[layout.find('T')]
    else:
        have = len(inputs)
    if length is None:
        length = have
    if have != length:
        raise ValueError('%s.unroll: length=%d but the input sequence has %d time steps'
                         % (type(owner).__name__, length, have))
    steps, _ = _steps(_nd(), inputs, length, layout)
    return steps


def merge_steps(steps, layout):
    """Stack (N, ...) steps into one tensor with the time axis where ``layout`` has it."""
    return _nd().stack(*steps, axis=layout.find('T'))


def as_tensor(seq, length, layout):
    """A sequence (tensor or list of steps) as one tensor in ``layout``."""
    return seq if is_tensor(seq) else merge_steps(seq, layout)


def format_outputs(steps, layout, merge_outputs, inputs_were_tensor):
    """MXNet's unroll convention: a tensor only with merge_outputs=True; None and False
    give the list of steps (whatever the input was)."""
    return merge_steps(steps, layout) if merge_outputs else list(steps)


def mask_steps(steps, valid_length):
    """Zero step t of sample b where t >= valid_length[b]."""
    if valid_length is None:
        return list(steps)
    nd = _nd()
    out = []
    for t, s in enumerate(steps):
        keep = (valid_length.as_in_context(s.context) > t).astype(s.dtype)
        out.append(nd.broadcast_mul(s, keep.reshape((-1,) + (1,) * (s.ndim - 1))))
    return out


def reverse_steps(steps, valid_length):
    """Reverse the time order; with ``valid_length`` only each sample's valid prefix is
    reversed and its padding stays in place (so a backward cell never reads padding first)."""
    if valid_length is None:
        return list(reversed(steps))
    nd = _nd()
    stacked = nd.stack(*steps, axis=0)
    vl = valid_length.as_in_context(stacked.context).astype(stacked.dtype)
    rev = nd.SequenceReverse(stacked, sequence_length=vl, use_sequence_length=True)
    return [rev[t] for t in range(len(steps))]


def default_begin_state(cell, begin_state, steps):
    """``begin_state`` or zeros from ``cell.begin_state`` on the steps' batch, context, dtype."""
    if begin_state is not None:
        return list(begin_state)
    first = steps[0]
    return cell.begin_state(first.shape[0], ctx=first.context, dtype=first.dtype)
