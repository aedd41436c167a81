"""ImageRecordDataset: (image, label) samples from a RecordIO file of packed images."""
from __future__ import annotations

import io

import numpy as np

from .... import recordio
from ..dataset import RecordFileDataset


def _imdecode(buf, flag):
    """Decode encoded image bytes into an HWC uint8 NDArray with ``mx.image.imdecode``:
    RGB (flag=1) or grayscale with a channel axis (flag=0)."""
    from .... import image
    return image.imdecode(buf, flag=flag)


class ImageRecordDataset(RecordFileDataset):
    """Images and labels packed with ``mx.recordio.pack_img`` (or ``im2rec``) in a .rec file.

    Parameters
    ----------
    filename : str
        Path to the .rec file; its index is the .idx file next to it.
    flag : {0, 1}, default 1
        0: decode to grayscale (HxWx1); 1: decode to RGB (HxWx3).
    transform : callable, default None
        Applied per sample as ``transform(image, label)``.

    Each sample is ``(image, label)``: the image an HWC uint8 NDArray, the label the
    record header's label (a float, or a float32 array for multi-label records).
    """

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        header, buf = recordio.unpack(super().__getitem__(idx))
        img = _imdecode(buf, self._flag)
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label
