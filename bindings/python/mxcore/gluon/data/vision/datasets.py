"""MXNet 1.x's vision datasets: MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolderDataset.

Samples are ``(image, label)``: the image an HWC uint8 NDArray, the label a numpy
int32 scalar, as in MXNet 1.9.1. Files already in ``root`` are used as they are
(after format checks); missing ones are downloaded from MXNet's Gluon repository
and checked against MXNet's sha1 hashes.
"""
from __future__ import annotations

import os

import numpy as np

from ..dataset import Dataset
from . import _download, _formats
from ._download import DatasetFilesUnavailable, default_root
from ._formats import DatasetFormatError
from ._image_folder import ImageFolderDataset

__all__ = ['CIFAR10', 'CIFAR100', 'MNIST', 'DatasetFilesUnavailable', 'DatasetFormatError',
           'FashionMNIST', 'ImageFolderDataset']


def _nd():
    from .... import ndarray as nd
    return nd


class _DownloadedDataset(Dataset):
    """Arrays ``_data`` (NDArray) and ``_label`` (numpy int32) loaded by ``_get_data``."""

    def __init__(self, root, transform):
        self._transform = transform
        self._data = None
        self._label = None
        self._root = os.path.expanduser(root)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _get_data(self):
        raise NotImplementedError


class MNIST(_DownloadedDataset):
    """MNIST handwritten digits; each sample is a (28, 28, 1) uint8 image and its label.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/mnist
        Folder holding (or receiving) ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz``; uncompressed copies (no ``.gz``) work too.
    train : bool, default True
        Whether to load the training or the test set.
    transform : callable, default None
        Applied per sample as ``transform(data, label)``.
    """

    _namespace = 'mnist'
    # (file name, sha1) of the images and the labels of each split, as MXNet 1.9.1 has them
    _train_files = (('train-images-idx3-ubyte.gz', '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d'),
                    ('train-labels-idx1-ubyte.gz', '2a80914081dc54586dbdf242f9805a6b8d2a15fc'))
    _test_files = (('t10k-images-idx3-ubyte.gz', 'c3a25af1f52dad7f726cce8cacb138654b760d48'),
                   ('t10k-labels-idx1-ubyte.gz', '763e7fa3757d93b0cdec073cef058b2004252c17'))

    def __init__(self, root=default_root('mnist'), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _locate(self, name, sha1):
        """Path of ``name`` in root (or its uncompressed twin); downloaded when absent."""
        for candidate in (name, name[:-len('.gz')]):
            path = os.path.join(self._root, candidate)
            if os.path.isfile(path):
                return path
        manual = ['%s   <- %s' % (n, _download.repo_file_url(self._namespace, n))
                  for n, _ in self._split_files()]
        manual.append('(uncompressed copies without the .gz suffix are accepted too)')
        return _download.fetch(type(self).__name__, self._namespace, self._root, name, sha1,
                               manual)

    def _split_files(self):
        return self._train_files if self._train else self._test_files

    def split_paths(self):
        """Paths of this split's (images, labels) idx files, downloaded when absent."""
        images_file, labels_file = self._split_files()
        labels_path = self._locate(*labels_file)  # labels first, as MXNet fetches them
        return self._locate(*images_file), labels_path

    @classmethod
    def files(cls, root=None, train=True):
        """(images, labels) idx file paths of a split without loading it (for
        mx.io.MNISTIter); downloaded into ``root`` when absent."""
        ds = cls.__new__(cls)
        ds._root = os.path.expanduser(root or default_root(cls._namespace))
        ds._train = train
        return ds.split_paths()

    def _get_data(self):
        images_path, labels_path = self.split_paths()
        labels = _formats.read_idx(labels_path, 1)
        images = _formats.read_idx(images_path, 3)
        if len(images) != len(labels):
            raise DatasetFormatError('%s holds %d images but %s holds %d labels'
                                     % (images_path, len(images), labels_path, len(labels)))
        self._data = _nd().array(images[..., None], dtype=np.uint8)  # NHW -> NHWC
        self._label = labels.astype(np.int32)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, a drop-in replacement of MNIST with the same file names.

    Parameters are those of :class:`MNIST`; ``root`` defaults to
    ``$MXNET_HOME/datasets/fashion-mnist``.
    """

    _namespace = 'fashion-mnist'
    _train_files = (('train-images-idx3-ubyte.gz', '0cf37b0d40ed5169c6b3aba31069a9770ac9043d'),
                    ('train-labels-idx1-ubyte.gz', '236021d52f1e40852b06a4c3008d8de8aef1e40b'))
    _test_files = (('t10k-images-idx3-ubyte.gz', '626ed6a7c06dd17c0eec72fa3be1740f146a2863'),
                   ('t10k-labels-idx1-ubyte.gz', '17f9ab60e7257a1620f4ad76bbbaf857c3920701'))

    def __init__(self, root=default_root('fashion-mnist'), train=True, transform=None):
        super().__init__(root, train, transform)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10; each sample is a (32, 32, 3) uint8 image and its label (0..9).

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar10
        Folder holding ``data_batch_1.bin`` .. ``data_batch_5.bin`` and ``test_batch.bin``
        (directly or in ``cifar-10-batches-bin/``), or the archive
        ``cifar-10-binary.tar.gz`` they are extracted from.
    train : bool, default True
        Whether to load the training or the test set.
    transform : callable, default None
        Applied per sample as ``transform(data, label)``.
    """

    _namespace = 'cifar10'
    _archive = ('cifar-10-binary.tar.gz', 'fab780a1e191a7eda0f345501ccd62d20f7ed891')
    _subdir = 'cifar-10-batches-bin'  # where the archive puts the batches
    _train_files = tuple('data_batch_%d.bin' % i for i in range(1, 6))
    _test_files = ('test_batch.bin',)
    _label_limits = (10,)  # classes per label byte of a record

    def __init__(self, root=default_root('cifar10'), train=True, transform=None):
        self._train = train
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _find_batches(self, names):
        """Paths of all ``names`` in root or root/<subdir>, or None if some are missing."""
        for folder in (self._root, os.path.join(self._root, self._subdir)):
            paths = [os.path.join(folder, n) for n in names]
            if all(os.path.isfile(p) for p in paths):
                return paths
        return None

    def _unpack_archive(self):
        """Extract the archive from root (downloading it first if absent) into root/<subdir>."""
        name, sha1 = self._archive
        archive = os.path.join(self._root, name)
        if not os.path.isfile(archive):
            manual = ['%s   <- %s' % (name, _download.repo_file_url(self._namespace, name)),
                      'or the files it holds: %s (directly in root or in %s/)'
                      % (', '.join(self._train_files + self._test_files), self._subdir)]
            archive = _download.fetch(type(self).__name__, self._namespace, self._root, name,
                                      sha1, manual)
        _formats.extract_flat(archive, os.path.join(self._root, self._subdir))
        return archive

    def _get_data(self):
        names = self._train_files if self._train else self._test_files
        paths = self._find_batches(names)
        if paths is None:
            archive = self._unpack_archive()
            paths = self._find_batches(names)
            if paths is None:
                raise DatasetFormatError('%s does not contain all of %s'
                                         % (archive, ', '.join(names)))
        limits = self._label_limits
        batches = [_formats.read_cifar_batch(p, len(limits), limits) for p in paths]
        images = np.concatenate([b[0] for b in batches])
        labels = np.concatenate([b[1] for b in batches])
        self._data = _nd().array(images, dtype=np.uint8)
        self._label = labels[:, self._label_column()].astype(np.int32)


class CIFAR100(CIFAR10):
    """CIFAR-100; each sample is a (32, 32, 3) uint8 image and its coarse or fine label.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/cifar100
        Folder holding ``train.bin`` and ``test.bin`` (directly or in
        ``cifar-100-binary/``), or the archive ``cifar-100-binary.tar.gz``.
    fine_label : bool, default False
        Whether to load the fine-grained labels (100 classes) or the coarse ones
        (20 super-classes).
    train : bool, default True
        Whether to load the training or the test set.
    transform : callable, default None
        Applied per sample as ``transform(data, label)``.
    """

    _namespace = 'cifar100'
    _archive = ('cifar-100-binary.tar.gz', 'a0bb982c76b83111308126cc779a992fa506b90b')
    _subdir = 'cifar-100-binary'
    _train_files = ('train.bin',)
    _test_files = ('test.bin',)
    _label_limits = (20, 100)  # each record starts with its coarse then its fine label

    def __init__(self, root=default_root('cifar100'), fine_label=False, train=True,
                 transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self):
        return 1 if self._fine_label else 0
