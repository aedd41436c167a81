"""Contributed Gluon layers (``gluon.contrib.nn``): Concurrent / HybridConcurrent,
Identity, SyncBatchNorm and PixelShuffle1D/2D/3D."""
from __future__ import annotations

import warnings

from ....base import MXNetError
from ...block import HybridBlock
from ...nn import BatchNorm, HybridSequential, Identity, Sequential

__all__ = ['Concurrent', 'HybridConcurrent', 'Identity', 'SyncBatchNorm', 'PixelShuffle1D',
           'PixelShuffle2D', 'PixelShuffle3D']


class Concurrent(Sequential):
    """Feeds the same input to every child and concatenates their outputs on ``axis``.

    Example: ``net = Concurrent(axis=1); net.add(nn.Dense(10), nn.Dense(20), Identity())``.
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        from .... import ndarray as nd
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Hybridizable Concurrent: every child (a HybridBlock) runs on the same input and the
    outputs are concatenated on ``axis``."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    # HybridSequential.forward chains the children; run hybrid_forward instead
    forward = HybridBlock.forward

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class SyncBatchNorm(BatchNorm):
    """Cross-device synchronized batch normalization (channels on axis 1).

    mxcore runs one process, and a Gluon forward on several contexts normalizes each
    context's slice on its own: this layer therefore behaves exactly as
    ``nn.BatchNorm(axis=1)`` (statistics of the batch it is given, same parameters and
    running statistics). ``num_devices`` is accepted for MXNet compatibility; values above
    1 get a warning that the statistics are not synchronized across devices.
    """

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5,
                 center=True, scale=True, use_global_stats=False, beta_initializer='zeros',
                 gamma_initializer='ones', running_mean_initializer='zeros',
                 running_variance_initializer='ones', **kwargs):
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, use_global_stats=use_global_stats,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)
        if num_devices is None:
            num_devices = 1
        if int(num_devices) < 1:
            raise ValueError('SyncBatchNorm: num_devices must be >= 1, got %r' % (num_devices,))
        if int(num_devices) > 1:
            warnings.warn('SyncBatchNorm: num_devices=%d, but mxcore does not synchronize '
                          'batch statistics across devices; each device normalizes its own '
                          'slice of the batch (as nn.BatchNorm)' % int(num_devices),
                          UserWarning, stacklevel=2)
        self._num_devices = int(num_devices)

    def __repr__(self):
        # MXNet's text: its SyncBatchNorm op's settings (no axis; ndev, key), then in_channels.
        shown = {k: v for k, v in self._kwargs.items() if k != 'axis'}
        shown.update(ndev=self._num_devices, key=self.prefix)
        in_channels = self.gamma.shape[0]
        return '%s(%s, in_channels=%r)' % (type(self).__name__,
                                           ', '.join('%s=%r' % kv for kv in shown.items()),
                                           in_channels if in_channels else None)


def _factors(layer, factor, ndim):
    """``factor`` (int or ``ndim`` ints) as a tuple of positive ints."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != ndim:
            raise ValueError('%s: factor must be an int or a tuple of %d ints, got %r'
                             % (layer, ndim, factor))
        out = tuple(factor)
    else:
        out = (factor,) * ndim
    try:
        out = tuple(int(f) for f in out)
    except (TypeError, ValueError):
        raise ValueError('%s: factor must be an int or a tuple of %d ints, got %r'
                         % (layer, ndim, factor)) from None
    if any(f < 1 for f in out):
        raise ValueError('%s: factors must be positive, got %r' % (layer, factor))
    return out


class _PixelShuffle(HybridBlock):
    """(N, C*f1*...*fk, S1, ..., Sk) -> (N, C, S1*f1, ..., Sk*fk): each group of
    f1*...*fk channels becomes an f1 x ... x fk block of pixels (channel index
    c*f1*..*fk + i1*(f2*..*fk) + ... + ik lands at pixel (s1*f1 + i1, ..., sk*fk + ik))."""

    _ndim = 0

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self._factors = _factors(type(self).__name__, factor, self._ndim)

    def _check_shape(self, shape):
        # MXNetError, as MXNet's reshape raises (and what a hybridized trace raises too);
        # shape is None for a free symbol outside a trace: the reshape op checks then
        if shape is None:
            return
        name, k = type(self).__name__, self._ndim
        if len(shape) != k + 2:
            raise MXNetError('%s: expected a %d-D input (N, C, %s), got shape %s'
                             % (name, k + 2, ', '.join('DHW'[3 - k:]), tuple(shape)))
        group = 1
        for f in self._factors:
            group *= f
        if shape[1] % group:
            raise MXNetError('%s: the %d input channels are not divisible by the product of '
                             'the factors %s (%d); input shape %s'
                             % (name, shape[1], self._factors, group, tuple(shape)))

    def hybrid_forward(self, F, x):
        self._check_shape(getattr(x, 'shape', None))
        f, k = self._factors, self._ndim
        group = 1
        for v in f:
            group *= v
        # (N, C*F, S..) -> (N, C, F, S..), F = f1*..*fk
        x = F.reshape(x, shape=(0, -4, -1, group) + (0,) * k)
        if k == 3:
            return self._shuffle_3d(F, x, f, group)
        # split F into f1, ..., fk: axis 2+i holds fi * (f_{i+1}*..*fk)
        rest = group
        for i in range(k - 1):
            rest //= f[i]
            x = F.reshape(x, shape=(0,) * (2 + i) + (-4, f[i], rest) + (0,) * k)
        # (N, C, f1..fk, S1..Sk) -> (N, C, S1, f1, ..., Sk, fk)
        axes = (0, 1) + sum(((2 + k + i, 2 + i) for i in range(k)), ())
        x = F.transpose(x, axes=axes)
        # merge each (Si, fi) pair
        return F.reshape(x, shape=(0, 0) + (-3,) * k)

    @staticmethod
    def _shuffle_3d(F, x, f, group):
        """(N, C, F, D, H, W) -> (N, C, D*f1, H*f2, W*f3) with swapaxes and reshapes of
        at most 7 dims (MXNet's transpose takes at most 6, so an 8-D transpose would
        export a graph MXNet cannot run): each spatial axis in turn takes its factor."""
        rest = group
        for i in range(3):
            a = 2 + i   # the remaining factors sit at axis a, the next spatial axis after it
            x = F.swapaxes(x, dim1=a, dim2=a + 1)
            tail = 2 - i
            if i < 2:
                rest //= f[i]
                x = F.reshape(x, shape=(0,) * (a + 1) + (-4, f[i], rest) + (0,) * tail)
                tail += 1
            x = F.reshape(x, shape=(0,) * a + (-3,) + (0,) * tail)
        return x

    def __repr__(self):
        shown = self._factors[0] if self._ndim == 1 else self._factors
        return '{}({})'.format(self.__class__.__name__, shown)


class PixelShuffle1D(_PixelShuffle):
    """Pixel shuffle in 1-D: (N, f*C, W) -> (N, C, W*f). ``factor``: int or 1-tuple."""

    _ndim = 1


class PixelShuffle2D(_PixelShuffle):
    """Pixel shuffle in 2-D (sub-pixel upsampling, Shi et al. 2016):
    (N, f1*f2*C, H, W) -> (N, C, H*f1, W*f2). ``factor``: int or (f1, f2)."""

    _ndim = 2


class PixelShuffle3D(_PixelShuffle):
    """Pixel (voxel) shuffle in 3-D: (N, f1*f2*f3*C, D, H, W) -> (N, C, D*f1, H*f2, W*f3).
    ``factor``: int or (f1, f2, f3)."""

    _ndim = 3
