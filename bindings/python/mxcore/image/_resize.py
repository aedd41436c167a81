"""Image resizing in numpy that reproduces OpenCV's ``cv::resize`` (what MXNet calls).

Pillow's resamplers put their taps elsewhere (nearest samples pixel centres,
bilinear/bicubic widen their support when shrinking), so their output can be far
from OpenCV's. This module resamples each axis with OpenCV's taps and weights:

* 0 nearest: source pixel ``floor(dst * src_n / dst_n)``.
* 1 bilinear, 2 bicubic (a = -0.75), 4 Lanczos (8 taps): half-pixel centres,
  ``(dst + 0.5) * scale - 0.5``, borders replicated.
* 3 area: box averaging when neither axis grows; otherwise OpenCV's
  area-flavoured linear interpolation.

For uint8 images it also follows OpenCV's fixed-point arithmetic (11-bit weights,
its rounding in the vertical pass), so the result matches MXNet 1.9.1's pixel for
pixel on every case checked (tests/python/test_image.py). Other dtypes are computed
in floating point with the same taps: equal to OpenCV's float path up to rounding.
The reference is the OpenCV 3.4.2 inside MXNet 1.9.1's wheel; OpenCV 4's "bit-exact"
bilinear rounds differently and can be a level away from both.
"""
from __future__ import annotations

import numpy as np

# OpenCV's interpolation codes.
NEAREST, LINEAR, CUBIC, AREA, LANCZOS4 = 0, 1, 2, 3, 4
_CUBIC_A = -0.75  # OpenCV's bicubic coefficient (Pillow uses -0.5)
_COEF_BITS = 11  # OpenCV's INTER_RESIZE_COEF_BITS: uint8 weights are multiples of 1/2048
_COEF_SCALE = 1 << _COEF_BITS
_f32 = np.float32


# ------------------------------------------------------------------ weights

def _cubic_weights(f):
    """Weights of taps -1, 0, 1, 2 at offsets ``f`` (OpenCV's interpolateCubic, float32)."""
    a, one = _f32(_CUBIC_A), _f32(1)
    f = f.astype(_f32)
    g = one - f
    w0 = ((a * (f + one) - 5 * a) * (f + one) + 8 * a) * (f + one) - 4 * a
    w1 = ((a + 2) * f - (a + 3)) * f * f + one
    w2 = ((a + 2) * g - (a + 3)) * g * g + one
    return np.stack([w0, w1, w2, one - w0 - w1 - w2], axis=1).astype(_f32)


def _lanczos4_weights(f):
    """Weights of taps -3..4 at offsets ``f``: sinc(d) * sinc(d / 4), normalised."""
    d = f.astype(np.float64)[:, None] + 3 - np.arange(8)[None, :]
    w = np.sinc(d) * np.sinc(d / 4)
    return (w / w.sum(axis=1, keepdims=True)).astype(_f32)


def _axis_taps(src_n, dst_n, interp, clamp):
    """Source indices ``(dst_n, taps)`` and float weights along one axis (not area-shrink).

    ``clamp``: OpenCV clamps the sample position of linear modes horizontally but
    not vertically; the value is the same, the fixed-point rounding is not.
    """
    inv_scale = dst_n / src_n
    scale = 1.0 / inv_scale  # derived as OpenCV does; it matters at exact integers
    dst = np.arange(dst_n, dtype=np.float64)
    if interp == NEAREST:
        idx = np.minimum(np.floor(dst * scale).astype(np.int64), src_n - 1)
        return idx[:, None], np.ones((dst_n, 1), _f32)
    if interp == AREA:  # area while enlarging: linear with OpenCV's area offsets
        base = np.floor(dst * scale)
        frac = ((dst + 1) - (base + 1) * inv_scale).astype(_f32)
        frac = np.where(frac <= 0, _f32(0), frac - np.floor(frac)).astype(_f32)
    else:
        pos = ((dst + 0.5) * scale - 0.5).astype(_f32)  # OpenCV keeps it in float32
        base = np.floor(pos)
        frac = (pos - base).astype(_f32)
    base = base.astype(np.int64)
    if interp in (LINEAR, AREA):
        if clamp:
            low, high = base < 0, base >= src_n - 1
            frac = np.where(low | high, _f32(0), frac)
            base = np.where(low, 0, np.where(high, src_n - 1, base))
        weights = np.stack([(_f32(1) - frac).astype(_f32), frac], axis=1)
        return base[:, None] + np.arange(2)[None, :], weights
    if interp == CUBIC:
        return base[:, None] + np.arange(-1, 3)[None, :], _cubic_weights(frac)
    return base[:, None] + np.arange(-3, 5)[None, :], _lanczos4_weights(frac)


def _area_weights(src_n, dst_n):
    """Box filter taps, as OpenCV's computeResizeAreaTab: each output averages the
    source pixels its cell overlaps (overlaps under 1e-3 pixel are ignored)."""
    scale = 1.0 / (dst_n / src_n)
    ntaps = int(np.ceil(scale)) + 1
    idx = np.zeros((dst_n, ntaps), np.int64)
    weights = np.zeros((dst_n, ntaps), _f32)
    for dx in range(dst_n):
        start = dx * scale
        stop = start + scale
        cell = min(scale, src_n - start)
        first = min(int(np.ceil(start)), src_n - 1)
        last = min(int(np.floor(stop)), src_n - 1)
        first = min(first, last)
        taps = []
        if first - start > 1e-3:
            taps.append((first - 1, (first - start) / cell))
        taps += [(sx, 1.0 / cell) for sx in range(first, last)]
        if stop - last > 1e-3:
            taps.append((last, min(stop - last, 1.0, cell) / cell))
        for k, (sx, wt) in enumerate(taps):
            idx[dx, k], weights[dx, k] = sx, wt
        idx[dx, len(taps):] = idx[dx, max(len(taps) - 1, 0)]  # zero-weight padding
    return idx, weights


# ------------------------------------------------------------------ passes

def _gather_sum(img, axis, idx, weights):
    """Sum over taps of ``weights[:, k] * img[idx[:, k]]`` along ``axis`` (border replicated)."""
    idx = np.clip(idx, 0, img.shape[axis] - 1)
    shape = [1] * img.ndim
    shape[axis] = -1
    out = None
    for k in range(idx.shape[1]):
        term = np.take(img, idx[:, k], axis=axis) * weights[:, k].reshape(shape)
        out = term if out is None else out + term
    return out


def _fixed(weights):
    """OpenCV's 11-bit integer weights, each rounded on its own (sums may miss 2048)."""
    return np.rint(weights * _f32(_COEF_SCALE)).astype(np.int64)


def _resize_uint8_taps(img, w, h, interp):
    """Nearest/linear/cubic/Lanczos (and area while enlarging) on uint8, as OpenCV rounds."""
    src_h, src_w = img.shape[:2]
    cols, col_w = _axis_taps(src_w, w, interp, clamp=True)
    rows, row_w = _axis_taps(src_h, h, interp, clamp=False)
    if interp == NEAREST:
        return img[np.ix_(rows[:, 0], cols[:, 0])]
    rows = np.clip(rows, 0, src_h - 1)
    # Horizontal sums are scaled by 2048 and stay under 2**20 in magnitude: int32 is enough.
    horiz = _gather_sum(img.astype(np.int32), 1, cols, _fixed(col_w).astype(np.int32))
    beta = _fixed(row_w)[:, :, None, None].astype(np.int32)
    taps = [horiz[rows[:, k]] for k in range(rows.shape[1])]
    if interp in (LINEAR, AREA):
        # OpenCV's VResizeLinear for uint8: drop 4 bits, multiply, drop 16, round the rest.
        acc = sum((b * (t >> 4)) >> 16 for b, t in zip(np.moveaxis(beta, 1, 0), taps))
        out = (acc + 2) >> 2
    elif interp == CUBIC:
        # The vertical cubic pass runs in float32 (OpenCV's SIMD path), rounding half to even.
        scale = _f32(1.0 / (_COEF_SCALE * _COEF_SCALE))
        acc = None
        for b, t in zip(np.moveaxis(beta, 1, 0), taps):
            term = t.astype(_f32) * (b.astype(_f32) * scale)
            acc = term if acc is None else (acc + term).astype(_f32)
        out = np.rint(acc)
    else:  # Lanczos: a sum of 8 products can pass 2**31, so int64
        acc = sum(b.astype(np.int64) * t for b, t in zip(np.moveaxis(beta, 1, 0), taps))
        out = (acc + (1 << (2 * _COEF_BITS - 1))) >> (2 * _COEF_BITS)
    return np.clip(out, 0, 255).astype(np.uint8)


def _resize_area_shrink(img, w, h):
    """INTER_AREA when neither axis grows."""
    src_h, src_w = img.shape[:2]
    sx, sy = src_w // w, src_h // h
    if img.dtype == np.uint8 and src_w == sx * w and src_h == sy * h:
        # OpenCV's fast path for whole-number factors: integer sums.
        blocks = img[:sy * h, :sx * w].astype(np.int64).reshape(h, sy, w, sx, -1)
        total = blocks.sum(axis=(1, 3))
        if sx == sy == 2:
            return ((total + 2) >> 2).astype(np.uint8)
        return np.clip(np.rint(total.astype(_f32) * _f32(1.0 / (sx * sy))), 0, 255).astype(np.uint8)
    # General factors: float32 sums in OpenCV's order (it keeps float32 for uint8 too).
    cols, col_w = _area_weights(src_w, w)
    rows, row_w = _area_weights(src_h, h)
    work = img.astype(_f32) if img.dtype in (np.uint8, np.float32) else img.astype(np.float64)
    out = _gather_sum(_gather_sum(work, 1, cols, col_w.astype(work.dtype)), 0, rows,
                      row_w.astype(work.dtype))
    return _cast_like(out, img.dtype)


def _resize_float(img, w, h, interp):
    """Any other dtype: the same taps, float64 arithmetic."""
    src_h, src_w = img.shape[:2]
    cols, col_w = _axis_taps(src_w, w, interp, clamp=True)
    rows, row_w = _axis_taps(src_h, h, interp, clamp=True)
    if interp == NEAREST:
        return img[np.ix_(rows[:, 0], cols[:, 0])]
    work = img.astype(np.float64)
    out = _gather_sum(_gather_sum(work, 1, cols, col_w.astype(np.float64)), 0, rows,
                      row_w.astype(np.float64))
    return _cast_like(out, img.dtype)


def _cast_like(out, dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(dtype)


def resize_array(img, w, h, interp):
    """Resize the numpy image ``img`` (H x W x C) to ``h`` x ``w``; the dtype is kept."""
    if interp not in (NEAREST, LINEAR, CUBIC, AREA, LANCZOS4):
        raise ValueError('Unknown interp method %r: expected 0 (nearest), 1 (bilinear), '
                         '2 (bicubic), 3 (area) or 4 (Lanczos)' % (interp,))
    if img.ndim == 2:
        return resize_array(img[:, :, None], w, h, interp)[:, :, 0]
    src_h, src_w = img.shape[:2]
    if (src_w, src_h) == (w, h):
        return img.copy()  # OpenCV copies too
    # OpenCV's shortcut: halving both sides with bilinear is a 2x2 box average.
    if interp == LINEAR and src_w == 2 * w and src_h == 2 * h:
        interp = AREA
    if interp == AREA and src_w >= w and src_h >= h:
        out = _resize_area_shrink(img, w, h)
    elif img.dtype == np.uint8:
        out = _resize_uint8_taps(img, w, h, interp)
    else:
        out = _resize_float(img, w, h, interp)
    return np.ascontiguousarray(out)
