"""Fused recurrent layers RNN, LSTM, GRU over the ``nd.RNN`` op.

Parameters are named like MXNet (``l0_i2h_weight``, ``r1_h2h_bias``, ``l0_h2r_weight``
for an LSTM projection...) and flattened into the fused vector in MXNet's order: all
weights (layer, direction, i2h/h2h[/h2r]), then all biases (i2h/h2h) in the same order.

As MXNet's, a layer called without states makes zero begin states and returns only the
output; hybridized, those states are graph inputs (exports list ``data0``, ``data1``[,
``data2``]), while a layer traced inside a bigger block (HybridSequential) makes them
with ``zeros`` nodes in the graph. With ``use_sequence_length=True`` the layer takes a
third argument, the (batch,) lengths: ``layer(x, states, sequence_length)``.
"""
from __future__ import annotations

import re

from ...ndarray.ndarray import NDArray as _NDArray
from ..block import HybridBlock

_PARAM_KEY = re.compile(r'(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z')

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


class _RNNLayer(HybridBlock):
    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size=None, h2r_weight_initializer=None,
                 lstm_state_clip_min=None, lstm_state_clip_max=None, lstm_state_clip_nan=False,
                 dtype='float32', use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        if layout not in ('TNC', 'NTC'):
            raise AssertionError("Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._use_sequence_length = use_sequence_length
        self._skip_states = False
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._gates = _GATES[mode]
        self._dtype = dtype
        ng, nh = self._gates, hidden_size
        ns = self._projection_size or nh  # the recurrent state's size
        with self.name_scope():
            ni = input_size
            for i in range(num_layers):
                for d in ['l', 'r'][:self._dir]:
                    self._reg('%s%d_i2h_weight' % (d, i), (ng * nh, ni), i2h_weight_initializer)
                    self._reg('%s%d_h2h_weight' % (d, i), (ng * nh, ns), h2h_weight_initializer)
                    self._reg('%s%d_i2h_bias' % (d, i), (ng * nh,), i2h_bias_initializer)
                    self._reg('%s%d_h2h_bias' % (d, i), (ng * nh,), h2h_bias_initializer)
                    if self._projection_size:
                        self._reg('%s%d_h2r_weight' % (d, i), (ns, nh), h2r_weight_initializer)
                ni = ns * self._dir

    def _collect_params_with_prefix(self, prefix=''):
        # save_parameters/load_parameters names, as MXNet's: those of the unfused cell
        # stack (l0_i2h_weight -> _unfused.0.i2h_weight, bidirectional r0_... ->
        # _unfused.0.r_cell.i2h_weight), so files move between MXNet and mxcore
        if prefix:
            prefix += '.'

        def key(k):
            m = _PARAM_KEY.match(k)
            if m is None:
                return k
            d, layer, g, t = m.groups()
            if self._dir == 2:
                return '_unfused.%s.%s_cell.%s_%s' % (layer, d, g, t)
            return '_unfused.%s.%s_%s' % (layer, g, t)
        ret = {prefix + key(k): v for k, v in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def _unfuse(self):
        """The layer as a HybridSequentialRNNCell of per-layer cells (BidirectionalCell pairs,
        DropoutCell between layers) that share this layer's Parameters, as MXNet's _unfuse."""
        from .bidirectional import BidirectionalCell
        from .dropout_cell import DropoutCell
        from .hybrid_sequential import HybridSequentialRNNCell
        from .rnn_cell import GRUCell, LSTMCell, RNNCell
        if self._projection_size:
            raise AssertionError('_unfuse does not support projection layer yet!')
        if self._lstm_state_clip_min is not None or self._lstm_state_clip_max is not None:
            raise AssertionError('_unfuse does not support state clipping yet!')
        make = {'rnn_relu': lambda **kw: RNNCell(self._hidden_size, activation='relu', **kw),
                'rnn_tanh': lambda **kw: RNNCell(self._hidden_size, activation='tanh', **kw),
                'lstm': lambda **kw: LSTMCell(self._hidden_size, **kw),
                'gru': lambda **kw: GRUCell(self._hidden_size, **kw)}[self._mode]
        stack = HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            ni = self._input_size
            for i in range(self._num_layers):
                if self._dir == 2:
                    stack.add(BidirectionalCell(make(prefix='l%d_' % i, input_size=ni),
                                                make(prefix='r%d_' % i, input_size=ni)))
                else:
                    stack.add(make(prefix='l%d_' % i, input_size=ni))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(DropoutCell(self._dropout))
                ni = self._hidden_size * self._dir
        return stack

    def _reg(self, name, shape, init):
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                            dtype=self._dtype)
        setattr(self, name, p)

    def __repr__(self):
        s = '{name}({mapping}, {_layout}'
        if self._num_layers != 1:
            s += ', num_layers={_num_layers}'
        if self._dropout != 0:
            s += ', dropout={_dropout}'
        if self._dir == 2:
            s += ', bidirectional'
        s += ')'
        shape = self.l0_i2h_weight.shape
        mapping = '{0} -> {1}'.format(shape[1] if shape[1] else None,
                                      shape[0] // self._gates)
        return s.format(name=self.__class__.__name__, mapping=mapping, **self.__dict__)

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def cast(self, dtype):
        # The states follow: state_info and begin_state give the new dtype, as in MXNet.
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=None, **kwargs):
        from ... import ndarray as nd
        if func is None:
            func = nd.zeros
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name='%sh0_%d' % (self.prefix, i), **info))
        return states

    def _infer_param_shapes(self, inputs, *args):
        ni = int(inputs.shape[2])
        for d in ['l', 'r'][:self._dir]:
            getattr(self, '%s0_i2h_weight' % d).shape = (self._gates * self._hidden_size, ni)

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        # MXNet's signature: the lengths come third (positional or keyword). Without
        # states an NDArray call makes zero begin states here, so a hybridized layer
        # has them as graph inputs, as MXNet's export does.
        if (type(inputs) is _NDArray and sequence_length is None and not kwargs and not self._active
                and not self._use_sequence_length and not (self._forward_pre_hooks or self._forward_hooks)):
            self._skip_states = states is None  # the plain eager call: forward() makes the states
            return self.forward(inputs, states)
        from ... import ndarray as nd
        if self._use_sequence_length and sequence_length is None:
            raise ValueError('%s(use_sequence_length=True) needs sequence_length, the (batch,) lengths: '
                             'call it as layer(x, states, sequence_length)' % type(self).__name__)
        if not self._use_sequence_length and sequence_length is not None:
            raise ValueError('%s got sequence_length but was made with use_sequence_length=False'
                             % type(self).__name__)
        self._skip_states = states is None
        if states is None and isinstance(inputs, nd.NDArray):
            states = self.begin_state(inputs.shape[self._layout.find('N')], ctx=inputs.context,
                                      dtype=inputs.dtype)
        elif states is None:  # traced inside a bigger block: zeros nodes named in the caller's scope
            states = self._symbol_begin_state()
        if states is not None and not isinstance(states, (list, tuple)):
            states = [states]
        args = (inputs,) if states is None else (inputs, list(states))
        if self._use_sequence_length:
            args = (inputs, None if states is None else list(states), sequence_length)
        return super().__call__(*args, **kwargs)

    def _symbol_begin_state(self):
        # as MXNet's begin_state(0, func=symbol.zeros): batch 0 (filled in from the data
        # at run time), named <prefix>h0_<i> under the calling block's prefix, with the
        # __layout__ attribute
        from ... import symbol
        return [symbol.zeros(shape=info['shape'], dtype=self._dtype, name='%sh0_%d' % (self.prefix, i),
                             __layout__=info['__layout__'])
                for i, info in enumerate(self.state_info(0))]

    def _call_cached(self, x, *args):
        # the traced graph differs with and without returned states: one cache each
        caches = self.__dict__.setdefault('_cached_by_skip', {})
        self._cached = caches.setdefault(self._skip_states, {})
        return super()._call_cached(x, *args)

    def _clear_cached_op(self):
        super()._clear_cached_op()
        self._cached_by_skip = {}

    def _check_states(self, states, batch_size):
        for info, s in zip(self.state_info(batch_size), states):
            if tuple(s.shape) != tuple(info['shape']):
                raise ValueError('Invalid recurrent state shape. Expecting %s, got %s.'
                                 % (str(info['shape']), str(s.shape)))

    def _check_lengths(self, sequence_length, batch_size):
        if sequence_length is not None and tuple(sequence_length.shape) != (batch_size,):
            raise ValueError('%s: sequence_length must have shape (%d,) (the batch size), got %s'
                             % (type(self).__name__, batch_size, str(tuple(sequence_length.shape))))

    def forward(self, inputs, states=None, sequence_length=None):
        from ... import ndarray as nd
        batch_size = inputs.shape[self._layout.find('N')]
        skip_states = states is None or self._skip_states
        if states is None:
            states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
        if not isinstance(states, (list, tuple)):
            states = [states]
        if self._layout == 'NTC':
            x = nd.swapaxes(inputs, dim1=0, dim2=1)
        else:
            x = inputs
        params = self._param_arrays(inputs.context)
        if params is None:
            self._infer_param_shapes(x)
            for p in self._reg_params.values():
                p._finish_deferred_init()
            params = self._param_arrays(inputs.context)
        self._check_states(states, batch_size)
        self._check_lengths(sequence_length, batch_size)
        out = self._forward_kernel(nd, x, states, params, sequence_length)
        outputs, new_states = out[0], out[1]
        if self._layout == 'NTC':
            outputs = nd.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if skip_states else (outputs, new_states)

    def _op_attrs(self):
        """The RNN op's attributes, all of them as MXNet's layers pass them, so exports
        write MXNet's attribute set (its str(None) is 'None'; ours would drop a None)."""
        def opt(v):
            return 'None' if v is None else v
        return dict(state_size=self._hidden_size, projection_size=opt(self._projection_size),
                    num_layers=self._num_layers, bidirectional=self._dir == 2, p=self._dropout,
                    state_outputs=True, mode=self._mode, use_sequence_length=self._use_sequence_length,
                    lstm_state_clip_min=opt(self._lstm_state_clip_min),
                    lstm_state_clip_max=opt(self._lstm_state_clip_max),
                    lstm_state_clip_nan=self._lstm_state_clip_nan)

    def hybrid_forward(self, F, inputs, states=None, sequence_length=None, **params):
        """Symbolic path (hybridize tracing); the eager path is forward() above."""
        skip_states = states is None or self._skip_states
        if states is None:
            # batch dim 0 is filled in from the data at run time (MXNet's export form)
            states = [F.zeros(shape=tuple(info['shape'][:1]) + (0,) + tuple(info['shape'][2:]),
                              dtype=self._dtype, name='h0_%d' % i) for i, info in enumerate(self.state_info(0))]
        if not isinstance(states, (list, tuple)):
            states = [states]
        x = F.swapaxes(inputs, dim1=0, dim2=1) if self._layout == 'NTC' else inputs
        lengths = [sequence_length] if self._use_sequence_length else []
        rnn = F.RNN(x, self._flat_params(F, params), *states, *lengths, **self._op_attrs())
        outputs = rnn[0]
        new_states = [rnn[1], rnn[2]] if self._mode == 'lstm' else [rnn[1]]
        if self._layout == 'NTC':
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if skip_states else (outputs, new_states)

    def _param_order(self, params):
        gates = ['i2h', 'h2h', 'h2r'] if self._projection_size else ['i2h', 'h2h']
        return [params['%s%d_%s_%s' % (d, i, g, t)]
                for t in ['weight', 'bias']
                for i in range(self._num_layers)
                for d in ['l', 'r'][:self._dir]
                for g in gates
                if g != 'h2r' or t != 'bias']

    def _flat_params(self, F, params):
        # graphs keep MXNet's reshape + _rnn_param_concat, as its exports have them
        return F._rnn_param_concat(*[p.reshape(-1) for p in self._param_order(params)], dim=0)

    def _forward_kernel(self, F, x, states, params, sequence_length=None):
        order = self._param_order(params)
        # eager path: one op flattens and joins (one copy each way)
        flat = F._rnn_param_flat(*order, num_args=len(order))
        # only the attributes that differ from the op's defaults (fewer to parse per call)
        extra = {}
        if self._projection_size:
            extra['projection_size'] = self._projection_size
        if self._use_sequence_length:
            extra['use_sequence_length'] = True
            states = list(states) + [sequence_length]
        if self._lstm_state_clip_min is not None or self._lstm_state_clip_max is not None:
            extra.update(lstm_state_clip_min=self._lstm_state_clip_min,
                         lstm_state_clip_max=self._lstm_state_clip_max,
                         lstm_state_clip_nan=self._lstm_state_clip_nan)
        # eager path: RNN plus a hidden reserve of the forward's gates and
        # states, so backward does not recompute the forward (hybrid graphs
        # keep the MXNet op name RNN)
        rnn = F._rnn_with_reserve(x, flat, *states, state_size=self._hidden_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=True, mode=self._mode, **extra)
        if not isinstance(rnn, (list, tuple)):
            raise RuntimeError('nd.RNN with state_outputs=True must return a list')
        if self._mode == 'lstm':
            return rnn[0], [rnn[1], rnn[2]]
        return rnn[0], [rnn[1]]


def _mk_init(**defaults):
    return defaults


def _no_projection(layer, kwargs):
    # MXNet's RNN/GRU have no projection argument (its own error is a TypeError too)
    for k in ('projection_size', 'h2r_weight_initializer'):
        if k in kwargs:
            raise TypeError('%s does not take %s: only LSTM has a projection (LSTMP)' % (layer, k))


class RNN(_RNNLayer):
    """Elman RNN with tanh or relu activation."""

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC',
                 dropout=0, bidirectional=False, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, dtype='float32', **kwargs):
        _no_projection('RNN', kwargs)
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'rnn_' + activation,
                         dtype=dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype}]


class LSTM(_RNNLayer):
    """Long short-term memory; states are [h, c]."""

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', projection_size=None, h2r_weight_initializer=None,
                 state_clip_min=None, state_clip_max=None, state_clip_nan=False, dtype='float32',
                 **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'lstm', projection_size,
                         h2r_weight_initializer, state_clip_min, state_clip_max, state_clip_nan,
                         dtype=dtype, **kwargs)

    def state_info(self, batch_size=0):
        n = self._num_layers * self._dir
        return [{'shape': (n, batch_size, self._projection_size or self._hidden_size), '__layout__': 'LNC',
                 'dtype': self._dtype},
                {'shape': (n, batch_size, self._hidden_size), '__layout__': 'LNC', 'dtype': self._dtype}]


class GRU(_RNNLayer):
    """Gated recurrent unit (reset gate applied after the h2h product, like cuDNN)."""

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', dtype='float32', **kwargs):
        _no_projection('GRU', kwargs)
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'gru', dtype=dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype}]
