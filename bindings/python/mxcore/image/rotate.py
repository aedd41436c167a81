"""Image rotation (MXNet 1.x's ``mx.image.imrotate`` / ``random_rotate``): C x H x W or
N x C x H x W float32 images turned about their centre, keeping their shape.

Each output pixel samples the input bilinearly (``BilinearSampler``; outside the
image reads 0) at its position rotated by the angle, in coordinates centred on the
image and normalised by the half extents ((W-1)/2, (H-1)/2). ``zoom_out`` shrinks the
image so all of it stays visible; ``zoom_in`` enlarges it so no padding shows; the
factor comes from where the rotated corners of the W x H rectangle land.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..ndarray.ndarray import NDArray, array

__all__ = ['imrotate', 'random_rotate']


def _zoom(angles, h, w, zoom_in, zoom_out):
    """Per-image scale of the sampling grid (1 without zoom)."""
    if not (zoom_in or zoom_out):
        return np.ones_like(angles)
    radius, corner = np.hypot(h, w), np.arctan(h / w)
    a = np.abs(angles)
    reach_x = np.maximum(np.abs(radius * np.cos(corner + a)), np.abs(radius * np.cos(corner - a)))
    reach_y = np.maximum(np.abs(radius * np.sin(corner + a)), np.abs(radius * np.sin(corner - a)))
    if zoom_out:
        return np.maximum(reach_x / w, reach_y / h)
    return np.minimum(w / reach_x, h / reach_y)


def _grid(angles, h, w, zoom_in, zoom_out):
    """The (N, 2, H, W) sampling grid in [-1, 1] coordinates (x first, as BilinearSampler)."""
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64) - cy, np.arange(w, dtype=np.float64) - cx, indexing='ij')
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    scale = _zoom(angles, float(h), float(w), zoom_in, zoom_out)[:, None, None]
    # a centre-size axis (1 pixel) has half extent 0: every pixel samples the middle
    gx = (xs * cos - ys * sin) / (cx or 1.0) * scale
    gy = (xs * sin + ys * cos) / (cy or 1.0) * scale
    return np.stack([gx, gy], axis=1).astype(np.float32)


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotate ``src`` (float32 C x H x W, or N x C x H x W) by ``rotation_degrees``
    (counter-clockwise as displayed): a number, or for a batch an NDArray / sequence of
    one angle per image. Returns the same shape."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if not isinstance(src, NDArray):
        raise TypeError("imrotate: expected an NDArray image, got %s" % type(src).__name__)
    if src.dtype != np.float32:
        raise TypeError("Only `float32` images are supported by this function (got %s); "
                        "convert with ToTensor or astype('float32')" % np.dtype(src.dtype).name)
    single = src.ndim == 3
    if single:
        if not isinstance(rotation_degrees, numbers.Number):
            raise TypeError("When a single image is passed the rotation angle is required to be a scalar.")
        src = src.expand_dims(axis=0)
    elif src.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function (got shape %s)" % (src.shape,))
    n, _, h, w = src.shape
    if isinstance(rotation_degrees, numbers.Number):
        degrees = np.full(n, float(rotation_degrees))
    else:
        degrees = (rotation_degrees.asnumpy() if isinstance(rotation_degrees, NDArray)
                   else np.asarray(rotation_degrees)).astype(np.float64).ravel()
    if len(degrees) != n:
        raise ValueError("The number of images must be equal to the number of rotation angles "
                         "(%d images, %d angles)" % (n, len(degrees)))
    from .. import ndarray as nd
    grid = array(_grid(np.pi * degrees / 180, h, w, zoom_in, zoom_out), ctx=src.context)
    out = nd.BilinearSampler(src, grid)
    return out[0] if single else out


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """imrotate by an angle drawn uniformly from ``angle_limits`` (degrees; numpy's
    global generator, as MXNet), one angle per image of a batch."""
    lo, hi = angle_limits
    if src.ndim == 3:
        return imrotate(src, float(np.random.uniform(lo, hi)), zoom_in=zoom_in, zoom_out=zoom_out)
    return imrotate(src, np.random.uniform(lo, hi, size=src.shape[0]), zoom_in=zoom_in, zoom_out=zoom_out)
