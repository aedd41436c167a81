"""``ImageIter``: batches of decoded, augmented images from a .rec file or an image list."""
from __future__ import annotations

import logging
import numbers
import os
import random

import numpy as np

from .. import recordio
from ..io import DataBatch, DataIter
from ..ndarray.ndarray import array
from .augmenters import CreateAugmenter
from .codec import imdecode

__all__ = ['ImageIter']

_LABEL_DTYPES = ('int32', 'float32', 'int64', 'float64')


def _read_imglist_file(path, dtype):
    """Parse a .lst file: ``index<TAB>label[<TAB>label...]<TAB>relative/path`` per line."""
    imglist, keys = {}, []
    with open(path) as fin:
        for lineno, line in enumerate(fin, 1):
            if not line.strip():
                continue
            fields = line.strip().split('\t')
            try:
                if len(fields) < 3:
                    raise ValueError('expected at least 3 tab-separated fields')
                key = int(fields[0])
                label = np.array([float(x) for x in fields[1:-1]], dtype=dtype)
            except ValueError as err:
                raise ValueError('%s, line %d: expected "index<TAB>label(s)<TAB>path", got %r (%s)'
                                 % (path, lineno, line.rstrip('\n'), err)) from None
            imglist[key] = (label, fields[-1])
            keys.append(key)
    return imglist, keys


def _read_imglist(items, dtype):
    """An in-memory list of ``[label(s)..., path]`` items, keyed '1', '2', ... as MXNet does."""
    imglist, keys = {}, []
    for index, item in enumerate(items, 1):
        if len(item) < 2:
            raise ValueError('imglist item %d: expected [label(s), path], got %r' % (index, item))
        if len(item) > 2:
            label = np.array(item[:-1], dtype=dtype)
        elif isinstance(item[0], numbers.Number):
            label = np.array([item[0]], dtype=dtype)
        else:
            label = np.array(item[0], dtype=dtype).reshape(-1)
        key = str(index)
        imglist[key] = (label, item[-1])
        keys.append(key)
    return imglist, keys


class ImageIter(DataIter):
    """Image data iterator with augmentation, reading a RecordIO file or image files.

    Parameters
    ----------
    batch_size : int
        Images per batch.
    data_shape : (3, H, W)
        Shape of one image after augmentation (only 3 channels are supported).
    label_width : int, default 1
        Labels per image: labels come out as (batch_size,) or (batch_size, label_width).
    path_imgrec : str, optional
        RecordIO file of packed images (``mx.recordio.pack_img``, im2rec).
    path_imglist : str, optional
        Image list (.lst), lines ``index<TAB>label(s)<TAB>path``; images are read from
        ``path_root``, or from the .rec file's records of those indices when
        ``path_imgrec`` is given too (labels then come from the list).
    path_root : str, optional
        Folder the image list's paths are relative to.
    path_imgidx : str, optional
        Index of ``path_imgrec``; needed to shuffle or split a .rec file.
    shuffle : bool
        Shuffle at every ``reset`` (``random.shuffle``).
    part_index, num_parts : int
        Read only part ``part_index`` of ``num_parts`` equal parts (distributed training).
    aug_list : list of Augmenter, optional
        Augmenters; by default ``CreateAugmenter(data_shape, **kwargs)``.
    imglist : list, optional
        In-memory image list: items ``[label, path]`` or ``[label1, label2, ..., path]``.
    data_name, label_name : str
        Names in ``provide_data``/``provide_label``.
    dtype : str
        Type the image-list labels are parsed to (the batch labels are float32, as in MXNet).
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        The incomplete last batch: filled from the start of the data (and ``pad`` says
        how many), dropped, or kept and completed by the next epoch's first images.
    **kwargs
        Passed to ``CreateAugmenter`` when ``aug_list`` is None.

    Batches are ``DataBatch`` with data (batch_size, 3, H, W) float32.
    """

    def __init__(self, batch_size, data_shape, label_width=1,
                 path_imgrec=None, path_imglist=None, path_root=None, path_imgidx=None,
                 shuffle=False, part_index=0, num_parts=1, aug_list=None, imglist=None,
                 data_name='data', label_name='softmax_label', dtype='float32',
                 last_batch_handle='pad', **kwargs):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ValueError('ImageIter needs path_imgrec, path_imglist or imglist (a list)')
        if dtype not in _LABEL_DTYPES:
            raise ValueError('ImageIter: label dtype %r not supported, expected one of %s'
                             % (dtype, ', '.join(_LABEL_DTYPES)))
        if last_batch_handle not in ('pad', 'discard', 'roll_over'):
            raise ValueError("ImageIter: last_batch_handle must be 'pad', 'discard' or "
                             "'roll_over', got %r" % (last_batch_handle,))
        self.check_data_shape(data_shape)
        data_shape = tuple(data_shape)

        self.imgidx = None
        self.imgrec = None
        if path_imgrec:
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, 'r')

        imgkeys = None
        if path_imglist:
            self.imglist, imgkeys = _read_imglist_file(path_imglist, dtype)
        elif isinstance(imglist, list):
            self.imglist, imgkeys = _read_imglist(imglist, dtype)
        else:
            self.imglist = None
        self.path_root = path_root

        # plain (name, shape) pairs, as MXNet's ImageIter gives (not DataDescs)
        self.provide_data = [(data_name, (batch_size,) + data_shape)]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [(label_name, label_shape)]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle

        # seq: the keys to read, in order; None reads the .rec file front to back.
        if self.imgrec is None:
            self.seq = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ValueError('ImageIter: shuffle or num_parts > 1 on a .rec file needs its '
                                 'index, path_imgidx')
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ValueError('ImageIter: part_index %d is not in [0, num_parts=%d)'
                                 % (part_index, num_parts))
            per_part = len(self.seq) // num_parts
            self.seq = self.seq[part_index * per_part:(part_index + 1) * per_part]

        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None
        self.reset()

    # -------------------------------------------------------------- epochs
    def reset(self):
        """Start a new epoch (reshuffled if ``shuffle``); roll_over leftovers are kept."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != 'roll_over' or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start a new epoch and drop any roll_over leftovers."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None

    # -------------------------------------------------------------- samples
    def next_sample(self):
        """The next ``(label, encoded image bytes)``; StopIteration at the end of the data."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:  # sequential .rec file
            s = self.imgrec.read()
            if s is None:
                if self.last_batch_handle != 'discard':
                    self.imgrec.reset()  # a padded batch is filled from the start
                raise StopIteration
            header, img = recordio.unpack(s)
            return header.label, img
        if self.cur >= self.num_image:
            if self.last_batch_handle != 'discard':
                self.cur = 0
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is not None:
            header, img = recordio.unpack(self.imgrec.read_idx(idx))
            if self.imglist is None:
                return header.label, img
            return self.imglist[idx][0], img
        label, fname = self.imglist[idx]
        return label, self.read_image(fname)

    def read_image(self, fname):
        """The bytes of image file ``fname`` (relative to ``path_root``)."""
        path = fname if self.path_root is None else os.path.join(self.path_root, fname)
        with open(path, 'rb') as fin:
            return fin.read()

    def imdecode(self, s):
        """Decode one image; a failure names the file or record it came from."""
        try:
            return imdecode(s)
        except Exception as err:  # any decoder failure: re-raised with the location
            raise RuntimeError('Broken image %s: %s' % (self._locate(), err)) from err

    def _locate(self):
        """The file name or record index of the sample just read."""
        if self.seq is not None:
            idx = self.seq[(self.cur % self.num_image) - 1]
        else:
            return 'record (sequential read)'
        if self.imglist is not None:
            return 'filename: %s' % self.imglist[idx][1]
        return 'index: %s' % idx

    def check_data_shape(self, data_shape):
        """Only (3, H, W) is supported."""
        if len(data_shape) != 3:
            raise ValueError('data_shape should have length 3, with dimensions CxHxW')
        if data_shape[0] != 3:
            raise ValueError('This iterator expects inputs to have 3 channels.')

    def check_valid_image(self, data):
        """Raise RuntimeError for an empty image (it is then skipped)."""
        if len(data[0].shape) == 0:
            raise RuntimeError('Data shape is wrong')

    def augmentation_transform(self, data):
        """Apply every augmenter in turn."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """H x W x C -> C x H x W."""
        return np.transpose(np.asarray(datum), (2, 0, 1))

    # -------------------------------------------------------------- batches
    def _batchify(self, batch_data, batch_label, start=0):
        """Fill rows ``start``.. of the batch; return how many rows are filled."""
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as err:
                    logging.debug('Invalid image, skipping: %s', err)
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = self._label_row(label)
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def _label_row(self, label):
        label = np.asarray(label, dtype=np.float32).reshape(-1)
        if label.size != self.label_width:
            raise ValueError('ImageIter: a sample has %d label(s), label_width is %d'
                             % (label.size, self.label_width))
        return label if self.label_width > 1 else label[0]

    def _new_label_batch(self):
        """The label buffer of a new batch: zeros of ``provide_label``'s shape."""
        return np.zeros(self.provide_label[0][1], dtype=np.float32)

    def __next__(self):
        return self.next()

    def next(self):
        """The next ``DataBatch``; StopIteration at the end of the epoch."""
        if self._cache_data is not None:  # roll_over leftovers of the last epoch
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = np.zeros((self.batch_size,) + self.data_shape, dtype=np.float32)
            batch_label = self._new_label_batch()
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == 'discard':
                raise StopIteration
            if self.last_batch_handle == 'roll_over' and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)  # fill from the start of the data
            if self.last_batch_handle == 'pad':
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return DataBatch([array(batch_data, dtype=np.float32)],
                         [array(batch_label, dtype=np.float32)], pad=pad)
