"""Box outlines drawn in numpy with OpenCV's pixel pattern, for ``ImageDetIter.draw_next``.

MXNet draws with ``cv2.rectangle``; mxcore does not depend on OpenCV. An outline of
thickness t > 1 is OpenCV's: every pixel within ceil(t / 2) of an edge, so the
corners come out rounded; thickness 1 is the one-pixel outline, and a negative
thickness fills the box. Colours are rounded and saturated to uint8 as OpenCV does.
"""
from __future__ import annotations

import numpy as np

__all__ = ['draw_rectangle']


def _near_box(ys, xs, p0, p1, radius):
    """Mask of the pixels within ``radius`` of the axis-aligned box with corners p0, p1 ((x, y)).

    An edge of the outline is a box of zero width or height."""
    x_lo, x_hi = sorted((p0[0], p1[0]))
    y_lo, y_hi = sorted((p0[1], p1[1]))
    dx = np.maximum(0, np.maximum(x_lo - xs, xs - x_hi))
    dy = np.maximum(0, np.maximum(y_lo - ys, ys - y_hi))
    return dx * dx + dy * dy <= radius * radius


def draw_rectangle(image, pt1, pt2, color, thickness=1):
    """Draw the box with corners ``pt1``, ``pt2`` ((x, y) ints) on ``image`` (H x W x C uint8) in place."""
    if thickness == 0:
        raise ValueError('draw_rectangle: thickness must be non-zero (negative fills), got 0')
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    (x1, y1), (x2, y2) = pt1, pt2
    if thickness < 0:
        mask = _near_box(ys, xs, pt1, pt2, 0)
    else:
        radius = 0 if thickness == 1 else (thickness + 1) // 2
        corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
        mask = np.zeros((height, width), dtype=bool)
        for k in range(4):
            mask |= _near_box(ys, xs, corners[k], corners[(k + 1) % 4], radius)
    channels = image.shape[2] if image.ndim == 3 else 1
    value = np.clip(np.rint(np.asarray(color, dtype=np.float64)[:channels]), 0, 255).astype(image.dtype)
    fill = np.zeros(channels, dtype=image.dtype)
    fill[:value.size] = value
    image[mask] = fill if image.ndim == 3 else fill[0]
    return image
