"""MXNet 1.x's symbolic convolutional RNN cells (``mx.rnn``): BaseConvRNNCell,
ConvRNNCell, ConvLSTMCell, ConvGRUCell. 2-D only, as MXNet's; the nodes and
parameter names are MXNet's (``<prefix>i2h_weight``, ``<prefix>t<k>_i2h``,
``<prefix>t<k>_out``), so symbol files and checkpoints interchange.

Begin states are ``_zeros(shape=(0, C, H, W))``; the batch 0 is inferred from the data.
The default activation is MXNet's: LeakyReLU with slope 0.2 (also for the LSTM's
cell input and output, as MXNet).
"""
from __future__ import annotations

import functools

from .. import symbol
from ..gluon.contrib.rnn.conv_utils import conv_nd, spec_tuple, zero_states_like
from .rnn_cell import BaseRNNCell, _split_steps

_LEAKY = functools.partial(symbol.LeakyReLU, act_type='leaky', slope=0.2)


class BaseConvRNNCell(BaseRNNCell):
    """Shapes, parameters and the i2h/h2h convolutions of a 2-D convolutional cell.
    ``input_shape`` is one step's data shape with the batch, e.g. (N, C, H, W)."""

    _gate_list = ('',)
    _n_states = 2

    def __init__(self, input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel, i2h_stride,
                 i2h_pad, i2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, activation, prefix='', params=None,
                 conv_layout='NCHW'):
        super().__init__(prefix=prefix, params=params)
        cls = type(self).__name__
        if conv_layout not in ('NCHW', 'NHWC'):
            raise ValueError("%s: conv_layout must be 'NCHW' or 'NHWC', got %r" % (cls, conv_layout))
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise ValueError('%s: input_shape must be one step of data in %s, batch included '
                             '(4 values), got %s' % (cls, conv_layout, input_shape))
        self._h2h_kernel = spec_tuple(h2h_kernel, 2, 'h2h_kernel', cls)
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise AssertionError('%s: h2h_kernel must be odd (the state keeps its spatial size), '
                                 'got %s' % (cls, h2h_kernel))
        self._h2h_dilate = spec_tuple(h2h_dilate, 2, 'h2h_dilate', cls)
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))
        self._i2h_kernel = spec_tuple(i2h_kernel, 2, 'i2h_kernel', cls)
        self._i2h_stride = spec_tuple(i2h_stride, 2, 'i2h_stride', cls)
        self._i2h_pad = spec_tuple(i2h_pad, 2, 'i2h_pad', cls)
        self._i2h_dilate = spec_tuple(i2h_dilate, 2, 'i2h_dilate', cls)
        self._num_hidden = num_hidden
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._act = activation  # (BaseRNNCell._activation is the method applying it)
        self._state_shape = self._infer_state_shape(cls)
        # channel-last weights reach the convolution through a transpose, which shape
        # inference cannot see through: they carry their shapes (MXNet's, (O, kh, kw, I))
        last = conv_layout == 'NHWC'
        ng = num_hidden * self._num_gates
        i2h = {'shape': (ng,) + self._i2h_kernel + (input_shape[3],)} if last else {}
        h2h = {'shape': (ng,) + self._h2h_kernel + (num_hidden,)} if last else {}
        self._iW = self.params.get('i2h_weight', init=i2h_weight_initializer, **i2h)
        self._hW = self.params.get('h2h_weight', init=h2h_weight_initializer, **h2h)
        self._iB = self.params.get('i2h_bias', init=i2h_bias_initializer)
        self._hB = self.params.get('h2h_bias', init=h2h_bias_initializer)

    def _infer_state_shape(self, cls):
        """The i2h convolution's output shape with batch 0 (inferred later from the data)."""
        axis = self._conv_layout.find('C')
        spatial = [s for i, s in enumerate(self._input_shape[1:], 1) if i != axis]
        out = tuple((x + 2 * p - d * (k - 1) - 1) // s + 1 for x, k, s, p, d in
                    zip(spatial, self._i2h_kernel, self._i2h_stride, self._i2h_pad, self._i2h_dilate))
        if any(o <= 0 for o in out):
            raise ValueError('%s: input_shape %s is too small for i2h_kernel %s' %
                             (cls, self._input_shape, self._i2h_kernel))
        return (0, self._num_hidden) + out if axis == 1 else (0,) + out + (self._num_hidden,)

    @property
    def _gate_names(self):
        return self._gate_list

    @property
    def _num_gates(self):
        return len(self._gate_list)

    @property
    def state_info(self):
        return [{'shape': self._state_shape, '__layout__': self._conv_layout}
                for _ in range(self._n_states)]

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        if begin_state is None and self._conv_layout == 'NHWC':
            # batch-0 zeros cannot be inferred through the transposes: take it from the data
            inputs, _ = _split_steps(length, inputs, layout, False)
            begin_state = zero_states_like(symbol, inputs[0], self._state_shape, self._n_states)
        return super().unroll(length, inputs, begin_state, layout, merge_outputs)

    def _conv_forward(self, inputs, states, name):
        n = self._num_hidden * self._num_gates
        i2h = conv_nd(symbol, inputs, self._iW, self._iB, self._conv_layout, name='%si2h' % name,
                      num_filter=n, kernel=self._i2h_kernel, stride=self._i2h_stride,
                      pad=self._i2h_pad, dilate=self._i2h_dilate)
        h2h = conv_nd(symbol, states[0], self._hW, self._hB, self._conv_layout, name='%sh2h' % name,
                      num_filter=n, kernel=self._h2h_kernel, dilate=self._h2h_dilate,
                      pad=self._h2h_pad, stride=(1, 1))
        return i2h, h2h

    def __call__(self, inputs, states):
        self._counter += 1
        name = '%st%d_' % (self._prefix, self._counter)
        i2h, h2h = self._conv_forward(inputs, states, name)
        return self._gates(i2h, h2h, states, name)

    def _gates(self, i2h, h2h, states, name):
        raise NotImplementedError('BaseConvRNNCell is abstract class for convolutional RNN')

    def _act_of(self, x, **kwargs):
        return self._activation(x, self._act, **kwargs)


class _ConvCell(BaseConvRNNCell):
    """MXNet's defaults of the three public cells (3x3 kernels, pad 1, LeakyReLU 0.2);
    prefix None means the class's own (``ConvRNN_``, ``ConvLSTM_``, ``ConvGRU_``)."""

    _default_prefix = ''

    def __init__(self, input_shape, num_hidden, h2h_kernel=(3, 3), h2h_dilate=(1, 1),
                 i2h_kernel=(3, 3), i2h_stride=(1, 1), i2h_pad=(1, 1), i2h_dilate=(1, 1),
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 activation=_LEAKY, prefix=None, params=None, conv_layout='NCHW'):
        super().__init__(input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel, i2h_stride,
                         i2h_pad, i2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, activation,
                         self._default_prefix if prefix is None else prefix, params, conv_layout)


class ConvRNNCell(_ConvCell):
    """Convolutional RNN cell: out = act(conv(x) + conv(h))."""

    _default_prefix = 'ConvRNN_'
    _n_states = 1

    def _gates(self, i2h, h2h, states, name):
        out = self._act_of(i2h + h2h, name='%sout' % name)
        return out, [out]


class ConvLSTMCell(_ConvCell):
    """Convolutional LSTM cell (Shi et al., NIPS 2015); gates (i, f, c, o) on the channel axis."""

    _default_prefix = 'ConvLSTM_'
    _gate_list = ('_i', '_f', '_c', '_o')
    _n_states = 2

    def _gates(self, i2h, h2h, states, name):
        g = symbol.SliceChannel(i2h + h2h, num_outputs=4, axis=self._conv_layout.find('C'),
                                name='%sslice' % name)
        in_gate = symbol.Activation(g[0], act_type='sigmoid', name='%si' % name)
        forget_gate = symbol.Activation(g[1], act_type='sigmoid', name='%sf' % name)
        in_transform = self._act_of(g[2], name='%sc' % name)
        out_gate = symbol.Activation(g[3], act_type='sigmoid', name='%so' % name)
        next_c = symbol.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                     name='%sstate' % name)
        next_h = symbol.elemwise_mul(out_gate, self._act_of(next_c), name='%sout' % name)
        return next_h, [next_h, next_c]


class ConvGRUCell(_ConvCell):
    """Convolutional GRU cell; gates (r, z, candidate) on the channel axis."""

    _default_prefix = 'ConvGRU_'
    _gate_list = ('_r', '_z', '_o')
    _n_states = 1

    def _gates(self, i2h, h2h, states, name):
        # MXNet slices axis 1 whatever the layout (NHWC cannot run on its CPU); we slice C
        axis = self._conv_layout.find('C')
        i_r, i_z, i_n = symbol.SliceChannel(i2h, num_outputs=3, axis=axis, name='%s_i2h_slice' % name)
        h_r, h_z, h_n = symbol.SliceChannel(h2h, num_outputs=3, axis=axis, name='%s_h2h_slice' % name)
        reset = symbol.Activation(i_r + h_r, act_type='sigmoid', name='%s_r_act' % name)
        update = symbol.Activation(i_z + h_z, act_type='sigmoid', name='%s_z_act' % name)
        cand = self._act_of(i_n + reset * h_n, name='%s_h_act' % name)
        next_h = symbol.elemwise_add((1. - update) * cand, update * states[0], name='%sout' % name)
        return next_h, [next_h]
