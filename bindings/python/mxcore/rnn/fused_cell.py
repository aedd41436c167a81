"""MXNet 1.x's ``mx.rnn.FusedRNNCell``: a whole (multi-layer, optionally
bidirectional) RNN as one ``RNN`` node over a single flat ``<prefix>parameters``
vector, with MXNet's layout of that vector, so checkpoints interchange.

``unpack_weights`` / ``pack_weights`` convert between the flat vector and
per-gate matrices (``<prefix>l0_i2h_i_weight``, ...), which is how
``save_rnn_checkpoint`` stores it; ``unfuse`` gives the equivalent stack of
step cells (same parameter names after unpacking).
"""
from __future__ import annotations

import warnings

from .. import ndarray, symbol
from ..initializer import FusedRNN
from .composite_cells import BidirectionalCell
from .rnn_cell import BaseRNNCell, DropoutCell, GRUCell, LSTMCell, RNNCell, SequentialRNNCell, _split_steps

_GATES = {'rnn_relu': ('',), 'rnn_tanh': ('',), 'lstm': ('_i', '_f', '_c', '_o'), 'gru': ('_r', '_z', '_o')}


class FusedRNNCell(BaseRNNCell):
    """num_layers RNN layers of `mode` ('rnn_relu', 'rnn_tanh', 'lstm', 'gru') fused
    across time; `get_next_state` also returns the final states."""

    def __init__(self, num_hidden, num_layers=1, mode='lstm', bidirectional=False, dropout=0.,
                 get_next_state=False, forget_bias=1.0, prefix=None, params=None):
        if mode not in _GATES:
            raise ValueError("FusedRNNCell: mode must be one of %s, got %r" % (sorted(_GATES), mode))
        super().__init__(prefix='%s_' % mode if prefix is None else prefix, params=params)
        self._num_hidden, self._num_layers, self._mode = num_hidden, num_layers, mode
        self._bidirectional, self._dropout, self._get_next_state = bidirectional, dropout, get_next_state
        self._directions = ['l', 'r'] if bidirectional else ['l']
        init = FusedRNN(None, num_hidden, num_layers, mode, bidirectional, forget_bias)
        self._parameter = self.params.get('parameters', init=init)

    @property
    def state_info(self):
        shape = ((self._bidirectional + 1) * self._num_layers, 0, self._num_hidden)
        return [{'shape': shape, '__layout__': 'LNC'} for _ in range(2 if self._mode == 'lstm' else 1)]

    @property
    def _gate_names(self):
        return _GATES[self._mode]

    def _slice_weights(self, arr, n_input, h):
        """{name: view of arr} in the RNN op's order: per layer and direction the
        i2h then h2h weights of every gate, then all biases in the same order."""
        views, p, b = {}, 0, len(self._directions)

        def take(name, size, shape):
            nonlocal p
            views[name] = arr[p:p + size].reshape(shape)
            p += size

        for layer in range(self._num_layers):
            n_in = n_input if layer == 0 else b * h
            for d in self._directions:
                for gate in self._gate_names:
                    take('%s%s%d_i2h%s_weight' % (self._prefix, d, layer, gate), h * n_in, (h, n_in))
                for gate in self._gate_names:
                    take('%s%s%d_h2h%s_weight' % (self._prefix, d, layer, gate), h * h, (h, h))
        for layer in range(self._num_layers):
            for d in self._directions:
                for group in ('i2h', 'h2h'):
                    for gate in self._gate_names:
                        take('%s%s%d_%s%s_bias' % (self._prefix, d, layer, group, gate), h, (h,))
        if p != arr.size:
            raise ValueError("FusedRNNCell: a parameter vector of %d values does not fit %d layer(s) of %s "
                             "with %d hidden units" % (arr.size, self._num_layers, self._mode, h))
        return views

    def _n_input(self, size):
        b, m, h = len(self._directions), len(self._gate_names), self._num_hidden
        return size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2

    def unpack_weights(self, args):
        args = dict(args)
        arr = args.pop(self._parameter.name)
        views = self._slice_weights(arr, self._n_input(arr.size), self._num_hidden)
        args.update({name: v.copy() for name, v in views.items()})
        return args

    def pack_weights(self, args):
        args = dict(args)
        b, m, h = len(self._directions), len(self._gate_names), self._num_hidden
        w0 = args['%sl0_i2h%s_weight' % (self._prefix, self._gate_names[0])]
        n_input = w0.shape[1]
        total = (n_input + h + 2) * h * m * b + (self._num_layers - 1) * m * h * (h + b * h + 2) * b
        arr = ndarray.zeros((total,), ctx=w0.context, dtype=w0.dtype)
        for name, view in self._slice_weights(arr, n_input, h).items():
            view[:] = args.pop(name)
        args[self._parameter.name] = arr
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError("FusedRNNCell cannot be stepped. Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        inputs, axis = _split_steps(length, inputs, layout, True)
        if axis == 1:
            warnings.warn("NTC layout detected. Consider using TNC for FusedRNNCell for faster speed")
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        elif axis != 0:
            raise ValueError("FusedRNNCell: unsupported layout %s" % layout)
        if begin_state is None:
            begin_state = self.begin_state()
        states = {'state': begin_state[0]}
        if self._mode == 'lstm':
            states['state_cell'] = begin_state[1]
        rnn = symbol.RNN(data=inputs, parameters=self._parameter, state_size=self._num_hidden,
                         num_layers=self._num_layers, bidirectional=self._bidirectional, p=self._dropout,
                         state_outputs=self._get_next_state, mode=self._mode, name=self._prefix + 'rnn',
                         **states)
        if not self._get_next_state:
            outputs, states = rnn, []
        else:
            n_states = 2 if self._mode == 'lstm' else 1
            states = [rnn[k + 1] for k in range(n_states)]
            for s in states:
                s._set_attr(__layout__='LNC')
            outputs = rnn[0]
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = _split_steps(length, outputs, layout, merge_outputs)
        return outputs, states

    def unfuse(self):
        """The same network as a SequentialRNNCell of step cells (named so that
        unpack_weights' output loads into it)."""
        make = {'rnn_relu': lambda p: RNNCell(self._num_hidden, activation='relu', prefix=p),
                'rnn_tanh': lambda p: RNNCell(self._num_hidden, activation='tanh', prefix=p),
                'lstm': lambda p: LSTMCell(self._num_hidden, prefix=p),
                'gru': lambda p: GRUCell(self._num_hidden, prefix=p)}[self._mode]
        stack = SequentialRNNCell()
        for i in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make('%sl%d_' % (self._prefix, i)), make('%sr%d_' % (self._prefix, i)),
                                            output_prefix='%sbi_l%d_' % (self._prefix, i)))
            else:
                stack.add(make('%sl%d_' % (self._prefix, i)))
            if self._dropout > 0 and i != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix='%s_dropout%d_' % (self._prefix, i)))
        return stack
