"""Fused recurrent layers RNN, LSTM, GRU over the ``nd.RNN`` op.

Parameters are named like MXNet (``l0_i2h_weight``, ``r1_h2h_bias``...) and flattened
into the fused vector in MXNet's order: all weights (layer, direction, i2h/h2h), then
all biases in the same order.
"""
from __future__ import annotations

from ..block import HybridBlock

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


class _RNNLayer(HybridBlock):
    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, dtype='float32', **kwargs):
        super().__init__(**kwargs)
        if layout not in ('TNC', 'NTC'):
            raise AssertionError("Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        self._hidden_size = hidden_size
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._gates = _GATES[mode]
        self._dtype = dtype
        ng, nh = self._gates, hidden_size
        with self.name_scope():
            ni = input_size
            for i in range(num_layers):
                for d in ['l', 'r'][:self._dir]:
                    self._reg('%s%d_i2h_weight' % (d, i), (ng * nh, ni), i2h_weight_initializer)
                    self._reg('%s%d_h2h_weight' % (d, i), (ng * nh, nh), h2h_weight_initializer)
                    self._reg('%s%d_i2h_bias' % (d, i), (ng * nh,), i2h_bias_initializer)
                    self._reg('%s%d_h2h_bias' % (d, i), (ng * nh,), h2h_bias_initializer)
                ni = nh * self._dir

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
            info.pop('__layout__', None)
            states.append(func(name='%sh0_%d' % (self.prefix, i), **info)
                          if func is not nd.zeros else func(**info))
        return states

    def _infer_param_shapes(self, inputs, *args):
        ni = int(inputs.shape[2])
        for d in ['l', 'r'][:self._dir]:
            getattr(self, '%s0_i2h_weight' % d).shape = (self._gates * self._hidden_size, ni)

    def forward(self, inputs, states=None):
        from ... import ndarray as nd
        batch_size = inputs.shape[self._layout.find('N')]
        skip_states = states is None
        if skip_states:
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
        for info, s in zip(self.state_info(batch_size), states):
            if tuple(s.shape) != tuple(info['shape']):
                raise ValueError('Invalid recurrent state shape. Expecting %s, got %s.'
                                 % (str(info['shape']), str(s.shape)))
        out = self._forward_kernel(nd, x, states, params)
        outputs, new_states = out[0], out[1]
        if self._layout == 'NTC':
            outputs = nd.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if skip_states else (outputs, new_states)

    def hybrid_forward(self, F, inputs, states=None, **params):
        """Symbolic path (hybridize tracing); the eager path is forward() above."""
        skip_states = states is None
        if skip_states:
            # batch dim 0 is filled in from the data at run time (MXNet's export form)
            states = [F.zeros(shape=tuple(info['shape'][:1]) + (0,) + tuple(info['shape'][2:]),
                              dtype=self._dtype, name='h0_%d' % i) for i, info in enumerate(self.state_info(0))]
        if not isinstance(states, (list, tuple)):
            states = [states]
        x = F.swapaxes(inputs, dim1=0, dim2=1) if self._layout == 'NTC' else inputs
        rnn = F.RNN(x, self._flat_params(F, params), *states, state_size=self._hidden_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=True, mode=self._mode)
        outputs = rnn[0]
        new_states = [rnn[1], rnn[2]] if self._mode == 'lstm' else [rnn[1]]
        if self._layout == 'NTC':
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs if skip_states else (outputs, new_states)

    def _param_order(self, params):
        return [params['%s%d_%s_%s' % (d, i, g, t)]
                for t in ['weight', 'bias']
                for i in range(self._num_layers)
                for d in ['l', 'r'][:self._dir]
                for g in ['i2h', 'h2h']]

    def _flat_params(self, F, params):
        # graphs keep MXNet's reshape + _rnn_param_concat, as its exports have them
        return F._rnn_param_concat(*[p.reshape((-1,)) for p in self._param_order(params)], dim=0)

    def _forward_kernel(self, F, x, states, params):
        order = self._param_order(params)
        # eager path: one op flattens and joins (one copy each way)
        flat = F._rnn_param_flat(*order, num_args=len(order))
        # eager path: RNN plus a hidden reserve of the forward's gates and
        # states, so backward does not recompute the forward (hybrid graphs
        # keep the MXNet op name RNN)
        rnn = F._rnn_with_reserve(x, flat, *states, state_size=self._hidden_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=True, mode=self._mode)
        if not isinstance(rnn, (list, tuple)):
            raise RuntimeError('nd.RNN with state_outputs=True must return a list')
        if self._mode == 'lstm':
            return rnn[0], [rnn[1], rnn[2]]
        return rnn[0], [rnn[1]]


def _mk_init(**defaults):
    return defaults


class RNN(_RNNLayer):
    """Elman RNN with tanh or relu activation."""

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC',
                 dropout=0, bidirectional=False, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'rnn_' + activation,
                         **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC'}]


class LSTM(_RNNLayer):
    """Long short-term memory; states are [h, c]."""

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', projection_size=None, **kwargs):
        if projection_size is not None:
            raise NotImplementedError('LSTM projection_size is not supported by mxcore')
        kwargs.pop('h2r_weight_initializer', None)
        kwargs.pop('state_clip_min', None)
        kwargs.pop('state_clip_max', None)
        kwargs.pop('state_clip_nan', None)
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'lstm', **kwargs)

    def state_info(self, batch_size=0):
        s = (self._num_layers * self._dir, batch_size, self._hidden_size)
        return [{'shape': s, '__layout__': 'LNC'}, {'shape': s, '__layout__': 'LNC'}]


class GRU(_RNNLayer):
    """Gated recurrent unit (reset gate applied after the h2h product, like cuDNN)."""

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, 'gru', **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC'}]
