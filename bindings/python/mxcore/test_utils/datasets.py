"""Downloads and the small data sets of mxnet.test_utils (MNIST, CIFAR-10, zip/bz2
archives), and DummyIter for speed tests."""
from __future__ import annotations

import bz2
import logging
import os
import shutil
import zipfile

import numpy as np

from ..io import DataIter

_DATA_URL = "http://data.mxnet.io/mxnet/data/"


def download(url, fname=None, dirname=None, overwrite=False, retries=5) -> str:
    """Fetch ``url`` to ``fname`` (default: the URL's last part) inside ``dirname`` (created
    when missing) and return the file name; an existing file is kept unless ``overwrite``."""
    from ..gluon.utils import download_file
    assert retries >= 0, "Number of retries should be at least 0"
    fname = url.split("/")[-1] if fname is None else fname
    if dirname is None:
        dirname = os.path.dirname(fname)
    else:
        fname = os.path.join(dirname, fname)
    if dirname:
        os.makedirs(dirname, exist_ok=True)
    if not overwrite and os.path.exists(fname):
        logging.info("%s exists, skipping download", fname)
        return fname
    download_file(url, fname, retries=retries)
    logging.info("downloaded %s into %s successfully", url, fname)
    return fname


def _fetch_zip(url, members, data_dir="data"):
    """Download ``url`` into ``data_dir`` and unpack it there unless all ``members`` exist."""
    os.makedirs(data_dir, exist_ok=True)
    if all(os.path.exists(os.path.join(data_dir, m)) for m in members):
        return
    with zipfile.ZipFile(download(url, dirname=data_dir)) as zf:
        zf.extractall(data_dir)


def get_mnist_ubyte() -> None:
    """The four raw MNIST idx files under ./data (downloaded once)."""
    _fetch_zip(_DATA_URL + "mnist.zip", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])


def get_cifar10() -> None:
    """CIFAR-10 RecordIO files and lists under ./data/cifar (downloaded once)."""
    _fetch_zip(_DATA_URL + "cifar10.zip", ["cifar/train.rec", "cifar/test.rec", "cifar/train.lst", "cifar/test.lst"])


def get_mnist(path=None) -> dict:
    """MNIST as numpy arrays, as MXNet 1.x's test_utils.get_mnist gives them:
    ``train_data``/``test_data`` (N, 1, 28, 28) float32 in [0, 1] (pixels / 255)
    and ``train_label``/``test_label`` int8. Files come from ``path`` (default
    $MXNET_HOME/datasets/mnist), downloaded there like gluon.data.vision.MNIST."""
    from ..gluon.data.vision import MNIST
    kw = {} if path is None else {"root": path}
    out = {}
    for split, train in (("train", True), ("test", False)):
        ds = MNIST(train=train, **kw)
        imgs = ds._data.asnumpy()  # (N, 28, 28, 1) uint8
        out[split + "_data"] = imgs.transpose(0, 3, 1, 2).astype(np.float32) / 255
        out[split + "_label"] = ds._label.astype(np.int8)
    return out


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0, path=None):
    """(train, val) mx.io.MNISTIter over the MNIST files (see get_mnist); flat
    784-vectors unless ``input_shape`` is 3-d."""
    from ..gluon.data.vision import MNIST
    from ..io import MNISTIter
    flat = len(input_shape) != 3
    iters = []
    for train in (True, False):
        image, label = MNIST.files(path, train)
        iters.append(MNISTIter(image=image, label=label, batch_size=batch_size, shuffle=train, flat=flat,
                               num_parts=num_parts, part_index=part_index))
    return tuple(iters)


def get_zip_data(data_dir, url, data_origin_name) -> None:
    """Download the zip ``url`` as ``data_dir/data_origin_name`` and unpack it into
    ``data_dir``, unless that file is already there."""
    archive = os.path.join(data_dir, data_origin_name)
    if os.path.exists(archive):
        return
    download(url, fname=data_origin_name, dirname=data_dir)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(path=data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name) -> None:
    """Download the bz2 ``url`` and decompress it to ``data_dir/data_name`` (the archive is
    removed afterwards), unless ``data_name`` is already there."""
    target = os.path.join(data_dir, data_name)
    if os.path.exists(target):
        return
    archive = download(url, fname=data_origin_name, dirname=data_dir)
    with bz2.BZ2File(archive, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.remove(archive)


def get_im2rec_path(home_env="MXNET_HOME") -> str:
    """Path of tools/im2rec.py under $``home_env`` or next to the package."""
    from .. import __file__ as pkg_file
    root = os.environ.get(home_env, os.path.dirname(pkg_file))
    for cand in (os.path.join(root, "tools", "im2rec.py"), os.path.join(root, "..", "..", "tools", "im2rec.py")):
        if os.path.isfile(cand):
            return cand
    raise IOError("Could not find path to tools/im2rec.py")


class DummyIter(DataIter):
    """Endless iterator repeating the first batch of ``real_iter`` (for speed tests)."""

    def __init__(self, real_iter):
        super().__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def next(self):
        """The first batch of the real iterator, every time (never StopIteration)."""
        return self.the_batch
