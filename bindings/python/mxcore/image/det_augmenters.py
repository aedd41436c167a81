"""Detection augmenters: callables ``(image, label) -> (image, label)`` and ``CreateDetAugmenter``.

A detection label is a float array of shape (objects, width): one row per object,
``[class, xmin, ymin, xmax, ymax, extra...]`` with coordinates normalised to [0, 1].
Geometric augmenters (flip, crop, pad) move the boxes with the pixels; the others
are classification augmenters wrapped in ``DetBorrowAug``.

Random choices are drawn from Python's ``random`` in the same order as MXNet 1.9.1,
so after the same ``random.seed`` a pipeline picks the same flips, crops and pads.
"""
from __future__ import annotations

import json
import logging
import numbers
import random
from math import sqrt

import numpy as np

from .. import ndarray as nd
from .augmenters import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, ForceResizeAug, HueJitterAug,
                         LightingAug, RandomGrayAug, ResizeAug, _check_mean_std, _IMAGENET_MEAN, _IMAGENET_STD,
                         _jsonable)
from .ops import copyMakeBorder, fixed_crop

__all__ = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
           'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter', 'CreateDetAugmenter']

_PCA_EIGVAL = [55.46, 4.794, 1.148]
_PCA_EIGVEC = [[-0.5675, 0.7192, 0.4009],
               [-0.5808, -0.0045, -0.8140],
               [-0.5836, -0.6948, 0.4203]]


class DetAugmenter:
    """Base class: subclasses implement ``__call__(src, label) -> (src, label)``."""

    def __init__(self, **kwargs):
        self._kwargs = _jsonable(kwargs)

    def dumps(self):
        """The augmenter as JSON: ``[class name in lower case, arguments]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src, label):
        raise NotImplementedError('%s must implement __call__(src, label)' % type(self).__name__)


class DetBorrowAug(DetAugmenter):
    """Apply a classification ``Augmenter`` to the image; the label passes through unchanged."""

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError('DetBorrowAug: expected an mx.image.Augmenter to borrow, got %s'
                            % type(augmenter).__name__)
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """Apply one of ``aug_list`` at random, or none of them with probability ``skip_prob``."""

    def __init__(self, aug_list, skip_prob=0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError('DetRandomSelectAug: aug_list must hold DetAugmenters only, got %s'
                                 % type(aug).__name__)
        self.aug_list = aug_list
        self.skip_prob = skip_prob if aug_list else 1  # nothing to pick from: always skip

    def dumps(self):
        return [self.__class__.__name__.lower(), [aug.dumps() for aug in self.aug_list]]

    def __call__(self, src, label):
        if random.random() < self.skip_prob:
            return src, label
        random.shuffle(self.aug_list)  # MXNet's draw: shuffle, then take the first
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """Mirror image and boxes left-right with probability ``p``; the label is flipped in place."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
            xmin = 1.0 - label[:, 3]
            label[:, 3] = 1.0 - label[:, 1]
            label[:, 1] = xmin
        return src, label


def _as_range(value, what, aug_name):
    """A (low, high) pair; a single number means (value, value)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError('%s: %s must be a number or a (low, high) pair, got %r' % (aug_name, what, value))
        return value
    if not isinstance(value, numbers.Number):
        raise TypeError('%s: %s must be a number or a (low, high) pair, got %s'
                        % (aug_name, what, type(value).__name__))
    logging.info('Using fixed %s: %s in %s', what, value, aug_name)
    return (value, value)


def _check_ranges(name, area_range, min_high, aspect_ratio_range):
    """ValueError for ranges no window can satisfy (MXNet 1.9.1 fails too: its warnings.warn raises)."""
    if area_range[1] <= min_high or area_range[0] > area_range[1]:
        raise ValueError('%s: area_range must satisfy low <= high and high > %g, got %r'
                         % (name, min_high, tuple(area_range)))
    if aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
        raise ValueError('%s: aspect_ratio_range must satisfy 0 < low <= high, got %r'
                         % (name, tuple(aspect_ratio_range)))


def _box_areas(boxes):
    """Areas of ``[xmin, ymin, xmax, ymax, ...]`` rows; inverted boxes count as 0."""
    return np.maximum(0, boxes[:, 3] - boxes[:, 1]) * np.maximum(0, boxes[:, 2] - boxes[:, 0])


def _clip_boxes(boxes, xmin, ymin, xmax, ymax):
    """The boxes cut to the window; boxes that miss it become all zeros."""
    out = boxes.copy()
    out[:, 0] = np.maximum(boxes[:, 0], xmin)
    out[:, 1] = np.maximum(boxes[:, 1], ymin)
    out[:, 2] = np.minimum(boxes[:, 2], xmax)
    out[:, 3] = np.minimum(boxes[:, 3], ymax)
    out[(out[:, 0] >= out[:, 2]) | (out[:, 1] >= out[:, 3]), :] = 0
    return out


class DetRandomCropAug(DetAugmenter):
    """Crop a random window that keeps enough of the objects; boxes follow the crop.

    Parameters
    ----------
    min_object_covered : float
        Every object the window touches must have more than this fraction of its area inside.
    aspect_ratio_range : (float, float) or float
        Window width / height range (pixels).
    area_range : (float, float) or float
        Window area as a fraction of the image area.
    min_eject_coverage : float
        Objects keeping no more than this fraction of their area are dropped from the label.
    max_attempts : int
        Windows tried before giving up (the image and label are then returned unchanged).
    """

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                 min_eject_coverage=0.3, max_attempts=50):
        name = type(self).__name__
        aspect_ratio_range = _as_range(aspect_ratio_range, 'aspect ratio', name)
        area_range = _as_range(area_range, 'area range', name)
        super().__init__(min_object_covered=min_object_covered, aspect_ratio_range=aspect_ratio_range,
                         area_range=area_range, min_eject_coverage=min_eject_coverage,
                         max_attempts=max_attempts)
        _check_ranges(name, area_range, 0, aspect_ratio_range)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = True

    def __call__(self, src, label):
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return src, label

    def _window_size(self, width, height):
        """A random (w, h) in pixels within the area and aspect constraints, or None."""
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        ratio = random.uniform(*self.aspect_ratio_range)
        h = int(round(sqrt(min_area / ratio)))
        max_h = int(round(sqrt(max_area / ratio)))
        if round(max_h * ratio) > width:
            max_h = int((width + 0.4999999) / ratio)  # largest h whose width still fits
        max_h = min(max_h, height)
        h = min(h, max_h)
        if h < max_h:
            h = random.randint(h, max_h)
        w = int(round(h * ratio))
        # rounding can leave the area just outside the range: one row more or less
        if w * h < min_area:
            h += 1
            w = int(round(h * ratio))
        if w * h > max_area:
            h -= 1
            w = int(round(h * ratio))
        if min_area <= w * h <= max_area and 0 <= w <= width and 0 <= h <= height:
            return w, h
        return None

    def _covers_objects(self, label, x0, y0, x1, y1, width, height):
        """Whether the pixel window keeps more than min_object_covered of every object it touches."""
        if (x1 - x0) * (y1 - y0) < 2:
            return False
        boxes = label[:, 1:]
        areas = _box_areas(boxes)
        sizable = np.where(areas * width * height > 2)[0]
        if sizable.size < 1:
            return False
        inside = _clip_boxes(boxes[sizable], float(x0) / width, float(y0) / height,
                             float(x1) / width, float(y1) / height)
        coverages = _box_areas(inside) / areas[sizable]
        coverages = coverages[coverages > 0]
        return coverages.size > 0 and np.amin(coverages) > self.min_object_covered

    def _update_labels(self, label, crop_box, height, width):
        """Boxes in the crop's coordinates; objects cut out (or mostly out) are dropped."""
        xmin = float(crop_box[0]) / width
        ymin = float(crop_box[1]) / height
        w = float(crop_box[2]) / width
        h = float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.minimum(1, np.maximum(0, out[:, 1:5]))
        coverage = _box_areas(out[:, 1:]) * w * h / _box_areas(label[:, 1:])
        keep = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]) & (coverage > self.min_eject_coverage)
        if not keep.any():
            return None
        return out[keep, :]

    def _random_crop_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)`` of an acceptable window, or ``()`` after max_attempts."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        for _ in range(self.max_attempts):
            size = self._window_size(width, height)
            if size is None:
                continue
            w, h = size
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._covers_objects(label, x, y, x + w, y + h, width, height):
                new_label = self._update_labels(label, (x, y, w, h), height, width)
                if new_label is not None:
                    return (x, y, w, h, new_label)
        return ()


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas filled with ``pad_val``.

    Parameters
    ----------
    aspect_ratio_range : (float, float) or float
        Canvas width / height range.
    area_range : (float, float) or float
        Canvas area as a multiple of the image area (high must exceed 1).
    max_attempts : int
        Canvases tried before giving up (the image is then returned unchanged).
    pad_val : float or tuple of float
        Canvas colour per channel (a single number fills the first channel only, as in MXNet).
    """

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0), max_attempts=50,
                 pad_val=(128, 128, 128)):
        name = type(self).__name__
        if not isinstance(pad_val, (list, tuple)) and not isinstance(pad_val, numbers.Number):
            raise TypeError('%s: pad_val must be a number or a tuple of numbers, got %s'
                            % (name, type(pad_val).__name__))
        aspect_ratio_range = _as_range(aspect_ratio_range, 'aspect ratio', name)
        area_range = _as_range(area_range, 'area range', name)
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        _check_ranges(name, area_range, 1, aspect_ratio_range)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = True

    def __call__(self, src, label):
        height, width, _ = src.shape
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            values = tuple(self.pad_val) if isinstance(self.pad_val, (list, tuple)) else (self.pad_val,)
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width, 16, values=values)
        return src, label

    def _update_labels(self, label, pad_box, height, width):
        """Boxes in the canvas' coordinates."""
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)``: the image's place on a w x h canvas, or ``()``."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            h = int(round(sqrt(min_area / ratio)))
            max_h = int(round(sqrt(max_area / ratio)))
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)  # wide enough for the image
            h = min(max(h, height), max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if h - height < 2 or w - width < 2:
                continue  # a margin this thin is not worth it
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            return (x, y, w, h, self._update_labels(label, (x, y, w, h), height, width))
        return ()


def _aligned(params):
    """Lists of equal length from a mix of lists and single values (a tuple is one value)."""
    lists = [p if isinstance(p, list) else [p] for p in params]
    num = max(len(p) for p in lists)
    for k, p in enumerate(lists):
        if len(p) != num:
            if len(p) != 1:
                raise ValueError('CreateMultiRandCropAugmenter: parameter lists must have the same length '
                                 '(or length 1), got lengths %s' % [len(q) for q in lists])
            lists[k] = p * num
    return lists


def CreateMultiRandCropAugmenter(min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                                 area_range=(0.05, 1.0), min_eject_coverage=0.3, max_attempts=50,
                                 skip_prob=0):
    """A ``DetRandomSelectAug`` over ``DetRandomCropAug``s, one per value of the list arguments.

    Every argument may be a list (one value per crop augmenter) or a single value shared by all;
    ``aspect_ratio_range``/``area_range`` values are (low, high) tuples, so a list of them is a
    list of tuples.
    """
    augs = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr, area_range=ar,
                             min_eject_coverage=mec, max_attempts=ma)
            for moc, arr, ar, mec, ma in zip(*_aligned([min_object_covered, aspect_ratio_range, area_range,
                                                        min_eject_coverage, max_attempts]))]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0, rand_gray=0, rand_mirror=False,
                       mean=None, std=None, brightness=0, contrast=0, saturation=0, pca_noise=0, hue=0,
                       inter_method=2, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                       area_range=(0.05, 3.0), min_eject_coverage=0.3, max_attempts=50,
                       pad_val=(127, 127, 127)):
    """The standard detection augmenter list, in MXNet's order.

    Parameters
    ----------
    data_shape : (C, H, W)
        The output shape; every image is finally force-resized to W x H.
    resize : int
        First resize the shorter side to this, if > 0.
    rand_crop, rand_pad : float
        Probabilities of a random crop (``CreateMultiRandCropAugmenter``; its arguments may be
        lists) and of a random pad (canvas area up to ``area_range[1]`` times the image's).
    rand_gray : float
        Probability of going gray.
    rand_mirror : bool
        Flip with probability 0.5.
    mean, std : True, numpy array, NDArray or None
        Per-channel normalisation; True means ImageNet's values.
    brightness, contrast, saturation, hue, pca_noise : float
        Colour jitter ranges and PCA lighting noise level.
    inter_method : int
        Interpolation for the resizes (OpenCV's 0-4, 9 auto, 10 random).
    min_object_covered, aspect_ratio_range, area_range, min_eject_coverage, max_attempts
        See ``DetRandomCropAug`` (and ``DetRandomPadAug`` for the last three).
    pad_val : tuple of float
        Canvas colour of the random pad.
    """
    if len(data_shape) != 3:
        raise ValueError('CreateDetAugmenter: data_shape must be (C, H, W), got %r' % (data_shape,))
    auglist = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range, area_range,
                                                    min_eject_coverage, max_attempts,
                                                    skip_prob=(1 - rand_crop)))
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    # padding comes late: the canvas is mostly constant, no use augmenting it
    if rand_pad > 0:
        pad_aug = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        auglist.append(DetRandomSelectAug([pad_aug], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        auglist.append(DetBorrowAug(LightingAug(pca_noise, np.array(_PCA_EIGVAL), np.array(_PCA_EIGVEC))))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    # numpy, not NDArray, for True: dumps() then shows MXNet's float64 values
    mean = np.array(_IMAGENET_MEAN) if mean is True else _check_mean_std('mean', mean, None)
    std = np.array(_IMAGENET_STD) if std is True else _check_mean_std('std', std, None)
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist
