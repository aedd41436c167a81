"""Convolutional recurrent cells (``gluon.contrib.rnn``), MXNet 1.9.1's API:
Conv{1,2,3}D{RNN,LSTM,GRU}Cell.

The dense cells' i2h/h2h projections become convolutions (stride 1). The h2h
convolution is padded so the state keeps its spatial size, which is why its kernel
must be odd. Gates are stacked along the channel axis in MXNet's order: LSTM
(i, f, c, o), GRU (r, z, candidate). Parameter names and shapes are MXNet's, so
``save_parameters`` files load both ways.
"""
from __future__ import annotations

from ...rnn.rnn_cell import HybridRecurrentCell, _F, _nd, _steps
from .conv_utils import conv_nd, conv_out_size, spec_tuple, zero_states_like

__all__ = ['Conv1DRNNCell', 'Conv2DRNNCell', 'Conv3DRNNCell',
           'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell',
           'Conv1DGRUCell', 'Conv2DGRUCell', 'Conv3DGRUCell']

_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _activate(F, x, activation, **kwargs):
    """MXNet's RecurrentCell._get_activation: a name, a LeakyReLU block or a callable."""
    from ...nn import LeakyReLU
    if isinstance(activation, str):
        fn = {'tanh': F.tanh, 'relu': F.relu, 'sigmoid': F.sigmoid,
              'softsign': F.softsign}.get(activation)
        return fn(x, **kwargs) if fn else F.Activation(x, act_type=activation, **kwargs)
    if isinstance(activation, LeakyReLU):
        return F.LeakyReLU(x, act_type='leaky', slope=activation._alpha, **kwargs)
    return activation(x)


class _BaseConvRNNCell(HybridRecurrentCell):
    """Shapes, parameters and the two convolutions; subclasses give the gates
    (``_gate_names``, ``_n_states``, ``_gates``) and the public ones ``_dims``."""

    _dims = 2
    _gate_names = ('',)
    _n_states = 1

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel,
                 i2h_pad=0, i2h_dilate=1, h2h_dilate=1,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 conv_layout=None, activation='tanh', prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        dims, cls = self._dims, type(self).__name__
        conv_layout = conv_layout or _LAYOUTS[dims][0]
        if conv_layout not in _LAYOUTS[dims]:
            raise ValueError('%s: conv_layout must be one of %s, got %r'
                             % (cls, _LAYOUTS[dims], conv_layout))
        input_shape = tuple(input_shape)
        if len(input_shape) != dims + 1:
            raise ValueError('%s: input_shape must have %d values (the %s of one step, without '
                             'the batch and time axes), got %s'
                             % (cls, dims + 1, conv_layout[1:], input_shape))
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        self._stride = (1,) * dims
        self._i2h_kernel = spec_tuple(i2h_kernel, dims, 'i2h_kernel', cls)
        self._i2h_pad = spec_tuple(i2h_pad, dims, 'i2h_pad', cls)
        self._i2h_dilate = spec_tuple(i2h_dilate, dims, 'i2h_dilate', cls)
        self._h2h_kernel = spec_tuple(h2h_kernel, dims, 'h2h_kernel', cls)
        self._h2h_dilate = spec_tuple(h2h_dilate, dims, 'h2h_dilate', cls)
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise AssertionError('%s: h2h_kernel must be odd (the state keeps its spatial size), '
                                 'got %s' % (cls, h2h_kernel))
        # the padding that keeps the state's size through the h2h convolution
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))

        self._channel_axis = conv_layout.find('C')
        first = self._channel_axis == 1
        in_channels = input_shape[0] if first else input_shape[-1]
        spatial = input_shape[1:] if first else input_shape[:-1]
        out = conv_out_size(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        if any(o <= 0 for o in out):
            raise ValueError('%s: input_shape %s is too small for i2h_kernel %s, i2h_pad %s, '
                             'i2h_dilate %s' % (cls, input_shape, self._i2h_kernel,
                                                self._i2h_pad, self._i2h_dilate))
        self._in_channels = in_channels
        self._state_shape = (hidden_channels,) + out if first else out + (hidden_channels,)
        ng = hidden_channels * len(self._gate_names)
        i2h_shape = ((ng, in_channels) + self._i2h_kernel if first
                     else (ng,) + self._i2h_kernel + (in_channels,))
        h2h_shape = ((ng, hidden_channels) + self._h2h_kernel if first
                     else (ng,) + self._h2h_kernel + (hidden_channels,))
        self.i2h_weight = self.params.get('i2h_weight', shape=i2h_shape, init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=h2h_shape, init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(ng,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(ng,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _infer_param_shapes(self, inputs, *args):
        # input_shape with 0 channels: they come from the first step (as MXNet's deferred init)
        shape = list(self.i2h_weight.shape)
        shape[1 if self._channel_axis == 1 else -1] = int(inputs.shape[self._channel_axis])
        self.i2h_weight.shape = tuple(shape)

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size,) + self._state_shape, '__layout__': self._conv_layout}
                for _ in range(self._n_states)]

    def __repr__(self):
        shape = self.i2h_weight.shape
        in_channels = shape[1 if self._channel_axis == 1 else -1]
        return '{}({} -> {}, {}, {})'.format(type(self).__name__, in_channels or None, shape[0],
                                            self._activation, self._conv_layout)

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        if begin_state is None and _F(inputs) is not _nd():
            # traced: zero states whose batch follows the data (the dense cells' helper
            # handles (N, C) states only)
            inputs, _ = _steps(_F(inputs), inputs, length, layout)
            begin_state = zero_states_like(_F(inputs), inputs[0], (0,) + self._state_shape, self._n_states)
        return super().unroll(length, inputs, begin_state, layout, merge_outputs, valid_length)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        ng = self._hidden_channels * len(self._gate_names)
        i2h = conv_nd(F, inputs, i2h_weight, i2h_bias, self._conv_layout, num_filter=ng,
                      kernel=self._i2h_kernel, pad=self._i2h_pad, dilate=self._i2h_dilate,
                      name=prefix + 'i2h')
        h2h = conv_nd(F, states[0], h2h_weight, h2h_bias, self._conv_layout, num_filter=ng,
                      kernel=self._h2h_kernel, pad=self._h2h_pad, dilate=self._h2h_dilate,
                      name=prefix + 'h2h')
        return self._gates(F, i2h, h2h, states, prefix)


class _ConvRNNCell(_BaseConvRNNCell):
    def _alias(self):
        return 'conv_rnn'

    def _gates(self, F, i2h, h2h, states, prefix):
        out = _activate(F, i2h + h2h, self._activation, name=prefix + 'out')
        return out, [out]


class _ConvLSTMCell(_BaseConvRNNCell):
    _gate_names = ('_i', '_f', '_c', '_o')
    _n_states = 2

    def _alias(self):
        return 'conv_lstm'

    def _gates(self, F, i2h, h2h, states, prefix):
        g = F.SliceChannel(i2h + h2h, num_outputs=4, axis=self._channel_axis, name=prefix + 'slice')
        in_gate = F.Activation(g[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(g[1], act_type='sigmoid', name=prefix + 'f')
        in_transform = _activate(F, g[2], self._activation, name=prefix + 'c')
        out_gate = F.Activation(g[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform, name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, _activate(F, next_c, self._activation), name=prefix + 'out')
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    _gate_names = ('_r', '_z', '_o')

    def _alias(self):
        return 'conv_gru'

    def _gates(self, F, i2h, h2h, states, prefix):
        axis = self._channel_axis
        i_r, i_z, i_n = F.SliceChannel(i2h, num_outputs=3, axis=axis, name=prefix + 'i2h_slice')
        h_r, h_z, h_n = F.SliceChannel(h2h, num_outputs=3, axis=axis, name=prefix + 'h2h_slice')
        reset = F.Activation(i_r + h_r, act_type='sigmoid', name=prefix + 'r_act')
        update = F.Activation(i_z + h_z, act_type='sigmoid', name=prefix + 'z_act')
        cand = _activate(F, i_n + reset * h_n, self._activation, name=prefix + 'h_act')
        next_h = F.elemwise_add((1. - update) * cand, update * states[0], name=prefix + 'out')
        return next_h, [next_h]


def _public(name, gates, dims):
    kind = {_ConvRNNCell: 'RNN', _ConvLSTMCell: 'LSTM', _ConvGRUCell: 'GRU'}[gates]
    doc = ('%d-D convolutional %s cell (MXNet 1.9.1 ``gluon.contrib.rnn.%s``).\n\n'
           'input_shape is one step of one sample in conv_layout (%s, default; or %s), '
           'without the batch and time axes. h2h_kernel must be odd.'
           % (dims, kind, name, _LAYOUTS[dims][0], _LAYOUTS[dims][1]))
    return type(name, (gates,), {'_dims': dims, '__doc__': doc, '__module__': __name__})


Conv1DRNNCell = _public('Conv1DRNNCell', _ConvRNNCell, 1)
Conv2DRNNCell = _public('Conv2DRNNCell', _ConvRNNCell, 2)
Conv3DRNNCell = _public('Conv3DRNNCell', _ConvRNNCell, 3)
Conv1DLSTMCell = _public('Conv1DLSTMCell', _ConvLSTMCell, 1)
Conv2DLSTMCell = _public('Conv2DLSTMCell', _ConvLSTMCell, 2)
Conv3DLSTMCell = _public('Conv3DLSTMCell', _ConvLSTMCell, 3)
Conv1DGRUCell = _public('Conv1DGRUCell', _ConvGRUCell, 1)
Conv2DGRUCell = _public('Conv2DGRUCell', _ConvGRUCell, 2)
Conv3DGRUCell = _public('Conv3DGRUCell', _ConvGRUCell, 3)
