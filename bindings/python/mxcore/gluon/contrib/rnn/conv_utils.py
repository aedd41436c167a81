"""Helpers the convolutional RNN cells share (``gluon.contrib.rnn`` and ``mx.rnn``):
argument normalisation, output sizes, and a convolution in any MXNet layout."""
from __future__ import annotations


def spec_tuple(spec, dims, what, owner):
    """An int or a ``dims``-tuple of ints as a tuple; anything else names the cell."""
    if isinstance(spec, int):
        return (spec,) * dims
    if isinstance(spec, (tuple, list)) and len(spec) == dims and all(isinstance(s, int) for s in spec):
        return tuple(spec)
    raise AssertionError('%s: %s must be an int or a tuple of %d ints for a %d-D convolution, got %r'
                         % (owner, what, dims, dims, spec))


def conv_out_size(spatial, kernel, pad, dilate):
    """Stride-1 convolution output size per axis (0 stays 0: not known yet)."""
    return tuple(x + 2 * p - d * (k - 1) if x else 0
                 for x, k, p, d in zip(spatial, kernel, pad, dilate))


def conv_nd(F, data, weight, bias, layout, **kwargs):
    """F.Convolution in ``layout``. Channel-last layouts (NWC, NHWC, NDHWC) run as the
    channel-first convolution between transposes: the core's Convolution takes
    channel-first data only, and the result is the same."""
    if layout[1] == 'C':
        return F.Convolution(data, weight, bias, layout=layout, **kwargs)
    nd = len(layout)
    to_first = (0, nd - 1) + tuple(range(1, nd - 1))
    to_last = (0,) + tuple(range(2, nd)) + (1,)
    out = F.Convolution(F.transpose(data, axes=to_first), F.transpose(weight, axes=to_first), bias,
                        layout=layout[0] + 'C' + layout[1:-1], **kwargs)
    return F.transpose(out, axes=to_last)


def zero_states_like(sym, step, state_shape, n):
    """``n`` zero states of (batch,) + state_shape[1:], the batch taken from the symbolic
    (N, ...) ``step`` in the graph itself: no 0 dim left to infer, so it binds and
    exports for any batch size."""
    rank = len(state_shape) - 1
    one = sym.slice(sym.zeros_like(step), begin=(None,) + (0,) * rank, end=(None,) + (1,) * rank)
    return [sym.broadcast_axis(one, axis=tuple(range(1, rank + 1)), size=tuple(state_shape[1:]))
            for _ in range(n)]
