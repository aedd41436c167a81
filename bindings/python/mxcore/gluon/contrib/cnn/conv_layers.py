"""2-D deformable convolution layers of MXNet 1.9.1's ``gluon.contrib.cnn``:
DeformableConvolution (DCN v1) and ModulatedDeformableConvolution (DCN v2).

Each layer learns its offsets (and, for v2, its mask) with a plain
Convolution of the input, initialized to zeros so that training starts from
an ordinary convolution; the deformable op then samples the input at the
moved kernel taps. Parameter names, their registration order, defaults and
the graph (ops, attributes, node names) are MXNet's, so ``export`` writes
files MXNet 1.9.1 loads and MXNet's ``.params`` files load here."""
from __future__ import annotations

from ...block import HybridBlock
from ...nn.basic_layers import Activation
from ...nn.conv_layers import _conv_repr, _tuple

__all__ = ['DeformableConvolution', 'ModulatedDeformableConvolution']


class _DeformableBase(HybridBlock):
    """What both layers share: attributes, the offset convolution's and the
    deformable convolution's parameters, shape inference and repr. `taps` is
    the number of offset-conv channels per deformable group and kernel tap
    (2 for v1: h and w; 3 for v2: h, w and the mask)."""

    _taps = 2

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                 use_bias, in_channels, activation, weight_initializer, bias_initializer, offset_weight_initializer,
                 offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params):
        super().__init__(prefix=prefix, params=params)
        assert layout in ('NCHW', 'NHWC'), "Only supports 'NCHW' and 'NHWC' layout for now"
        kernel_size = _tuple(kernel_size, 2)
        n = len(kernel_size)
        self._channels, self._in_channels, self._groups, self._op_name = channels, in_channels, groups, op_name
        self._kwargs_offset = {
            'kernel': kernel_size, 'stride': _tuple(strides, n), 'dilate': _tuple(dilation, n),
            'pad': _tuple(padding, n),
            'num_filter': self._taps * kernel_size[0] * kernel_size[1] * num_deformable_group,
            'num_group': groups, 'no_bias': not offset_use_bias, 'layout': layout}
        self._kwargs_deformable_conv = {
            'kernel': kernel_size, 'stride': _tuple(strides, n), 'dilate': _tuple(dilation, n),
            'pad': _tuple(padding, n), 'num_filter': channels, 'num_group': groups,
            'num_deformable_group': num_deformable_group, 'no_bias': not use_bias, 'layout': layout}
        if adj:
            self._kwargs_offset['adj'] = adj
            self._kwargs_deformable_conv['adj'] = adj
        self._init = (weight_initializer, bias_initializer, offset_weight_initializer, offset_bias_initializer)
        self._use_bias, self._offset_use_bias = use_bias, offset_use_bias
        with self.name_scope():
            self._register_params()
            self.act = Activation(activation, prefix=activation + '_') if activation else None

    def _offset_params(self):
        oc, k = self._kwargs_offset['num_filter'], self._kwargs_offset['kernel']
        cin = self._in_channels // self._groups if self._in_channels else 0
        self.offset_weight = self.params.get('offset_weight', shape=(oc, cin) + k, init=self._init[2],
                                             allow_deferred_init=True)
        self.offset_bias = self.params.get('offset_bias', shape=(oc,), init=self._init[3],
                                           allow_deferred_init=True) if self._offset_use_bias else None

    def _conv_params(self):
        # the in-channels entry stays unknown (0) until the first forward, even with in_channels, as MXNet
        k = self._kwargs_deformable_conv['kernel']
        self.deformable_conv_weight = self.params.get('deformable_conv_weight', shape=(self._channels, 0) + k,
                                                      init=self._init[0], allow_deferred_init=True)
        self.deformable_conv_bias = self.params.get('deformable_conv_bias', shape=(self._channels,),
                                                    init=self._init[1],
                                                    allow_deferred_init=True) if self._use_bias else None

    def _infer_param_shapes(self, x, *args):
        layout = self._kwargs_deformable_conv['layout']
        c = int(x.shape[layout.find('C')]) // self._groups
        k = self._kwargs_deformable_conv['kernel']
        self.offset_weight.shape = (self._kwargs_offset['num_filter'], c) + k
        self.deformable_conv_weight.shape = (self._channels, c) + k

    def _offset(self, F, x, offset_weight, offset_bias):
        if offset_bias is None:
            return F.Convolution(x, offset_weight, cudnn_off=True, **self._kwargs_offset)
        return F.Convolution(x, offset_weight, offset_bias, cudnn_off=True, **self._kwargs_offset)

    def _deform(self, op, bias, **inputs):
        """The deformable op on its inputs (+ bias), then the activation."""
        if bias is not None:
            inputs['bias'] = bias
        act = op(name='fwd', **inputs, **self._kwargs_deformable_conv)
        return self.act(act) if self.act else act

    def __repr__(self):
        return _conv_repr(self, self._kwargs_deformable_conv, self.deformable_conv_weight, self.deformable_conv_bias)


class DeformableConvolution(_DeformableBase):
    """2-D deformable convolution v1 (Dai et al., 2017, https://arxiv.org/abs/1703.06211): a Convolution of
    the input gives 2 * kernel taps * num_deformable_group offset channels, and
    ``contrib.DeformableConvolution`` samples the input at the moved taps. The offset convolution starts at
    zero (offset_weight_initializer / offset_bias_initializer 'zeros'): a plain convolution at first.
    Parameters: offset_weight, offset_bias, deformable_conv_weight, deformable_conv_bias (MXNet's names)."""

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True, in_channels=0, activation=None,
                 weight_initializer=None, bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True, op_name='DeformableConvolution', adj=None,
                 prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                         use_bias, in_channels, activation, weight_initializer, bias_initializer,
                         offset_weight_initializer, offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def _register_params(self):
        self._offset_params()
        self._conv_params()

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        offset = self._offset(F, x, offset_weight, offset_bias)
        return self._deform(F.contrib.DeformableConvolution, deformable_conv_bias, data=x, offset=offset,
                            weight=deformable_conv_weight)

    def _alias(self):
        return 'deformable_conv'


class ModulatedDeformableConvolution(_DeformableBase):
    """2-D modulated deformable convolution, DCN v2 (Zhu et al., 2018, https://arxiv.org/abs/1811.11168): a
    Convolution of the input gives 3 * kernel taps * num_deformable_group channels, the first two thirds the
    offsets, the last third the mask (2 * sigmoid, so a zero-initialized offset convolution starts as a plain
    convolution), fed to ``contrib.ModulatedDeformableConvolution``. Parameters: deformable_conv_weight,
    deformable_conv_bias, offset_weight, offset_bias (MXNet's names and order)."""

    _taps = 3

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True, in_channels=0, activation=None,
                 weight_initializer=None, bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True, op_name='ModulatedDeformableConvolution',
                 adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                         use_bias, in_channels, activation, weight_initializer, bias_initializer,
                         offset_weight_initializer, offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)
        k = self._kwargs_offset['kernel']
        self.offset_split_index = num_deformable_group * 2 * k[0] * k[1]

    def _register_params(self):
        self._conv_params()
        self._offset_params()

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        offset = self._offset(F, x, offset_weight, offset_bias)
        offset_t = F.slice_axis(offset, axis=1, begin=0, end=self.offset_split_index)
        # MXNet passes end=None; mx.sym here drops None-valued attributes, so the end is spelled out
        mask = F.slice_axis(offset, axis=1, begin=self.offset_split_index, end=self._kwargs_offset['num_filter'])
        mask = F.sigmoid(mask) * 2
        return self._deform(F.contrib.ModulatedDeformableConvolution, deformable_conv_bias, data=x,
                            offset=offset_t, mask=mask, weight=deformable_conv_weight)

    def _alias(self):
        return 'modulated_deformable_conv'
