"""Basic image transforms (HWC uint8 in, CHW float32 out) — numpy underneath."""
from __future__ import annotations

import numpy as np

from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential


def _nd():
    from .... import ndarray as nd
    return nd


def _np(x):
    return x.asnumpy() if hasattr(x, 'asnumpy') else np.asarray(x)


class Compose(Sequential):
    """Applies transforms in order."""

    def __init__(self, transforms):
        super().__init__()
        with self.name_scope():
            for t in transforms:
                self.add(t)


class Cast(HybridBlock):
    def __init__(self, dtype='float32'):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return x.astype(self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) or (N, H, W, C) in [0, 255] -> (C, H, W) / (N, C, H, W) float32 in [0, 1]."""

    def hybrid_forward(self, F, x):
        a = _np(x).astype('float32') / 255.0
        if a.ndim == 3:
            a = a.transpose(2, 0, 1)
        elif a.ndim == 4:
            a = a.transpose(0, 3, 1, 2)
        elif a.ndim == 2:
            a = a[None]
        return _nd().array(np.ascontiguousarray(a), dtype='float32')


class Normalize(HybridBlock):
    """(x - mean) / std per channel of a CHW (or NCHW) tensor."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F, x):
        a = _np(x).astype('float32')
        c_axis = 0 if a.ndim == 3 else 1
        shape = [1] * a.ndim
        shape[c_axis] = -1
        mean = np.asarray(self._mean, dtype='float32').reshape(shape) \
            if np.ndim(self._mean) else np.float32(self._mean)
        std = np.asarray(self._std, dtype='float32').reshape(shape) \
            if np.ndim(self._std) else np.float32(self._std)
        return _nd().array((a - mean) / std, dtype='float32')


def _resize_np(a, w, h, interp=1):
    ih, iw = a.shape[0], a.shape[1]
    if interp == 0:
        ys = np.minimum((np.arange(h) * ih / h).astype(int), ih - 1)
        xs = np.minimum((np.arange(w) * iw / w).astype(int), iw - 1)
        return a[ys][:, xs]
    fy = (np.arange(h) + 0.5) * ih / h - 0.5
    fx = (np.arange(w) + 0.5) * iw / w - 0.5
    fy = np.clip(fy, 0, ih - 1)
    fx = np.clip(fx, 0, iw - 1)
    y0 = np.floor(fy).astype(int)
    x0 = np.floor(fx).astype(int)
    y1 = np.minimum(y0 + 1, ih - 1)
    x1 = np.minimum(x0 + 1, iw - 1)
    wy = (fy - y0)[:, None]
    wx = (fx - x0)[None, :]
    af = a.astype('float32')
    if af.ndim == 3:
        wy = wy[..., None]
        wx = wx[..., None]
    top = af[y0][:, x0] * (1 - wx) + af[y0][:, x1] * wx
    bot = af[y1][:, x0] * (1 - wx) + af[y1][:, x1] * wx
    out = top * (1 - wy) + bot * wy
    if a.dtype == np.uint8:
        out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return out.astype(a.dtype)


class Resize(Block):
    """Resize an HWC image to ``size`` (w, h) or a square ``size``."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._size = size
        self._keep = keep_ratio
        self._interp = interpolation

    def forward(self, x):
        a = _np(x)
        if isinstance(self._size, int):
            if self._keep:
                h, w = a.shape[0], a.shape[1]
                if h < w:
                    nh, nw = self._size, int(w * self._size / h)
                else:
                    nw, nh = self._size, int(h * self._size / w)
            else:
                nw = nh = self._size
        else:
            nw, nh = self._size
        return _nd().array(_resize_np(a, nw, nh, self._interp), dtype=a.dtype)


class CenterCrop(Block):
    def __init__(self, size, interpolation=1):
        super().__init__()
        self._size = (size, size) if isinstance(size, int) else size

    def forward(self, x):
        a = _np(x)
        w, h = self._size
        y0 = max(0, (a.shape[0] - h) // 2)
        x0 = max(0, (a.shape[1] - w) // 2)
        return _nd().array(a[y0:y0 + h, x0:x0 + w], dtype=a.dtype)


class RandomFlipLeftRight(HybridBlock):
    """Flip an HWC image horizontally with probability 0.5 (numpy RNG)."""

    def hybrid_forward(self, F, x):
        a = _np(x)
        if np.random.rand() < 0.5:
            a = a[:, ::-1]
        return _nd().array(np.ascontiguousarray(a), dtype=a.dtype)


class RandomFlipTopBottom(HybridBlock):
    def hybrid_forward(self, F, x):
        a = _np(x)
        if np.random.rand() < 0.5:
            a = a[::-1]
        return _nd().array(np.ascontiguousarray(a), dtype=a.dtype)


_ = HybridSequential
