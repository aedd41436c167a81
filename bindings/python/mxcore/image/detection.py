"""``ImageDetIter``: batches of images and their object boxes for detection (MXNet's ``mx.image.detection``).

A raw detection label (a .rec record's multi-label header, a .lst line's labels, an
``imglist`` item's labels) is flat::

    header_width, object_width, [extra header...], cls, xmin, ymin, xmax, ymax, [extra...], cls, ...

``header_width`` (>= 2) values come first, then one ``object_width`` (>= 5) row per object
with corners normalised to [0, 1]. Batches carry labels of shape
(batch_size, max objects, object_width), rows past an image's objects filled with -1.
The augmenters live in ``det_augmenters`` and are re-exported here.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np

from ..ndarray.ndarray import NDArray
from ._draw import draw_rectangle
from .augmenters import _IMAGENET_MEAN, _IMAGENET_STD
from .det_augmenters import (CreateDetAugmenter, CreateMultiRandCropAugmenter, DetAugmenter, DetBorrowAug,
                             DetHorizontalFlipAug, DetRandomCropAug, DetRandomPadAug, DetRandomSelectAug)
from .iterator import ImageIter

__all__ = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
           'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter', 'CreateDetAugmenter',
           'ImageDetIter']


def _parse_det_label(label):
    """The (objects, object_width) rows of a raw detection label, boxes with no area dropped."""
    raw = (label.asnumpy() if isinstance(label, NDArray) else np.asarray(label)).ravel()
    if raw.size < 7:
        raise RuntimeError('Detection label too short: expected header_width, object_width and at '
                           'least one object of 5 values (7+ values), got shape %s' % (raw.shape,))
    header_width, obj_width = int(raw[0]), int(raw[1])
    if header_width < 2 or header_width > raw.size:
        raise RuntimeError('Detection label header width %d invalid: expected 2 <= header width <= %d '
                           '(the label size)' % (header_width, raw.size))
    if obj_width < 5:
        raise RuntimeError('Detection label object width %d invalid: expected at least 5 '
                           '(cls, xmin, ymin, xmax, ymax)' % obj_width)
    if (raw.size - header_width) % obj_width != 0:
        raise RuntimeError('Label shape %s inconsistent with annotation width %d (header width %d).'
                           % (raw.shape, obj_width, header_width))
    out = raw[header_width:].reshape(-1, obj_width)
    valid = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])
    if not valid.any():
        raise RuntimeError('Encounter sample with no valid label (no box with xmax > xmin and ymax > ymin).')
    return out[valid, :]


class ImageDetIter(ImageIter):
    """Image iterator for object detection, with box-aware augmentation.

    Parameters
    ----------
    batch_size : int
        Images per batch.
    data_shape : (3, H, W)
        Shape of one image after augmentation.
    path_imgrec, path_imglist, path_root, path_imgidx, imglist, shuffle, part_index, num_parts
        Where the images and labels come from, as for ``ImageIter``; labels are raw detection
        labels (see the module docstring).
    aug_list : list of DetAugmenter, optional
        Augmenters; by default ``CreateDetAugmenter(data_shape, **kwargs)``.
    data_name, label_name : str
        Names in ``provide_data``/``provide_label`` (label default ``'label'``).
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        As for ``ImageIter``.
    **kwargs
        Passed to ``CreateDetAugmenter`` when ``aug_list`` is None.

    The constructor reads every label once to size ``provide_label``:
    (batch_size, most objects in one image, object width).
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None, path_imglist=None, path_root=None,
                 path_imgidx=None, shuffle=False, part_index=0, num_parts=1, aug_list=None, imglist=None,
                 data_name='data', label_name='label', last_batch_handle='pad', **kwargs):
        super().__init__(batch_size=batch_size, data_shape=data_shape, path_imgrec=path_imgrec,
                         path_imglist=path_imglist, path_root=path_root, path_imgidx=path_imgidx,
                         shuffle=shuffle, part_index=part_index, num_parts=num_parts, aug_list=[],
                         imglist=imglist, data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.label_shape = self._estimate_label_shape()
        self.provide_label = [(label_name, (self.batch_size,) + self.label_shape)]

    # -------------------------------------------------------------- labels
    def _parse_label(self, label):
        """Raw detection label -> (objects, object_width) rows of the valid boxes."""
        return _parse_det_label(label)

    def _check_valid_label(self, label):
        """RuntimeError unless ``label`` is (1+, 5+) with a valid object left (after augmentation)."""
        if len(label.shape) != 2 or label.shape[1] < 5:
            raise RuntimeError('Label with shape (1+, 5+) required, %s received.' % str(label))
        valid = (label[:, 0] >= 0) & (label[:, 3] > label[:, 1]) & (label[:, 4] > label[:, 2])
        if not valid.any():
            raise RuntimeError('Invalid label occurs.')

    def _estimate_label_shape(self):
        """(most objects in one image, object width) over the whole data, read once."""
        max_count, width = 0, None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                label = self._parse_label(label)
                max_count = max(max_count, label.shape[0])
                width = label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise ValueError('ImageDetIter: the data source holds no image, cannot size the labels')
        return (max_count, width)

    def check_label_shape(self, label_shape):
        """ValueError unless ``label_shape`` is (objects, width) with no fewer objects, the same width."""
        if len(label_shape) != 2:
            raise ValueError('label_shape should have length 2')
        if label_shape[0] < self.label_shape[0]:
            raise ValueError('Attempts to reduce label count from %d to %d, not allowed.'
                             % (self.label_shape[0], label_shape[0]))
        if label_shape[1] != self.provide_label[0][1][2]:
            raise ValueError('label_shape object width inconsistent: %d vs %d.'
                             % (self.provide_label[0][1][2], label_shape[1]))

    def reshape(self, data_shape=None, label_shape=None):
        """Change the data shape (C, H, W) and/or the label shape (objects, width); None keeps one."""
        if data_shape is not None:
            self.check_data_shape(data_shape)
            data_shape = tuple(data_shape)
            self.provide_data = [(self.provide_data[0][0], (self.batch_size,) + data_shape)]
            self.data_shape = data_shape
        if label_shape is not None:
            self.check_label_shape(label_shape)
            label_shape = tuple(label_shape)
            self.provide_label = [(self.provide_label[0][0], (self.batch_size,) + label_shape)]
            self.label_shape = label_shape

    def sync_label_shape(self, it, verbose=False):
        """Pad this iterator's and ``it``'s labels to the larger object count; returns ``it``."""
        if not isinstance(it, ImageDetIter):
            raise TypeError('sync_label_shape: expected an ImageDetIter, got %s' % type(it).__name__)
        mine, theirs = self.label_shape, it.label_shape
        if mine[1] != theirs[1]:
            raise ValueError('sync_label_shape: object width mismatch, %d vs %d' % (mine[1], theirs[1]))
        max_count = max(mine[0], theirs[0])
        if max_count > mine[0]:
            self.reshape(None, (max_count, mine[1]))
        if max_count > theirs[0]:
            it.reshape(None, (max_count, theirs[1]))
        if verbose and max_count > min(mine[0], theirs[0]):
            logging.info('Resized label_shape to (%d, %d).', max_count, mine[1])
        return it

    # -------------------------------------------------------------- batches
    def augmentation_transform(self, data, label):  # pylint: disable=arguments-differ
        """Apply every detection augmenter in turn to ``(data, label)``."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def _new_label_batch(self):
        return np.full(self.provide_label[0][1], -1, dtype=np.float32)

    def _batchify(self, batch_data, batch_label, start=0):
        """Fill rows ``start``.. of the batch, skipping images whose labels are unusable."""
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image([data])
                    label = self._parse_label(label)
                    data, label = self.augmentation_transform(data, label)
                    self._check_valid_label(label)
                except RuntimeError as err:
                    logging.debug('Invalid image, skipping: %s', err)
                    continue
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = self._label_rows(label, batch_label.shape[1:])
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    @staticmethod
    def _label_rows(label, shape):
        """The label padded with -1 rows to ``shape`` (objects, width)."""
        label = np.asarray(label, dtype=np.float32)
        if label.shape[0] > shape[0] or label.shape[1] != shape[1]:
            raise ValueError('ImageDetIter: a sample has %d objects of width %d, the label shape is %s; '
                             'sizes must agree (reshape the labels or give every object the same width)'
                             % (label.shape[0], label.shape[1], tuple(shape)))
        rows = np.full(shape, -1, dtype=np.float32)
        rows[:label.shape[0]] = label
        return rows

    # -------------------------------------------------------------- display
    def draw_next(self, color=None, thickness=2, mean=None, std=None, clip=True, waitKey=None,
                  window_name='draw_next', id2labels=None):
        """Yield the next images (H x W x 3 uint8, BGR like OpenCV's) with their boxes drawn.

        ``color`` is an RGB box colour (None: a random one per box); ``mean``/``std``
        (True for ImageNet's) undo a normalisation; ``clip`` keeps pixels in [0, 255].
        ``waitKey`` shows each image in an OpenCV window and ``id2labels`` (class id ->
        name) writes class names: both need OpenCV (``cv2``); the boxes do not.
        """
        cv2 = _opencv() if waitKey is not None or id2labels is not None else None
        if waitKey is not None and cv2 is None:
            raise ImportError('draw_next(waitKey=...) shows images with OpenCV: pip install opencv-python')
        if id2labels is not None and cv2 is None:
            warnings.warn('draw_next: class names need OpenCV (cv2) to draw text; drawing boxes only')
        std = _as_stats('std', std, _IMAGENET_STD)
        mean = _as_stats('mean', mean, _IMAGENET_MEAN)
        while True:
            try:
                label, s = self.next_sample()
            except StopIteration:
                return
            data = self.imdecode(s)
            try:
                self.check_valid_image([data])
                label = self._parse_label(label)
            except RuntimeError as err:
                logging.debug('Invalid image, skipping: %s', err)
                continue
            data, label = self.augmentation_transform(data, label)
            image = np.array(data.asnumpy() if isinstance(data, NDArray) else data)
            if std is not None:
                image *= std
            if mean is not None:
                image += mean
            image = image[:, :, (2, 1, 0)]  # RGB -> BGR, OpenCV's order
            if clip:
                image = np.maximum(0, np.minimum(255, image))
            if color:
                color = color[::-1]  # MXNet reverses it again for every image
            image = image.astype(np.uint8)
            _draw_boxes(image, label, color, thickness, id2labels, cv2)
            if waitKey is not None:
                cv2.imshow(window_name, image)
                cv2.waitKey(waitKey)
            yield image


def _opencv():
    try:
        import cv2
    except ImportError:
        return None
    return cv2


def _as_stats(name, value, default):
    """``True`` -> ImageNet's values; otherwise None or a numpy array of 1 or 3 values."""
    if value is True:
        return np.array(default)
    if value is not None and not (isinstance(value, np.ndarray) and value.shape and value.shape[0] in (1, 3)):
        raise ValueError('draw_next: %s must be True, None or a numpy array of 1 or 3 values, got %r'
                         % (name, value))
    return value


def _draw_boxes(image, label, color, thickness, id2labels, cv2):
    """Outline every object of ``label`` on the BGR ``image``; a box with xmin < 0 is padding."""
    height, width = image.shape[:2]
    for row in label:
        x1 = int(row[1] * width)
        if x1 < 0:
            continue
        y1, x2, y2 = int(row[2] * height), int(row[3] * width), int(row[4] * height)
        box_color = np.random.rand(3) * 255 if not color else color
        draw_rectangle(image, (x1, y1), (x2, y2), box_color, thickness)
        if id2labels is not None and cv2 is not None and int(row[0]) in id2labels:
            text = '{:s}'.format(id2labels[int(row[0])])
            font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.5
            text_height = cv2.getTextSize(text, font, scale, 2)[0][1]
            cv2.putText(image, text, (x1 + 5, y1 + text_height + 5), font, scale, (255, 255, 255), 2)
