"""Basic image transforms (HWC uint8 in, CHW float32 out) — numpy underneath."""
from __future__ import annotations

import random

import numpy as np

from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential


def _nd():
    from .... import ndarray as nd
    return nd


def _np(x):
    return x.asnumpy() if hasattr(x, 'asnumpy') else np.asarray(x)


class Compose(Sequential):
    """Applies transforms in order. As in MXNet, runs of two or more consecutive
    HybridBlocks are grouped into one HybridSequential (so ``len``, indexing and the
    printout match MXNet's); the groups are not hybridized, since several transforms
    here compute with numpy."""

    def __init__(self, transforms):
        super().__init__()
        run = []
        with self.name_scope():
            for t in list(transforms) + [None]:
                if isinstance(t, HybridBlock):
                    run.append(t)
                    continue
                if len(run) == 1:
                    self.add(run[0])
                elif run:
                    group = HybridSequential()
                    group.add(*run)
                    self.add(group)
                run = []
                if t is not None:
                    self.add(t)


class RandomApply(Sequential):
    """Apply ``transforms`` with probability ``p`` (Python's ``random``, as MXNet)."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x, *args):
        if self.p < random.random():
            return x
        return self.transforms(x)


class Cast(HybridBlock):
    def __init__(self, dtype='float32'):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return x.astype(self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) or (N, H, W, C) in [0, 255] -> (C, H, W) / (N, C, H, W) float32 in [0, 1]
    (the registry op _image_to_tensor, so it hybridizes; a 2-d image gets one channel)."""

    def hybrid_forward(self, F, x):
        if getattr(x, 'ndim', 3) == 2:
            x = x.expand_dims(axis=2)
        return F.image.to_tensor(x)


class Normalize(HybridBlock):
    """(x - mean) / std per channel of a CHW (or NCHW) tensor (_image_normalize)."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = tuple(float(v) for v in np.atleast_1d(mean))
        self._std = tuple(float(v) for v in np.atleast_1d(std))

    def hybrid_forward(self, F, x):
        return F.image.normalize(x, mean=self._mean, std=self._std)


def _image():
    from .... import image
    return image


def _pair(size):
    return (size, size) if isinstance(size, int) else tuple(size)


def _per_image(fn, x):
    """fn on an HWC image, or on each image of an NHWC batch (MXNet's Resize and
    CropResize take both)."""
    if getattr(x, 'ndim', 3) == 4:
        return _nd().stack(*[fn(x[i]) for i in range(x.shape[0])])
    return fn(x)


class _EagerHybrid(HybridBlock):
    """A transform MXNet defines as a HybridBlock that runs eagerly here (OpenCV or
    numpy underneath): subclasses implement ``forward``."""


class Resize(_EagerHybrid):
    """Resize an HWC image to ``size`` (w, h) or a square ``size``; with keep_ratio
    and an int size the shorter side becomes ``size``. OpenCV's resize, as MXNet's
    (mx.image.imresize)."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._size = size
        self._keep = keep_ratio
        self._interp = interpolation

    def forward(self, x):
        return _per_image(self._resize, x)

    def _resize(self, x):
        if isinstance(self._size, int):
            if self._keep:
                h, w = x.shape[0], x.shape[1]
                if h > w:
                    nw, nh = self._size, int(h * self._size / w)
                else:
                    nh, nw = self._size, int(w * self._size / h)
            else:
                nw = nh = self._size
        else:
            nw, nh = self._size
        return _image().imresize(_nd().array(x) if not hasattr(x, 'asnumpy') else x, nw, nh, self._interp)


class CenterCrop(Block):
    """Crop the centre to ``size`` (w, h); a smaller image is cropped at its scale and
    resized up (mx.image.center_crop)."""

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._size = _pair(size)
        self._interp = interpolation

    def forward(self, x):
        return _image().center_crop(x, self._size, self._interp)[0]


class Rotate(Block):
    """Rotate C x H x W (or N x C x H x W) float32 images by ``rotation_degrees``, keeping
    their shape (mx.image.imrotate; ``zoom_in`` / ``zoom_out`` as there)."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        _float32_only(x)
        return _image().imrotate(x, *self._args)


class RandomRotation(Block):
    """Rotate by an angle drawn from ``angle_limits`` (degrees), with probability
    ``rotate_with_proba`` (numpy's global generator; mx.image.random_rotate)."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if not 0 <= rotate_with_proba <= 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._proba = rotate_with_proba

    def forward(self, x):
        if np.random.random() > self._proba:
            return x
        _float32_only(x)
        return _image().random_rotate(x, *self._args)


def _float32_only(x):
    if x.dtype != np.float32:
        raise TypeError("This transformation only supports float32 (got %s). Consider calling it after ToTensor"
                        % np.dtype(x.dtype).name)


class CropResize(HybridBlock):
    """Crop the ``width`` x ``height`` rectangle at (x, y), then resize to ``size`` if given."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._box = (x, y, width, height)
        self._size = None if size is None else _pair(size)
        self._interp = 1 if interpolation is None else interpolation

    def hybrid_forward(self, F, x):
        x0, y0, w, h = self._box
        return _per_image(lambda im: _image().fixed_crop(im, x0, y0, w, h, self._size, self._interp), x)


class RandomResizedCrop(Block):
    """Crop a random area fraction (``scale``) and aspect ratio (``ratio``), resized to
    ``size`` (mx.image.random_size_crop: the Inception-style training crop)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        self._args = (_pair(size), scale, ratio, interpolation)

    def forward(self, x):
        return _image().random_size_crop(x, *self._args)[0]


class RandomCrop(Block):
    """Pad by ``pad`` (int: every side of H and W, or numpy.pad widths) with
    ``pad_value``, then crop ``size`` at a random place."""

    def __init__(self, size, pad=None, pad_value=0, interpolation=1):
        super().__init__()
        self._args = (_pair(size), interpolation)
        self._pad = ((pad, pad), (pad, pad), (0, 0)) if isinstance(pad, int) else pad
        self._pad_value = pad_value

    def forward(self, x):
        if self._pad:
            a = _np(x)
            x = _nd().array(np.pad(a, self._pad, mode='constant', constant_values=self._pad_value), dtype=a.dtype)
        return _image().random_crop(x, *self._args)[0]


class _ColorJitter(_EagerHybrid):
    """Runs an mx.image augmenter on a float copy of an HWC image; uint8 images come
    back uint8 (rounded and saturated, as MXNet's image ops do)."""

    def __init__(self, aug):
        super().__init__()
        self._aug = aug

    def forward(self, x):
        src = x if hasattr(x, 'asnumpy') else _nd().array(x)
        out = self._aug(src.astype('float32'))
        if src.dtype == np.uint8:
            return _nd().array(np.clip(np.rint(out.asnumpy()), 0, 255), dtype='uint8')
        return out.astype(src.dtype)


class RandomBrightness(_ColorJitter):
    """Scale by 1 + uniform(-brightness, brightness)."""

    def __init__(self, brightness):
        super().__init__(_image().BrightnessJitterAug(brightness))


class RandomContrast(_ColorJitter):
    """Blend with the mean luma by 1 + uniform(-contrast, contrast)."""

    def __init__(self, contrast):
        super().__init__(_image().ContrastJitterAug(contrast))


class RandomSaturation(_ColorJitter):
    """Blend each pixel with its luma by 1 + uniform(-saturation, saturation)."""

    def __init__(self, saturation):
        super().__init__(_image().SaturationJitterAug(saturation))


class RandomHue(_ColorJitter):
    """Rotate the hue by uniform(-hue, hue) * 180 degrees (YIQ rotation, as mx.image's
    HueJitterAug; MXNet's C++ op goes through HLS, so values differ slightly)."""

    def __init__(self, hue):
        super().__init__(_image().HueJitterAug(hue))


class RandomColorJitter(_ColorJitter):
    """Brightness, contrast, saturation and hue jitter (those > 0) in random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        img = _image()
        augs = [cls(v) for cls, v in ((img.BrightnessJitterAug, brightness), (img.ContrastJitterAug, contrast),
                                      (img.SaturationJitterAug, saturation), (img.HueJitterAug, hue)) if v > 0]
        super().__init__(img.RandomOrderAug(augs))


# AlexNet's ImageNet RGB PCA (the eigen decomposition MXNet's lighting noise uses)
_PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                        [-0.5808, -0.0045, -0.8140],
                        [-0.5836, -0.6948, 0.4203]])


class RandomLighting(_ColorJitter):
    """AlexNet-style PCA lighting noise with standard deviation ``alpha``."""

    def __init__(self, alpha):
        super().__init__(_image().LightingAug(alpha, _PCA_EIGVAL, _PCA_EIGVEC))


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

