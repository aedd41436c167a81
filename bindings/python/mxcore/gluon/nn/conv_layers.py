"""Convolution, transposed convolution, pooling and padding layers."""
from __future__ import annotations

import numpy as np

from ..block import HybridBlock
from .basic_layers import Activation


def _tuple(x, n):
    if isinstance(x, (int, np.integer)):
        return (int(x),) * n
    x = tuple(int(v) for v in x)
    if len(x) != n:
        raise ValueError('expected a tuple of %d values, got %s' % (n, x))
    return x


def _conv_repr(block, kwargs, weight, bias):
    """MXNet's repr of a convolution layer: 'Conv2D(3 -> 8, kernel_size=(3, 3), stride=(1, 1), ...)'."""
    s = '{name}({mapping}, kernel_size={kernel}, stride={stride}'
    len_kernel_size = len(kwargs['kernel'])
    if kwargs['pad'] != (0,) * len_kernel_size:
        s += ', padding={pad}'
    if kwargs['dilate'] != (1,) * len_kernel_size:
        s += ', dilation={dilate}'
    if kwargs['num_group'] != 1:
        s += ', groups={num_group}'
    if bias is None:
        s += ', bias=False'
    if block.act:
        s += ', {}'.format(block.act)
    s += ')'
    shape = weight.shape
    return s.format(name=block.__class__.__name__,
                    mapping='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]), **kwargs)


_CHANNEL_LAST = ('NWC', 'NHWC', 'NDHWC')
# The layouts MXNet 1.9.1's Gluon layers accept (its assertions and messages)
_CONV_LAYOUTS = {1: (('NCW',), "Only supports 'NCW' layout for now"),
                 2: (('NCHW', 'NHWC'), "Only supports 'NCHW' and 'NHWC' layout for now"),
                 3: (('NCDHW', 'NDHWC'), "Only supports 'NCDHW' and 'NDHWC' layout for now")}
_POOL_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


class _Conv(HybridBlock):
    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', op_name='Convolution', adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        n = len(kernel_size)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._layout = layout
            self._groups = groups
            self._op_name = op_name
            self._kwargs = {
                'kernel': kernel_size, 'stride': _tuple(strides, n),
                'dilate': _tuple(dilation, n), 'pad': _tuple(padding, n),
                'num_filter': channels, 'num_group': groups, 'no_bias': not use_bias,
                'layout': layout}
            if adj is not None:
                self._kwargs['adj'] = _tuple(adj, n)
            self.weight = self.params.get('weight', shape=self._wshape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(channels,),
                                            init=bias_initializer, allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')
            else:
                self.act = None

    def _wshape(self, in_channels):
        """MXNet's weight shape: Convolution (channels, in/groups, kernel...), Deconvolution
        (in, channels/groups, kernel...); channel-last layouts move the second axis last."""
        k = tuple(self._kwargs['kernel'])
        if self._op_name == 'Convolution':
            a, b = self._channels, in_channels // self._groups if in_channels else 0
        else:
            a, b = in_channels, self._channels // self._groups
        return (a,) + k + (b,) if self._layout in _CHANNEL_LAST else (a, b) + k

    def _infer_param_shapes(self, x, *args):
        c = int(x.shape[1]) if self._layout.startswith('NC') else int(x.shape[-1])
        self.weight.shape = self._wshape(c)

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        kw = dict(self._kwargs)
        if kw['layout'] in ('NCW', 'NCHW', 'NCDHW'):
            kw.pop('layout')
        if bias is None:
            out = op(x, weight, name='fwd', **kw)
        else:
            out = op(x, weight, bias, name='fwd', **kw)
        if self.act is not None:
            out = self.act(out)
        return out

    def _alias(self):
        return 'conv'

    def __repr__(self):
        return _conv_repr(self, self._kwargs, self.weight, self.bias)


def _mk_conv(n, default_layout, transpose=False):
    def __init__(self, channels, kernel_size, strides=1, padding=0, *rest, **kwargs):
        # Positional order follows MXNet: [output_padding,] dilation, groups, layout, ...
        names = (['output_padding'] if transpose else []) + [
            'dilation', 'groups', 'layout', 'activation', 'use_bias', 'weight_initializer',
            'bias_initializer', 'in_channels']
        for nm, v in zip(names, rest):
            kwargs[nm] = v
        output_padding = kwargs.pop('output_padding', 0)
        dilation = kwargs.pop('dilation', 1)
        groups = kwargs.pop('groups', 1)
        layout = kwargs.pop('layout', default_layout)
        in_channels = kwargs.pop('in_channels', 0)
        activation = kwargs.pop('activation', None)
        use_bias = kwargs.pop('use_bias', True)
        weight_initializer = kwargs.pop('weight_initializer', None)
        bias_initializer = kwargs.pop('bias_initializer', 'zeros')
        kernel_size = _tuple(kernel_size, n)
        valid, msg = _CONV_LAYOUTS[n]
        assert layout in valid, msg
        _Conv.__init__(self, channels, kernel_size, strides, padding, dilation, groups,
                       layout, in_channels, activation, use_bias, weight_initializer,
                       bias_initializer,
                       op_name='Deconvolution' if transpose else 'Convolution',
                       adj=output_padding if transpose else None, **kwargs)
    return __init__


class Conv1D(_Conv):
    __init__ = _mk_conv(1, 'NCW')


class Conv2D(_Conv):
    __init__ = _mk_conv(2, 'NCHW')


class Conv3D(_Conv):
    __init__ = _mk_conv(3, 'NCDHW')


class Conv1DTranspose(_Conv):
    __init__ = _mk_conv(1, 'NCW', True)


class Conv2DTranspose(_Conv):
    __init__ = _mk_conv(2, 'NCHW', True)


class Conv3DTranspose(_Conv):
    __init__ = _mk_conv(3, 'NCDHW', True)


class _Pooling(HybridBlock):
    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        n = len(pool_size)
        if strides is None:
            strides = pool_size
        self._kwargs = {
            'kernel': pool_size, 'stride': _tuple(strides, n), 'pad': _tuple(padding, n),
            'global_pool': global_pool, 'pool_type': pool_type,
            'pooling_convention': 'full' if ceil_mode else 'valid'}
        self._layout = layout
        valid = _POOL_LAYOUTS[n]
        assert layout in valid, 'Only %s and %s layouts are valid for %dD Pooling' % (valid + (n,))
        if layout in _CHANNEL_LAST:
            self._kwargs['layout'] = layout
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        s = '{name}(size={kernel}, stride={stride}, padding={pad}, ceil_mode={ceil_mode}'
        s += ', global_pool={global_pool}, pool_type={pool_type}, layout={layout})'
        kw = dict(self._kwargs, layout=self._layout)
        return s.format(name=self.__class__.__name__,
                        ceil_mode=self._kwargs['pooling_convention'] == 'full', **kw)


def _mk_pool(n, layout_default, pool_type, glob=False):
    if glob:
        def __init__(self, layout=layout_default, **kwargs):
            _Pooling.__init__(self, (1,) * n, None, 0, True, True, pool_type, layout,
                              **kwargs)
        return __init__

    def __init__(self, pool_size=2, strides=None, padding=0, layout=layout_default,
                 ceil_mode=False, *rest, **kwargs):
        if pool_type == 'avg':
            count_include_pad = rest[0] if rest else kwargs.pop('count_include_pad', True)
        else:
            count_include_pad = None
        pool_size = _tuple(pool_size, n)
        if strides is not None:
            strides = _tuple(strides, n)
        _Pooling.__init__(self, pool_size, strides, padding, ceil_mode, False, pool_type,
                          layout, count_include_pad, **kwargs)
    return __init__


class MaxPool1D(_Pooling):
    __init__ = _mk_pool(1, 'NCW', 'max')


class MaxPool2D(_Pooling):
    __init__ = _mk_pool(2, 'NCHW', 'max')


class MaxPool3D(_Pooling):
    __init__ = _mk_pool(3, 'NCDHW', 'max')


class AvgPool1D(_Pooling):
    __init__ = _mk_pool(1, 'NCW', 'avg')


class AvgPool2D(_Pooling):
    __init__ = _mk_pool(2, 'NCHW', 'avg')


class AvgPool3D(_Pooling):
    __init__ = _mk_pool(3, 'NCDHW', 'avg')


class GlobalMaxPool1D(_Pooling):
    __init__ = _mk_pool(1, 'NCW', 'max', True)


class GlobalMaxPool2D(_Pooling):
    __init__ = _mk_pool(2, 'NCHW', 'max', True)


class GlobalMaxPool3D(_Pooling):
    __init__ = _mk_pool(3, 'NCDHW', 'max', True)


class GlobalAvgPool1D(_Pooling):
    __init__ = _mk_pool(1, 'NCW', 'avg', True)


class GlobalAvgPool2D(_Pooling):
    __init__ = _mk_pool(2, 'NCHW', 'avg', True)


class GlobalAvgPool3D(_Pooling):
    __init__ = _mk_pool(3, 'NCDHW', 'avg', True)


class ReflectionPad2D(HybridBlock):
    """Pads H and W of an NCHW tensor by reflection."""

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, (int, np.integer)):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            raise ValueError('padding must be an int or an 8-tuple')
        self._padding = tuple(padding)

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
