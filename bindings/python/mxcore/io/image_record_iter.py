"""MXNet 1.x's ImageRecordIter in Python: images from a RecordIO file (.rec, with
its .idx or scanned once for record offsets), decoded with mx.image, resized,
cropped, mirrored and normalised as ``(pixel - mean) / std * scale`` into
(batch, channels, height, width) float32 batches."""
from __future__ import annotations

import random

import numpy as np

from .. import recordio
from ..base import MXNetError
from .file_iters import _SampleIter


class ImageRecordIter(_SampleIter):
    """Batches of images from ``path_imgrec``.

    data_shape (c, h, w): the crop fed to the network (c 3 colour, 1 grey).
    resize: shorter side resized to this first (bilinear; -1 keeps the size).
    rand_crop / rand_mirror: random crop position (else centre) / left-right flip.
    mean_r/g/b, std_r/g/b, scale: per-channel normalisation.
    shuffle: a new order each epoch (``seed``). round_batch: the last batch wraps
    around (as MXNet); otherwise it is padded and ``pad`` says how much.
    label_width: labels per image. num_parts/part_index: one contiguous slice of
    the records (distributed training). Decoding runs on the calling thread
    (preprocess_threads is accepted and ignored)."""

    def __init__(self, path_imgrec, data_shape, batch_size, path_imgidx=None, label_width=1, shuffle=False,
                 seed=0, rand_crop=False, rand_mirror=False, resize=-1, mean_r=0.0, mean_g=0.0, mean_b=0.0,
                 std_r=1.0, std_g=1.0, std_b=1.0, scale=1.0, round_batch=True, data_name="data",
                 label_name="softmax_label", num_parts=1, part_index=0, inter_method=1, **kwargs):
        if len(data_shape) != 3 or data_shape[0] not in (1, 3):
            raise MXNetError("ImageRecordIter: data_shape must be (channels, height, width) with 1 or 3 "
                             "channels, got %r" % (tuple(data_shape),))
        if path_imgidx:
            self._rec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
            keys = list(self._rec.keys)
            self._offsets = [self._rec.idx[k] for k in keys]
        else:  # one pass over the file for the record offsets
            self._rec = recordio.MXRecordIO(path_imgrec, "r")
            self._offsets = []
            while True:
                off = self._rec._file.tell()
                if self._rec.read() is None:
                    break
                self._offsets.append(off)
        n = len(self._offsets)
        if not 0 <= part_index < num_parts:
            raise MXNetError("ImageRecordIter: part_index %d out of range for num_parts %d" % (part_index, num_parts))
        self._offsets = self._offsets[n * part_index // num_parts:n * (part_index + 1) // num_parts]
        if not self._offsets:
            raise MXNetError("ImageRecordIter: %r holds no records" % path_imgrec)
        self._shape = tuple(int(d) for d in data_shape)
        self._label_width = label_width
        self._resize, self._interp = resize, inter_method
        self._rand_crop, self._rand_mirror = rand_crop, rand_mirror
        c = self._shape[0]
        self._mean = np.array([mean_r, mean_g, mean_b][:c] if c == 3 else [mean_r], np.float32)
        self._scale = np.float32(scale) / np.array([std_r, std_g, std_b][:c] if c == 3 else [std_r], np.float32)
        self._shuffle, self._seed, self._epoch = shuffle, seed, 0
        super().__init__(batch_size, len(self._offsets), "round" if round_batch else "pad", data_name, label_name,
                         self._shape, (label_width,) if label_width > 1 else ())
        self._reorder()

    def _reorder(self):
        if self._shuffle:
            self._order = np.random.RandomState(self._seed + self._epoch).permutation(self.num)

    def reset(self):
        self._epoch += 1
        self._reorder()
        super().reset()

    def _read(self, i):
        self._rec._file.seek(self._offsets[i])
        header, payload = recordio.unpack(self._rec.read())
        return header, payload

    def _augment(self, img):
        from .. import image
        c, h, w = self._shape
        if self._resize > 0:
            img = image.resize_short(img, self._resize, self._interp)
        crop = image.random_crop if self._rand_crop else image.center_crop
        img = crop(img, (w, h), self._interp)[0]
        a = img.asnumpy().astype(np.float32)
        if self._rand_mirror and random.random() < 0.5:
            a = a[:, ::-1]
        a = (a - self._mean) * self._scale
        return a.transpose(2, 0, 1)

    def _arrays(self, idx):
        from .. import image
        c = self._shape[0]
        data = np.empty((len(idx),) + self._shape, np.float32)
        label = np.empty((len(idx), self._label_width), np.float32)
        for k, i in enumerate(idx):
            header, payload = self._read(int(i))
            try:
                img = image.imdecode(payload, flag=1 if c == 3 else 0)
            except MXNetError as e:
                raise MXNetError("ImageRecordIter: record %d: %s" % (int(i), e)) from None
            data[k] = self._augment(img)
            lab = np.atleast_1d(np.asarray(header.label, np.float32))
            if lab.size < self._label_width:
                raise MXNetError("ImageRecordIter: record %d has %d labels, label_width is %d"
                                 % (int(i), lab.size, self._label_width))
            label[k] = lab[:self._label_width]
        return data, label.reshape((len(idx),) + self._label_shape)
