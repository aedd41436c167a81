"""gluon.data.vision datasets (MNIST, FashionMNIST, CIFAR10/100, ImageFolderDataset).

Everything runs on small synthetic files written in the exact on-disk formats (gzip'd
idx, CIFAR binary batches, tar.gz archives); nothing is downloaded: the downloader is
replaced by fakes that either fail or write synthetic files.
"""
import gzip
import hashlib
import io
import os
import struct
import sys
import tarfile

import mxcore as mx
import numpy as np
import pytest
from mxcore.gluon.data import DataLoader, vision
from mxcore.gluon.data.vision import _download, datasets

MXNET_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'


# ---------------------------------------------------------------- file writers

def _idx_bytes(arr, magic=None):
    arr = np.asarray(arr, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | arr.ndim
    return struct.pack('>I', magic) + struct.pack('>%dI' % arr.ndim, *arr.shape) + arr.tobytes()


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _write(path, payload, gz=None):
    gz = path.endswith('.gz') if gz is None else gz
    if gz:
        with gzip.open(path, 'wb') as f:
            f.write(payload)
    else:
        with open(path, 'wb') as f:
            f.write(payload)


def _mnist_split(n, seed):
    rng = np.random.RandomState(seed)
    return (rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8),
            rng.randint(0, 10, size=n).astype(np.uint8))


def _make_mnist(root, n_train=5, n_test=3, gz=True):
    """Write all four MNIST files; returns {train: (images, labels)}."""
    os.makedirs(root, exist_ok=True)
    out = {}
    for train, prefix, n in ((True, 'train', n_train), (False, 't10k', n_test)):
        images, labels = _mnist_split(n, seed=n + int(train))
        suffix = '.gz' if gz else ''
        _write(os.path.join(root, '%s-images-idx3-ubyte%s' % (prefix, suffix)), _idx_bytes(images))
        _write(os.path.join(root, '%s-labels-idx1-ubyte%s' % (prefix, suffix)), _idx_bytes(labels))
        out[train] = (images, labels)
    return out


def _cifar_records(images_hwc, label_cols):
    """CIFAR binary records: label byte(s), then the R, G and B 32x32 planes."""
    planes = images_hwc.transpose(0, 3, 1, 2).reshape(len(images_hwc), -1)
    return np.concatenate([np.stack(label_cols, 1).astype(np.uint8), planes], 1).tobytes()


def _cifar_split(n, seed, limits):
    rng = np.random.RandomState(seed)
    images = rng.randint(0, 256, size=(n, 32, 32, 3)).astype(np.uint8)
    labels = [rng.randint(0, lim, size=n) for lim in limits]
    return images, labels


def _cifar10_files(sizes=(2, 3, 1, 2, 2), n_test=3):
    """{file name: (bytes, images, labels)} for the six CIFAR-10 batches."""
    files = {}
    for i, n in enumerate(sizes, 1):
        images, labels = _cifar_split(n, i, (10,))
        files['data_batch_%d.bin' % i] = (_cifar_records(images, labels), images, labels[0])
    images, labels = _cifar_split(n_test, 99, (10,))
    files['test_batch.bin'] = (_cifar_records(images, labels), images, labels[0])
    return files


def _write_files(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, entry in files.items():
        _write(os.path.join(folder, name), entry[0], gz=False)


def _tar_gz(path, members):
    """A .tar.gz at ``path`` holding {member name: bytes}."""
    with tarfile.open(path, 'w:gz') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _expected_cifar10(files, train):
    names = ['data_batch_%d.bin' % i for i in range(1, 6)] if train else ['test_batch.bin']
    return (np.concatenate([files[n][1] for n in names]),
            np.concatenate([files[n][2] for n in names]))


@pytest.fixture
def no_network(monkeypatch):
    """Replace the downloader with one that fails, recording what was asked for."""
    calls = []

    def fail(url, dest, sha1_hash, **kwargs):
        calls.append((url, dest, sha1_hash))
        raise OSError('network is unreachable')
    monkeypatch.setattr(_download, 'download_file', fail)
    monkeypatch.delenv('MXNET_GLUON_REPO', raising=False)
    return calls


# ---------------------------------------------------------------- MNIST

@pytest.mark.parametrize('cls', [vision.MNIST, vision.FashionMNIST])
@pytest.mark.parametrize('train', [True, False])
def test_mnist_pixels_labels_types(tmp_path, cls, train, no_network):
    expected = _make_mnist(str(tmp_path))[train]
    ds = cls(root=str(tmp_path), train=train)
    images, labels = expected
    assert len(ds) == len(labels)
    for i in range(len(ds)):
        x, y = ds[i]
        assert isinstance(x, mx.nd.NDArray)
        assert x.shape == (28, 28, 1) and x.dtype == np.uint8
        np.testing.assert_array_equal(x.asnumpy()[:, :, 0], images[i])
        assert type(y) is np.int32 and y == labels[i]
    # MXNet's attributes: the images as one NDArray, the labels as a numpy int32 array
    assert isinstance(ds._data, mx.nd.NDArray) and ds._data.shape == (len(labels), 28, 28, 1)
    assert isinstance(ds._label, np.ndarray) and ds._label.dtype == np.int32
    assert not no_network  # files present: nothing downloaded


def test_mnist_reads_uncompressed_files(tmp_path, no_network):
    images, labels = _make_mnist(str(tmp_path), gz=False)[True]
    ds = vision.MNIST(root=str(tmp_path))
    np.testing.assert_array_equal(ds._data.asnumpy()[..., 0], images)
    np.testing.assert_array_equal(ds._label, labels)


def test_mnist_root_expands_user(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv('HOME', str(tmp_path))
    _make_mnist(str(tmp_path / 'mn'))
    assert len(vision.MNIST(root='~/mn', train=False)) == 3


def test_mnist_transform_per_item(tmp_path, no_network):
    images, labels = _make_mnist(str(tmp_path))[True]
    seen = []

    def fn(data, label):
        seen.append((data.shape, type(label)))
        return data.astype('float32') / 255, int(label) + 100
    ds = vision.MNIST(root=str(tmp_path), transform=fn)
    x, y = ds[2]
    np.testing.assert_allclose(x.asnumpy()[:, :, 0], images[2] / 255.0, rtol=1e-6)
    assert y == labels[2] + 100
    assert seen == [((28, 28, 1), np.int32)]


def test_mnist_transform_first_dataloader_to_tensor(tmp_path, no_network):
    images, labels = _make_mnist(str(tmp_path))[True]
    ds = vision.MNIST(root=str(tmp_path)).transform_first(vision.transforms.ToTensor())
    batches = list(DataLoader(ds, batch_size=2))
    assert [b.batch_size for b in batches] == [2, 2, 1]
    data, label = batches[0]
    assert data.shape == (2, 1, 28, 28) and data.dtype == np.float32
    np.testing.assert_allclose(data.asnumpy()[:, 0], images[:2] / 255.0, rtol=1e-6)
    assert label.shape == (2,) and label.dtype == np.int32
    np.testing.assert_array_equal(np.concatenate([b.label.asnumpy() for b in batches]), labels)


def _break(root, name, payload, gz=True):
    _write(os.path.join(root, name), payload, gz=gz)


@pytest.mark.parametrize('name,payload,gz,match', [
    # header promises 5 images, data stops after 2
    ('train-images-idx3-ubyte.gz', _idx_bytes(np.zeros((5, 28, 28)))[:16 + 2 * 784], True,
     r'truncated: the header declares shape \(5, 28, 28\) \(3920 bytes of data\) but 1568'),
    ('train-labels-idx1-ubyte.gz', b'\x00\x00\x08', True, 'truncated: 3 bytes'),
    ('train-labels-idx1-ubyte.gz', struct.pack('>I', 2049), True, 'idx header alone needs 8'),
    ('train-labels-idx1-ubyte.gz', _idx_bytes(np.zeros(5)) + b'\x01', True, 'too long'),
    # an image file where the labels belong: the magic tells them apart
    ('train-labels-idx1-ubyte.gz', _idx_bytes(np.zeros((5, 28, 28))), True,
     r'bad idx magic number 2051 \(0x00000803\); expected 2049'),
    ('train-images-idx3-ubyte.gz', b'\x1f\x8b' + b'\x00' * 40, False, 'not a valid gzip file'),
    ('train-images-idx3-ubyte.gz', b'plain bytes', False, 'not a valid gzip file'),
])
def test_mnist_corrupt_files(tmp_path, no_network, name, payload, gz, match):
    _make_mnist(str(tmp_path))
    _break(str(tmp_path), name, payload, gz)
    with pytest.raises(datasets.DatasetFormatError, match=match) as info:
        vision.MNIST(root=str(tmp_path))
    assert os.path.join(str(tmp_path), name) in str(info.value)


def test_mnist_truncated_gzip_stream(tmp_path, no_network):
    _make_mnist(str(tmp_path))
    path = os.path.join(str(tmp_path), 'train-images-idx3-ubyte.gz')
    raw = _read(path)
    with open(path, 'wb') as f:
        f.write(raw[:len(raw) // 2])  # an interrupted download
    with pytest.raises(datasets.DatasetFormatError, match='is truncated.*gzip stream ends early'):
        vision.MNIST(root=str(tmp_path))


def test_mnist_image_label_count_mismatch(tmp_path, no_network):
    _make_mnist(str(tmp_path))
    _break(str(tmp_path), 'train-labels-idx1-ubyte.gz', _idx_bytes(np.zeros(4)))
    with pytest.raises(datasets.DatasetFormatError, match='holds 5 images but .* holds 4 labels'):
        vision.MNIST(root=str(tmp_path))


@pytest.mark.parametrize('cls,namespace,train,names', [
    (vision.MNIST, 'mnist', True, ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']),
    (vision.FashionMNIST, 'fashion-mnist', False,
     ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']),
])
def test_mnist_missing_files_download_fails(tmp_path, no_network, cls, namespace, train, names):
    root = str(tmp_path / 'data')
    with pytest.raises(datasets.DatasetFilesUnavailable) as info:
        cls(root=root, train=train)
    msg = str(info.value)
    url = MXNET_REPO + 'gluon/dataset/%s/' % namespace
    assert url + names[1] in msg  # labels are fetched first: that download failed
    assert 'network is unreachable' in msg and root in msg
    for name in names:
        assert name in msg and url + name in msg
    assert len(no_network) == 1
    # MXNet's sha1 of the file is what the download is checked against
    expected_sha1 = dict(cls._train_files if train else cls._test_files)[names[1]]
    assert no_network[0] == (url + names[1], os.path.join(root, names[1]), expected_sha1)
    assert os.listdir(root) == []  # nothing half-written left behind


def test_mnist_downloads_missing_files(tmp_path, monkeypatch):
    """A working downloader: only the missing file is fetched, then everything loads."""
    src = str(tmp_path / 'src')
    images, labels = _make_mnist(src)[True]
    root = str(tmp_path / 'root')
    os.makedirs(root)
    os.link(os.path.join(src, 'train-labels-idx1-ubyte.gz'),
            os.path.join(root, 'train-labels-idx1-ubyte.gz'))
    fetched = []

    def fake(url, dest, sha1_hash, **kwargs):
        fetched.append(url)
        with open(os.path.join(src, os.path.basename(url)), 'rb') as f, open(dest, 'wb') as out:
            out.write(f.read())
        return dest
    monkeypatch.setattr(_download, 'download_file', fake)
    monkeypatch.setenv('MXNET_GLUON_REPO', 'https://mirror.example/repo')
    ds = vision.MNIST(root=root)
    assert fetched == ['https://mirror.example/repo/gluon/dataset/mnist/train-images-idx3-ubyte.gz']
    np.testing.assert_array_equal(ds._data.asnumpy()[..., 0], images)
    np.testing.assert_array_equal(ds._label, labels)


# ---------------------------------------------------------------- downloader itself

def test_download_file_checks_sha1(tmp_path):
    """The real downloader over a file:// URL: a hash mismatch leaves no file behind."""
    src = tmp_path / 'payload.bin'
    src.write_bytes(b'mxcore dataset bytes')
    url = src.as_uri()
    dest = str(tmp_path / 'out' / 'payload.bin')
    os.makedirs(os.path.dirname(dest))
    with pytest.raises(OSError, match="sha1 does not match 0000"):
        _download.download_file(url, dest, '0' * 40, retries=1)
    assert os.listdir(os.path.dirname(dest)) == []
    good = hashlib.sha1(b'mxcore dataset bytes').hexdigest()
    assert _download.download_file(url, dest, good) == dest
    assert _read(dest) == b'mxcore dataset bytes'


def test_default_roots_and_repo(monkeypatch):
    monkeypatch.setenv('MXNET_HOME', '/data/mx')
    assert _download.default_root('cifar10') == os.path.join('/data/mx', 'datasets', 'cifar10')
    monkeypatch.delenv('MXNET_HOME')
    assert _download.default_root('mnist') == os.path.join(
        os.path.expanduser('~'), '.mxnet', 'datasets', 'mnist')
    monkeypatch.delenv('MXNET_GLUON_REPO', raising=False)
    assert _download.repo_file_url('cifar100', 'cifar-100-binary.tar.gz') == \
        MXNET_REPO + 'gluon/dataset/cifar100/cifar-100-binary.tar.gz'


# ---------------------------------------------------------------- CIFAR

@pytest.mark.parametrize('layout', ['flat', 'subdir'])
@pytest.mark.parametrize('train', [True, False])
def test_cifar10_from_batch_files(tmp_path, no_network, layout, train):
    files = _cifar10_files()
    folder = tmp_path if layout == 'flat' else tmp_path / 'cifar-10-batches-bin'
    _write_files(str(folder), files)
    ds = vision.CIFAR10(root=str(tmp_path), train=train)
    images, labels = _expected_cifar10(files, train)
    assert len(ds) == len(labels) == (10 if train else 3)
    for i in range(len(ds)):
        x, y = ds[i]
        assert isinstance(x, mx.nd.NDArray) and x.shape == (32, 32, 3) and x.dtype == np.uint8
        np.testing.assert_array_equal(x.asnumpy(), images[i])  # CHW planes -> HWC
        assert type(y) is np.int32 and y == labels[i]
    assert ds._data.shape == (len(labels), 32, 32, 3)
    assert isinstance(ds._label, np.ndarray) and ds._label.dtype == np.int32
    assert not no_network


def test_cifar10_channel_order(tmp_path, no_network):
    """A record whose R plane is 1s, G 2s, B 3s decodes to pixels (1, 2, 3)."""
    planes = np.concatenate([np.full(1024, c, np.uint8) for c in (1, 2, 3)])
    _write(str(tmp_path / 'test_batch.bin'), bytes([7]) + planes.tobytes(), gz=False)
    x, y = vision.CIFAR10(root=str(tmp_path), train=False)[0]
    assert (x.asnumpy() == np.array([1, 2, 3], np.uint8)).all() and y == 7


@pytest.mark.parametrize('nested', [True, False])
def test_cifar10_extracts_local_archive(tmp_path, no_network, nested):
    """The archive as distributed (batches under cifar-10-batches-bin/) or flat."""
    files = _cifar10_files()
    prefix = 'cifar-10-batches-bin/' if nested else ''
    members = {prefix + name: entry[0] for name, entry in files.items()}
    members[prefix + 'batches.meta.txt'] = b'airplane\nautomobile\n'
    _tar_gz(str(tmp_path / 'cifar-10-binary.tar.gz'), members)
    ds = vision.CIFAR10(root=str(tmp_path))
    images, labels = _expected_cifar10(files, True)
    np.testing.assert_array_equal(ds._data.asnumpy(), images)
    np.testing.assert_array_equal(ds._label, labels)
    extracted = sorted(os.listdir(str(tmp_path / 'cifar-10-batches-bin')))
    assert extracted == sorted(list(files) + ['batches.meta.txt'])
    # the second construction reads the extracted batches (the archive may be gone)
    os.remove(str(tmp_path / 'cifar-10-binary.tar.gz'))
    np.testing.assert_array_equal(vision.CIFAR10(root=str(tmp_path), train=False)._label,
                                  _expected_cifar10(files, False)[1])


def test_cifar10_downloads_archive(tmp_path, monkeypatch):
    files = _cifar10_files()
    src = str(tmp_path / 'src.tar.gz')
    _tar_gz(src, {'cifar-10-batches-bin/' + n: e[0] for n, e in files.items()})
    calls = []

    def fake(url, dest, sha1_hash, **kwargs):
        calls.append((url, dest, sha1_hash))
        with open(src, 'rb') as f, open(dest, 'wb') as out:
            out.write(f.read())
        return dest
    monkeypatch.setattr(_download, 'download_file', fake)
    monkeypatch.delenv('MXNET_GLUON_REPO', raising=False)
    root = str(tmp_path / 'root')
    ds = vision.CIFAR10(root=root, train=False)
    assert calls == [(MXNET_REPO + 'gluon/dataset/cifar10/cifar-10-binary.tar.gz',
                      os.path.join(root, 'cifar-10-binary.tar.gz'),
                      'fab780a1e191a7eda0f345501ccd62d20f7ed891')]
    np.testing.assert_array_equal(ds._data.asnumpy(), _expected_cifar10(files, False)[0])


@pytest.mark.parametrize('fine', [False, True])
@pytest.mark.parametrize('train', [True, False])
def test_cifar100_coarse_and_fine_labels(tmp_path, no_network, fine, train):
    splits = {name: _cifar_split(n, seed, (20, 100))
              for name, n, seed in (('train.bin', 4, 1), ('test.bin', 3, 2))}
    members = {'cifar-100-binary/' + name: _cifar_records(images, labels)
               for name, (images, labels) in splits.items()}
    _tar_gz(str(tmp_path / 'cifar-100-binary.tar.gz'), members)
    ds = vision.CIFAR100(root=str(tmp_path), fine_label=fine, train=train)
    images, (coarse, fine_labels) = splits['train.bin' if train else 'test.bin']
    expected = fine_labels if fine else coarse
    assert len(ds) == len(expected)
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.shape == (32, 32, 3) and x.dtype == np.uint8
        np.testing.assert_array_equal(x.asnumpy(), images[i])
        assert type(y) is np.int32 and y == expected[i]


def test_cifar_transform_first_dataloader(tmp_path, no_network):
    files = _cifar10_files()
    _write_files(str(tmp_path), files)
    ds = vision.CIFAR10(root=str(tmp_path)).transform_first(vision.transforms.ToTensor())
    data, label = next(iter(DataLoader(ds, batch_size=4)))
    images, labels = _expected_cifar10(files, True)
    assert data.shape == (4, 3, 32, 32) and data.dtype == np.float32
    np.testing.assert_allclose(data.asnumpy(), images[:4].transpose(0, 3, 1, 2) / 255.0,
                               rtol=1e-6)
    assert label.dtype == np.int32
    np.testing.assert_array_equal(label.asnumpy(), labels[:4])


def test_cifar_truncated_batch(tmp_path, no_network):
    files = _cifar10_files()
    files['data_batch_3.bin'] = (files['data_batch_3.bin'][0][:-5],)
    _write_files(str(tmp_path), files)
    with pytest.raises(datasets.DatasetFormatError,
                       match='data_batch_3.bin: size 3068 bytes is not a positive multiple '
                             'of the 3073-byte CIFAR record'):
        vision.CIFAR10(root=str(tmp_path))


def test_cifar_label_out_of_range(tmp_path, no_network):
    images, labels = _cifar_split(2, 0, (10,))
    labels[0][1] = 12
    _write(str(tmp_path / 'test_batch.bin'), _cifar_records(images, labels), gz=False)
    with pytest.raises(datasets.DatasetFormatError, match='record 1 has label 12, outside'):
        vision.CIFAR10(root=str(tmp_path), train=False)


def test_cifar_truncated_archive(tmp_path, no_network):
    files = _cifar10_files()
    path = str(tmp_path / 'cifar-10-binary.tar.gz')
    _tar_gz(path, {'cifar-10-batches-bin/' + n: e[0] for n, e in files.items()})
    raw = _read(path)
    with open(path, 'wb') as f:
        f.write(raw[:len(raw) * 2 // 3])
    with pytest.raises(datasets.DatasetFormatError, match='truncated or not a valid tar'):
        vision.CIFAR10(root=str(tmp_path))
    # no half-written batch or temporary file was left
    for name in os.listdir(str(tmp_path / 'cifar-10-batches-bin')):
        assert '.part-' not in name
        assert _read(str(tmp_path / 'cifar-10-batches-bin' / name)) == files[name][0]


def test_cifar_archive_without_the_batches(tmp_path, no_network):
    _tar_gz(str(tmp_path / 'cifar-100-binary.tar.gz'), {'cifar-100-binary/readme.txt': b'hi'})
    with pytest.raises(datasets.DatasetFormatError, match='does not contain all of train.bin'):
        vision.CIFAR100(root=str(tmp_path))


def test_cifar_archive_member_paths_cannot_escape(tmp_path, no_network):
    images, labels = _cifar_split(1, 0, (10,))
    root = tmp_path / 'root'
    root.mkdir()
    _tar_gz(str(root / 'cifar-10-binary.tar.gz'),
            {'../../test_batch.bin': _cifar_records(images, labels)})
    ds = vision.CIFAR10(root=str(root), train=False)
    assert len(ds) == 1
    assert os.path.isfile(str(root / 'cifar-10-batches-bin' / 'test_batch.bin'))
    assert not os.path.exists(str(tmp_path / 'test_batch.bin'))


@pytest.mark.parametrize('cls,namespace,archive,names', [
    (vision.CIFAR10, 'cifar10', 'cifar-10-binary.tar.gz',
     ['data_batch_1.bin', 'data_batch_5.bin', 'test_batch.bin', 'cifar-10-batches-bin']),
    (vision.CIFAR100, 'cifar100', 'cifar-100-binary.tar.gz',
     ['train.bin', 'test.bin', 'cifar-100-binary']),
])
def test_cifar_missing_files_download_fails(tmp_path, no_network, cls, namespace, archive, names):
    root = str(tmp_path / 'nothing')
    with pytest.raises(datasets.DatasetFilesUnavailable) as info:
        cls(root=root)
    msg = str(info.value)
    url = MXNET_REPO + 'gluon/dataset/%s/%s' % (namespace, archive)
    assert url in msg and root in msg and archive in msg
    for name in names:
        assert name in msg
    assert [c[0] for c in no_network] == [url]
    assert no_network[0][2] == cls._archive[1]


# ---------------------------------------------------------------- ImageFolderDataset

def _image_tree(root):
    """root/{cat,ant}/ with fake images (npy payloads) plus files that are skipped."""
    rng = np.random.RandomState(0)
    arrays = {}
    for cls_name, names in (('cat', ['b.png', 'a.JPG']), ('ant', ['x.jpeg'])):
        os.makedirs(os.path.join(root, cls_name))
        for name in names:
            arr = rng.randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
            path = os.path.join(root, cls_name, name)
            with open(path, 'wb') as f:
                np.save(f, arr)
            arrays[path] = arr
    open(os.path.join(root, 'cat', 'notes.txt'), 'w').close()
    open(os.path.join(root, 'labels.csv'), 'w').close()
    return arrays


def test_image_folder_listing(tmp_path):
    _image_tree(str(tmp_path))
    with pytest.warns(UserWarning) as rec:
        ds = vision.ImageFolderDataset(str(tmp_path))
    text = ' '.join(str(w.message) for w in rec)
    assert 'labels.csv, which is not a directory' in text and 'notes.txt of type .txt' in text
    assert ds.synsets == ['ant', 'cat']
    assert ds.items == [(os.path.join(str(tmp_path), 'ant', 'x.jpeg'), 0),
                        (os.path.join(str(tmp_path), 'cat', 'a.JPG'), 1),
                        (os.path.join(str(tmp_path), 'cat', 'b.png'), 1)]
    assert len(ds) == 3


def test_image_folder_decodes_rgb_and_gray(tmp_path):
    image_mod = pytest.importorskip('PIL.Image')
    rs = np.random.RandomState(2)
    arrays = {}
    for cls, names in (('ant', ['x.png']), ('cat', ['a.png', 'b.png'])):
        os.makedirs(str(tmp_path / cls))
        for n in names:
            arr = rs.randint(0, 256, (4, 5, 3)).astype(np.uint8)
            path = str(tmp_path / cls / n)
            image_mod.fromarray(arr, 'RGB').save(path)
            arrays[path] = arr
    rgb = vision.ImageFolderDataset(str(tmp_path))
    gray = vision.ImageFolderDataset(str(tmp_path), flag=0, transform=lambda d, l: (d, l * 10))
    x, y = rgb[1]
    assert isinstance(x, mx.nd.NDArray) and x.shape == (4, 5, 3) and x.dtype == np.uint8
    np.testing.assert_array_equal(x.asnumpy(), arrays[rgb.items[1][0]])
    assert y == 1 and isinstance(y, int)
    g, gy = gray[2]
    assert g.shape == (4, 5, 1) and g.dtype == np.uint8 and gy == 10
    a = arrays[gray.items[2][0]].astype(np.float64)  # libpng's gray formula, as MXNet's OpenCV reads PNGs
    assert np.abs(g.asnumpy()[..., 0].astype(np.float64) - (0.299 * a[..., 0] + 0.587 * a[..., 1]
                                                            + 0.114 * a[..., 2])).max() <= 1
    batch = next(iter(DataLoader(rgb.transform_first(vision.transforms.ToTensor()), batch_size=3)))
    assert batch.data.shape == (3, 3, 4, 5)
    np.testing.assert_array_equal(batch.label.asnumpy(), [0, 1, 1])


def test_image_folder_without_pillow(tmp_path, monkeypatch):
    _image_tree(str(tmp_path))
    monkeypatch.setitem(sys.modules, 'PIL', None)  # makes `import PIL` fail
    with pytest.warns(UserWarning):
        ds = vision.ImageFolderDataset(str(tmp_path))
    assert len(ds) == 3  # listing works; decoding needs Pillow
    with pytest.raises(ImportError, match='pip install pillow'):
        ds[0]


def test_image_folder_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='root directory .*nope does not exist'):
        vision.ImageFolderDataset(str(tmp_path / 'nope'))


def test_image_folder_real_png(tmp_path):
    image_mod = pytest.importorskip('PIL.Image')
    os.makedirs(str(tmp_path / 'c0'))
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    image_mod.fromarray(rgb, 'RGB').save(str(tmp_path / 'c0' / 'img.png'))
    x, y = vision.ImageFolderDataset(str(tmp_path))[0]
    np.testing.assert_array_equal(x.asnumpy(), rgb)
    assert y == 0
    g, _ = vision.ImageFolderDataset(str(tmp_path), flag=0)[0]
    assert g.shape == (2, 3, 1) and g.dtype == np.uint8


def test_gluon_utils_download(tmp_path):
    """mx.gluon.utils.download over a file:// URL: file or directory targets, an existing
    file is kept unless overwrite or its sha1 differs, a bad sha1 is an error."""
    import hashlib
    from mxcore.gluon import utils
    src = tmp_path / 'src.bin'
    src.write_bytes(b'abc' * 1000)
    good = hashlib.sha1(src.read_bytes()).hexdigest()
    url = src.as_uri()
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    fname = utils.download(url, path=str(out_dir), sha1_hash=good)
    assert fname == str(out_dir / 'src.bin') and open(fname, 'rb').read() == src.read_bytes()
    open(fname, 'wb').write(b'stale')
    assert open(utils.download(url, path=fname), 'rb').read() == b'stale'  # kept: no hash, no overwrite
    assert open(utils.download(url, path=fname, sha1_hash=good), 'rb').read() == src.read_bytes()  # re-fetched
    with pytest.raises(OSError, match='sha1 does not match'):
        utils.download(url, path=str(tmp_path / 'x.bin'), sha1_hash='0' * 40, retries=0)
    assert not (tmp_path / 'x.bin').exists()


def test_test_utils_get_mnist_and_iterator(tmp_path, no_network):
    """mx.test_utils.get_mnist / get_mnist_iterator (MXNet 1.x tutorials): arrays
    scaled by 1/255 with int8 labels; MNISTIters over the same files (1/256)."""
    made = _make_mnist(str(tmp_path), n_train=6, n_test=4)
    d = mx.test_utils.get_mnist(str(tmp_path))
    assert d['train_data'].shape == (6, 1, 28, 28) and d['train_data'].dtype == np.float32
    np.testing.assert_allclose(d['test_data'][:, 0], made[False][0] / np.float32(255))
    assert d['train_label'].dtype == np.int8 and d['train_label'].tolist() == made[True][1].tolist()
    train, val = mx.test_utils.get_mnist_iterator(2, (784,), path=str(tmp_path))
    assert train.provide_data[0].shape == (2, 784) and len(list(val)) == 2
    val.reset()
    b = next(val)
    np.testing.assert_array_equal(b.data[0].asnumpy(), made[False][0][:2].reshape(2, -1) / np.float32(256))
