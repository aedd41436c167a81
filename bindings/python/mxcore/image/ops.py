"""Image geometry and pixel operations: crops, short-side resize, normalisation, borders.

All take and return H x W x C NDArrays, as MXNet's do (numpy images are accepted and
turned into NDArrays). Crop rectangles are ``(x0, y0, w, h)``: x is the column, y
the row. Random choices use Python's ``random`` module, as MXNet does, so
``random.seed`` makes them repeatable.
"""
from __future__ import annotations

import numbers
import random

import numpy as np

from ..ndarray.ndarray import NDArray, array
from .codec import _as_numpy, imresize

__all__ = ['scale_down', 'resize_short', 'fixed_crop', 'center_crop', 'random_crop',
           'random_size_crop', 'color_normalize', 'copyMakeBorder']


def _nd(src):
    """``src`` as an NDArray (MXNet's image functions only take NDArrays)."""
    if isinstance(src, NDArray):
        return src
    if isinstance(src, np.ndarray):
        return array(src, dtype=src.dtype)
    raise TypeError('expected an image as NDArray or numpy.ndarray (H x W x C), got %s'
                    % type(src).__name__)


def _hwc(src, what):
    if len(src.shape) != 3:
        raise ValueError('%s: expected an H x W x C image, got shape %s' % (what, tuple(src.shape)))
    return src.shape


def _get_interp_method(interp, sizes=()):
    """Resolve MXNet's extra interpolation codes to OpenCV's 0-4.

    9 picks by direction (``sizes`` = (old_h, old_w, new_h, new_w)): bicubic when
    both sides grow, area when both shrink, bilinear otherwise (bicubic without
    sizes). 10 picks one of 0-4 at random (``random.randint``).
    """
    if interp == 9:
        if not sizes:
            return 2
        if len(sizes) != 4:
            raise ValueError('sizes must be (old_h, old_w, new_h, new_w), got %r' % (sizes,))
        old_h, old_w, new_h, new_w = sizes
        if new_h > old_h and new_w > old_w:
            return 2
        if new_h < old_h and new_w < old_w:
            return 3
        return 1
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError('Unknown interp method %r: expected 0 (nearest), 1 (bilinear), '
                         '2 (bicubic), 3 (area), 4 (Lanczos), 9 (auto) or 10 (random)' % (interp,))
    return interp


def scale_down(src_size, size):
    """Shrink the crop ``size`` (w, h) to fit in ``src_size`` (w, h), keeping its aspect.

    >>> scale_down((640, 480), (720, 120))
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def resize_short(src, size, interp=2):
    """Resize so that the shorter side is ``size``; the longer one keeps the aspect ratio
    (rounded down). ``interp``: see ``imresize``, plus 9 (auto) and 10 (random)."""
    src = _nd(src)
    h, w, _ = _hwc(src, 'resize_short')
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crop the ``w`` x ``h`` rectangle at column ``x0``, row ``y0``; then resize it to
    ``size`` (w, h) if given and different."""
    src = _nd(src)
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = imresize(out, *size, interp=_get_interp_method(interp, sizes))
    return out


def center_crop(src, size, interp=2):
    """Crop the centre of ``src`` to ``size`` (w, h), scaling the crop down (and the
    result back up) when the image is smaller than ``size``.

    Returns ``(image, (x0, y0, w, h))``, the rectangle taken from ``src``.
    """
    src = _nd(src)
    h, w, _ = _hwc(src, 'center_crop')
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_crop(src, size, interp=2):
    """Crop ``size`` (w, h) at a random place (``random.randint``), as ``center_crop``
    otherwise. Returns ``(image, (x0, y0, w, h))``."""
    src = _nd(src)
    h, w, _ = _hwc(src, 'random_crop')
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crop a random area fraction and aspect ratio, then resize to ``size`` (w, h).

    ``area`` is the (min, max) fraction of the image area, or just the min (max 1);
    ``ratio`` the (min, max) aspect ratio w/h, drawn log-uniformly. After 10 tries
    that do not fit it falls back to ``center_crop``. Returns ``(image, (x0, y0, w, h))``.
    """
    src = _nd(src)
    h, w, _ = _hwc(src, 'random_size_crop')
    if 'min_area' in kwargs:  # MXNet's deprecated spelling
        area = kwargs.pop('min_area')
    if kwargs:
        raise TypeError('random_size_crop: unexpected keyword arguments %s' % sorted(kwargs))
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    src_area = h * w
    log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
    # The draws (and their order) are MXNet's, so a seeded run picks the same crops.
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def color_normalize(src, mean, std=None):
    """``(src - mean) / std`` per channel, computed IN PLACE on ``src`` as MXNet does
    (so ``src`` should be float). ``mean``/``std``: NDArray, array-like or scalar, or None."""
    src = _nd(src)
    if mean is not None:
        src -= _operand(mean)
    if std is not None:
        src /= _operand(std)
    return src


def _operand(value):
    if isinstance(value, (NDArray, numbers.Number)):
        return value
    return array(np.asarray(value, dtype=np.float32))


# OpenCV's border types and the numpy.pad modes that produce them.
_BORDER_MODES = {0: 'constant', 1: 'edge', 2: 'symmetric', 3: 'wrap', 4: 'reflect'}


def copyMakeBorder(src, top, bot, left, right, type=0, value=0.0, values=(), out=None):
    """Pad ``src`` (H x W x C) by ``top``/``bot`` rows and ``left``/``right`` columns.

    ``type`` follows OpenCV: 0 constant, 1 replicate (aaa|abc|ccc), 2 reflect
    (cba|abc|cba), 3 wrap (abc|abc|abc), 4 reflect-101 (dcb|abcd|cba). A constant
    border is ``values`` per channel (missing channels 0) or else ``value`` everywhere.
    OpenCV's BORDER_ISOLATED flag (16) may be added to the type; a whole image has no
    surroundings to isolate from, so it changes nothing.
    """
    img = _as_numpy(src, 'copyMakeBorder')
    if img.ndim != 3:
        raise ValueError('copyMakeBorder: expected an H x W x C image, got shape %s' % (img.shape,))
    if isinstance(type, numbers.Integral) and type & 16:
        type &= ~16
    if type not in _BORDER_MODES:
        raise ValueError('copyMakeBorder: type must be 0 (constant), 1 (replicate), 2 (reflect), '
                         '3 (wrap) or 4 (reflect-101), got %r' % (type,))
    pads = ((top, bot), (left, right), (0, 0))
    if min(top, bot, left, right) < 0:
        raise ValueError('copyMakeBorder: margins must be >= 0, got %r' % ((top, bot, left, right),))
    if type == 0:
        channels = img.shape[2]
        fill = np.full(channels, value, dtype=np.float64)
        if len(values):
            fill[:] = 0
            fill[:min(len(values), channels)] = values[:channels]
        res = np.empty((img.shape[0] + top + bot, img.shape[1] + left + right, channels), img.dtype)
        res[...] = fill.astype(img.dtype)
        res[top:top + img.shape[0], left:left + img.shape[1]] = img
    else:
        res = np.pad(img, pads, mode=_BORDER_MODES[type])
    if out is None:
        return array(res, dtype=res.dtype)
    out[:] = res
    return out
