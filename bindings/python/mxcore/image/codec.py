"""Decode, read and resize images: ``imdecode``, ``imread``, ``imresize``.

MXNet does these with OpenCV; mxcore decodes with Pillow and resizes in numpy
(``_resize``). Decoded pixels match OpenCV's for PNG and for baseline JPEG (both
libraries use libpng/libjpeg underneath), grayscale conversion included: it uses
the formula OpenCV's decoder for that format uses, not Pillow's.
"""
from __future__ import annotations

import io
import numbers
import os

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, array
from ._resize import resize_array

__all__ = ['ImageDecodeError', 'imdecode', 'imread', 'imresize']


class ImageDecodeError(MXNetError):
    """The bytes are not an image Pillow can decode (MXNet raises MXNetError too)."""


def _pil_image():
    """Pillow's Image module: mxcore has no image codec of its own (MXNet uses OpenCV)."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError('mx.image decodes images with Pillow, which is not installed: '
                          'pip install pillow') from err
    return Image


def _as_numpy(src, what):
    """The pixels of an NDArray or numpy image, as numpy."""
    if isinstance(src, NDArray):
        return src.asnumpy()
    if isinstance(src, np.ndarray):
        return src
    raise TypeError('%s: expected an image as NDArray or numpy.ndarray (H x W x C), got %s'
                    % (what, type(src).__name__))


def _to_bytes(buf):
    """Encoded image bytes from bytes, bytearray, memoryview, numpy or NDArray buffers."""
    if isinstance(buf, NDArray):
        buf = buf.asnumpy()
    if isinstance(buf, np.ndarray):
        return np.ascontiguousarray(buf).tobytes()  # MXNet reads the raw buffer too
    if isinstance(buf, (bytes, bytearray, memoryview)):
        return bytes(buf)
    if isinstance(buf, str):
        raise ValueError('imdecode: buf must be bytes, bytearray, numpy.ndarray or NDArray of '
                         'encoded image data, got str; read the file in binary mode or encode it')
    raise ValueError('imdecode: buf must be bytes, bytearray, numpy.ndarray or NDArray of '
                     'encoded image data, got %s' % type(buf).__name__)


def _check_flag(flag):
    # MXNet's flag is an int >= 0: 0 gray, anything else color.
    if not isinstance(flag, numbers.Integral) or flag < 0:
        raise ValueError('imdecode/imread: flag must be 0 (grayscale, H x W x 1) or 1 (color, '
                         'H x W x 3), got %r' % (flag,))


def _png_gray(rgb):
    """libpng's RGB -> gray (what OpenCV's PNG decoder asks for): truncating 15-bit fixed
    point. OpenCV passes 0.299/0.587, which libpng truncates to 9797/19234 of 32768 and gives
    blue the rest (3737); matches MXNet 1.9.1 on every pixel of a random 200x300 image."""
    rgb = rgb.astype(np.uint32)
    return ((9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2]) >> 15).astype(np.uint8)


def _cv_gray(rgb):
    """OpenCV's cvtColor RGB -> gray: 14-bit fixed point, rounded."""
    rgb = rgb.astype(np.uint32)
    return ((4899 * rgb[..., 0] + 9617 * rgb[..., 1] + 1868 * rgb[..., 2] + 8192) >> 14).astype(np.uint8)


def _decode_pixels(data, gray):
    """Decode ``data`` into an RGB (H x W x 3) or gray (H x W) uint8 numpy array."""
    image_mod = _pil_image()
    if not data:
        raise ImageDecodeError('imdecode: expected encoded image bytes (JPEG, PNG, ...), got an '
                               'empty buffer')
    try:
        with image_mod.open(io.BytesIO(data)) as pil:
            fmt = pil.format
            if gray and fmt == 'JPEG':
                pil.draft('L', pil.size)  # libjpeg's own luma, as OpenCV gets it
            if pil.mode.startswith('I;16') or pil.mode == 'I':
                # 16-bit gray: OpenCV keeps the high byte (png_set_strip_16)
                arr = (np.asarray(pil, dtype=np.uint32) >> 8).astype(np.uint8)
            elif pil.mode in ('L', '1', 'LA') or (gray and fmt == 'JPEG'):
                arr = np.asarray(pil.convert('L'), dtype=np.uint8)
            else:
                arr = np.asarray(pil.convert('RGB'), dtype=np.uint8)  # alpha dropped, as OpenCV
    except image_mod.UnidentifiedImageError:
        raise ImageDecodeError('imdecode: expected encoded image bytes (JPEG, PNG, ...); Pillow '
                               'cannot identify the %d bytes starting %r as an image'
                               % (len(data), data[:8])) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageDecodeError('imdecode: the image data is broken or truncated: %s' % err) from None
    if arr.ndim == 2:
        return arr if gray else np.repeat(arr[:, :, None], 3, axis=2)
    if not gray:
        return arr
    return _png_gray(arr) if fmt == 'PNG' else _cv_gray(arr)


def _finish(arr, flag, to_rgb, out):
    """Channel layout (H x W x 1 or RGB/BGR) and the optional output buffer."""
    if flag == 0:
        arr = arr[:, :, None]
    elif not to_rgb:
        arr = arr[:, :, ::-1]  # BGR, OpenCV's order
    arr = np.ascontiguousarray(arr)
    if out is None:
        return array(arr, dtype=np.uint8)
    if tuple(out.shape) != arr.shape:
        raise ValueError('imdecode: out has shape %s, the decoded image is %s'
                         % (tuple(out.shape), arr.shape))
    out[:] = arr
    return out


def imdecode(buf, flag=1, to_rgb=1, out=None):
    """Decode an encoded image (JPEG, PNG, BMP, ...) into an H x W x C uint8 NDArray.

    Parameters
    ----------
    buf : bytes, bytearray, numpy.ndarray or NDArray
        The encoded image (a 1-D uint8 array of the file's bytes for arrays).
    flag : int, default 1
        1 (any non-zero value) for color, H x W x 3; 0 for grayscale, H x W x 1.
    to_rgb : int, default 1
        1 for RGB channel order (MXNet's), 0 for BGR (OpenCV's).
    out : NDArray, optional
        Buffer of the right shape to decode into; it is returned.

    Raises ``ImageDecodeError`` (an ``MXNetError``) when the bytes are not an image,
    ``ValueError`` for a bad ``buf`` type or ``flag``.
    """
    _check_flag(flag)
    arr = _decode_pixels(_to_bytes(buf), gray=flag == 0)
    return _finish(arr, flag, to_rgb, out)


def imread(filename, flag=1, to_rgb=1, out=None):
    """Read and decode the image file ``filename``; see ``imdecode`` for the arguments."""
    _check_flag(flag)
    with open(os.fspath(filename), 'rb') as f:
        data = f.read()
    try:
        arr = _decode_pixels(data, gray=flag == 0)
    except ImageDecodeError as err:
        raise ImageDecodeError('imread(%r): %s' % (os.fspath(filename), err)) from None
    return _finish(arr, flag, to_rgb, out)


def imresize(src, w, h, interp=1, out=None):
    """Resize the image ``src`` (H x W x C NDArray) to width ``w`` and height ``h``.

    ``interp`` uses OpenCV's codes: 0 nearest, 1 bilinear (default), 2 bicubic,
    3 area, 4 Lanczos. The result has ``src``'s dtype. uint8 images come out as
    OpenCV (so MXNet) computes them; other dtypes within float rounding.
    """
    img = _as_numpy(src, 'imresize')
    if img.ndim not in (2, 3):
        raise ValueError('imresize: expected an H x W x C image, got shape %s' % (img.shape,))
    for name, value in (('w', w), ('h', h)):
        if not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError('imresize: %s must be a positive int, got %r' % (name, value))
    res = resize_array(img, int(w), int(h), interp)
    if out is None:
        return array(res, dtype=res.dtype)
    out[:] = res
    return out
