"""Image augmenters (callables on H x W x C NDArrays) and ``CreateAugmenter``.

Each augmenter keeps its arguments for ``dumps()``. Random ones draw from Python's
``random`` (and ``numpy.random`` for ``LightingAug``) in the same order as MXNet,
so seeding those modules repeats a run. Colour augmenters work in place on float
images, as MXNet's do: put ``CastAug`` before them.
"""
from __future__ import annotations

import json
import random

import numpy as np

from .. import ndarray as nd
from ..ndarray.ndarray import NDArray
from .codec import imresize
from .ops import _get_interp_method, center_crop, color_normalize, random_crop, random_size_crop, resize_short

__all__ = ['Augmenter', 'SequentialAug', 'ResizeAug', 'ForceResizeAug', 'RandomCropAug',
           'RandomSizedCropAug', 'CenterCropAug', 'RandomOrderAug', 'BrightnessJitterAug',
           'ContrastJitterAug', 'SaturationJitterAug', 'HueJitterAug', 'ColorJitterAug',
           'LightingAug', 'ColorNormalizeAug', 'RandomGrayAug', 'HorizontalFlipAug', 'CastAug',
           'CreateAugmenter']

_GRAY_COEF = [[[0.299, 0.587, 0.114]]]  # RGB luma weights, shaped to broadcast over H x W x 3
_IMAGENET_MEAN = [123.68, 116.28, 103.53]
_IMAGENET_STD = [58.395, 57.12, 57.375]


def _jsonable(kwargs):
    """An augmenter's arguments for ``dumps()``: arrays become lists so that JSON can hold them."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, NDArray):
            value = value.asnumpy()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        out[key] = value
    return out


class Augmenter:
    """Base class: subclasses implement ``__call__(src) -> image``."""

    def __init__(self, **kwargs):
        self._kwargs = _jsonable(kwargs)

    def dumps(self):
        """The augmenter as JSON: ``[class name in lower case, arguments]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError('%s must implement __call__' % type(self).__name__)


class SequentialAug(Augmenter):
    """Apply the augmenters ``ts`` one after the other."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [self.__class__.__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class RandomOrderAug(Augmenter):
    """Apply the augmenters ``ts`` in a random order (``random.shuffle``, in place)."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [self.__class__.__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        random.shuffle(self.ts)
        for aug in self.ts:
            src = aug(src)
        return src


# ------------------------------------------------------------------ geometry

class _SizedAug(Augmenter):
    """An augmenter taking a target ``size`` and an interpolation method."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp


class ResizeAug(_SizedAug):
    """Resize the shorter side to ``size`` (see ``resize_short``)."""

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(_SizedAug):
    """Resize to ``size`` (w, h), ignoring the aspect ratio."""

    def __call__(self, src):
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size, interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(_SizedAug):
    """Crop ``size`` (w, h) at a random place (see ``random_crop``)."""

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """Crop a random area and aspect ratio, resized to ``size`` (see ``random_size_crop``)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        if 'min_area' in kwargs:  # MXNet's deprecated spelling
            area = kwargs.pop('min_area')
        if kwargs:
            raise TypeError('RandomSizedCropAug: unexpected keyword arguments %s' % sorted(kwargs))
        self.size = size
        self.area = area
        self.ratio = ratio
        self.interp = interp

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(_SizedAug):
    """Crop ``size`` (w, h) from the centre (see ``center_crop``)."""

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


class HorizontalFlipAug(Augmenter):
    """Mirror left-right with probability ``p`` (``random.random() < p``)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
        return src


class CastAug(Augmenter):
    """Cast to ``typ`` (float32 by default)."""

    def __init__(self, typ='float32'):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


# ------------------------------------------------------------------ colour (in place, float)

class BrightnessJitterAug(Augmenter):
    """Scale by ``1 + uniform(-brightness, brightness)``."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        src *= alpha
        return src


class ContrastJitterAug(Augmenter):
    """Blend with the image's mean luma: ``alpha * src + (1 - alpha) * mean_gray``."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        gray = src * self.coef
        gray = (3.0 * (1.0 - alpha) / gray.size) * nd.sum(gray)
        src *= alpha
        src += gray
        return src


class SaturationJitterAug(Augmenter):
    """Blend each pixel with its own luma: ``alpha * src + (1 - alpha) * gray``."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        gray = nd.sum(src * self.coef, axis=2, keepdims=True)
        gray *= (1.0 - alpha)
        src *= alpha
        src += gray
        return src


class HueJitterAug(Augmenter):
    """Rotate the hue by ``uniform(-hue, hue) * 180`` degrees (linear YIQ approximation)."""

    _TYIQ = np.array([[0.299, 0.587, 0.114],
                      [0.596, -0.274, -0.321],
                      [0.211, -0.523, 0.311]])
    _ITYIQ = np.array([[1.0, 0.956, 0.621],
                       [1.0, -0.272, -0.647],
                       [1.0, -1.107, 1.705]])

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = self._TYIQ
        self.ityiq = self._ITYIQ

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        u, w = np.cos(alpha * np.pi), np.sin(alpha * np.pi)
        rotate = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = np.dot(np.dot(self.ityiq, rotate), self.tyiq).T
        return nd.dot(src, nd.array(t))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0), in random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet-style PCA lighting noise: add ``eigvec @ (alpha * eigval)``, alpha ~ N(0, alphastd)."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(self.eigvec * alpha, self.eigval)
        src += nd.array(rgb)
        return src


class ColorNormalizeAug(Augmenter):
    """Subtract ``mean`` and divide by ``std`` per channel (see ``color_normalize``)."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, NDArray) else nd.array(mean)
        self.std = std if std is None or isinstance(std, NDArray) else nd.array(std)

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability ``p``, replace every channel by the luma (three channels kept)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p
        self.mat = nd.array([[0.21, 0.21, 0.21],
                             [0.72, 0.72, 0.72],
                             [0.07, 0.07, 0.07]])

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.dot(src, self.mat)
        return src


# ------------------------------------------------------------------ the standard pipeline

def _check_mean_std(name, value, default):
    """``True`` means ImageNet's values; otherwise an array of 1 or 3 values (or None)."""
    if value is True:
        return nd.array(default)
    if value is None:
        return None
    if not isinstance(value, (np.ndarray, NDArray)):
        raise TypeError('CreateAugmenter: %s must be True, None, or a numpy array/NDArray of 1 '
                        'or 3 values, got %s' % (name, type(value).__name__))
    if not value.shape or value.shape[0] not in (1, 3):
        raise ValueError('CreateAugmenter: %s must hold 1 or 3 values (r, g, b), got shape %s'
                         % (name, tuple(value.shape)))
    return value


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False, rand_mirror=False,
                    mean=None, std=None, brightness=0, contrast=0, saturation=0, hue=0,
                    pca_noise=0, rand_gray=0, inter_method=2):
    """The standard augmenter list, in MXNet's order.

    Parameters
    ----------
    data_shape : (C, H, W)
        The output shape; crops are (W, H).
    resize : int
        First resize the shorter side to this, if > 0.
    rand_crop, rand_resize : bool
        Random crop instead of centre crop; with ``rand_resize`` too (needs ``rand_crop``),
        a random-sized crop (8%-100% of the area, aspect 3/4-4/3).
    rand_mirror : bool
        Flip left-right with probability 0.5.
    mean, std : True, numpy array, NDArray or None
        Per-channel normalisation; True means ImageNet's RGB mean (123.68, 116.28, 103.53)
        or std (58.395, 57.12, 57.375).
    brightness, contrast, saturation, hue, pca_noise, rand_gray : float
        Colour jitter ranges, PCA lighting noise level, probability of going gray.
    inter_method : int
        Interpolation for every resize: OpenCV's 0-4, 9 auto or 10 random (default 2,
        bicubic).

    The list always casts to float32 (``CastAug``) before the colour augmenters.
    """
    auglist = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))

    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ValueError('CreateAugmenter: rand_resize=True needs rand_crop=True')
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))

    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))

    auglist.append(CastAug())

    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009],
                           [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        auglist.append(LightingAug(pca_noise, eigval, eigvec))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))

    mean = _check_mean_std('mean', mean, _IMAGENET_MEAN)
    std = _check_mean_std('std', std, _IMAGENET_STD)
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist
