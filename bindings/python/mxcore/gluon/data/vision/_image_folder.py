"""ImageFolderDataset: one sub-folder per class, images decoded by ``mx.image``."""
from __future__ import annotations

import os
import warnings

import numpy as np

from ..dataset import Dataset


def _nd():
    from .... import ndarray as nd
    return nd


def imread(path, flag=1):
    """Decode ``path`` into an HWC uint8 NDArray: RGB (flag=1) or grayscale (flag=0, C=1),
    with ``mx.image.imread`` (Pillow; OpenCV's gray formulas, as MXNet)."""
    from .... import image
    return image.imread(path, flag=flag)


class ImageFolderDataset(Dataset):
    """Images stored one folder per class, like ``root/car/0001.jpg``, ``root/bus/123.png``.

    Parameters
    ----------
    root : str
        Path to the root directory; each sub-folder (in sorted order) is a class.
    flag : {0, 1}, default 1
        0: decode to grayscale (1 channel); 1: decode to RGB (3 channels).
    transform : callable, default None
        Applied per sample as ``transform(data, label)``.

    Attributes
    ----------
    synsets : list of str
        Class names; ``synsets[i]`` is the name of label ``i``.
    items : list of (str, int)
        All images as (file name, label) pairs.
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = ['.jpg', '.jpeg', '.png']
        if not os.path.isdir(self._root):
            raise FileNotFoundError('ImageFolderDataset: root directory %s does not exist'
                                    % self._root)
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn('Ignoring %s, which is not a directory.' % path, stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn('Ignoring %s of type %s. Only support %s'
                                  % (filename, ext, ', '.join(self._exts)), stacklevel=3)
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        filename, label = self.items[idx]
        img = imread(filename, self._flag)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
