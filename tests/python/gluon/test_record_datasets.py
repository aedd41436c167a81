"""gluon.data.RecordFileDataset and gluon.data.vision.ImageRecordDataset over .rec/.idx files."""
import json
import os
import struct

import mxcore as mx
import numpy as np
import pytest
from mxcore import recordio
from mxcore.gluon.data import DataLoader, RecordFileDataset
from mxcore.gluon.data.vision import ImageRecordDataset

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")
MAGIC = struct.pack('<I', 0xced7230a)


def write_indexed(tmp_path, items, name='data.rec'):
    """Write ``(key, payload)`` items; returns the .rec path (index next to it as .idx)."""
    rec_path = str(tmp_path / name)
    with recordio.MXIndexedRecordIO(os.path.splitext(rec_path)[0] + '.idx', rec_path, 'w') as rec:
        for key, payload in items:
            rec.write_idx(key, payload)
    return rec_path


def test_record_file_dataset(tmp_path):
    items = [(10, b'ten'), (2, b''), (5, b'five' + MAGIC), (0, MAGIC * 2)]
    ds = RecordFileDataset(write_indexed(tmp_path, items))
    assert len(ds) == 4
    assert [ds[i] for i in range(4)] == [p for _, p in items]  # index order, not key order
    assert ds[-1] == MAGIC * 2
    assert ds.idx_file == str(tmp_path / 'data.idx')


def test_record_file_dataset_sequential_writer_has_no_index(tmp_path):
    with recordio.MXRecordIO(str(tmp_path / 'plain.rec'), 'w') as rec:
        rec.write(b'x')
    with pytest.raises(FileNotFoundError):
        RecordFileDataset(str(tmp_path / 'plain.rec'))


def test_record_file_dataset_in_dataloader(tmp_path):
    items = [(i, np.full(3, i, np.float32).tobytes()) for i in range(20)]
    ds = RecordFileDataset(write_indexed(tmp_path, items)).transform(
        lambda b: np.frombuffer(b, np.float32).copy())
    for workers in (0, 4):
        batches = [b.asnumpy() for b in DataLoader(ds, batch_size=6, num_workers=workers)]
        np.testing.assert_array_equal(np.concatenate(batches),
                                      np.repeat(np.arange(20, dtype=np.float32)[:, None], 3, 1))


def test_record_file_dataset_reads_mxnet_file():
    with open(os.path.join(REF, 'recordio_ref.json')) as f:
        ref = json.load(f)['indexed']
    ds = RecordFileDataset(os.path.join(REF, 'recordio_indexed.rec'))
    assert [ds[i] for i in range(len(ds))] == [bytes.fromhex(s) for s in ref['payloads']]


def test_image_record_dataset(tmp_path):
    pytest.importorskip('PIL')
    rng = np.random.RandomState(0)
    bgr = [rng.randint(0, 256, size=(4, 6, 3)).astype(np.uint8) for _ in range(3)]
    labels = [1.0, 2.0, [3.0, 4.0]]
    rec_path = write_indexed(tmp_path, [
        (i, recordio.pack_img(recordio.IRHeader(0, label, i, 0), img, img_fmt='.png'))
        for i, (img, label) in enumerate(zip(bgr, labels))], name='img.rec')
    ds = ImageRecordDataset(rec_path)
    assert len(ds) == 3
    for i in range(3):
        img, label = ds[i]
        assert isinstance(img, mx.nd.NDArray) and img.dtype == np.uint8
        np.testing.assert_array_equal(img.asnumpy(), bgr[i][:, :, ::-1])  # RGB, as mx.image.imdecode
        np.testing.assert_array_equal(label, labels[i])
    gray, _ = ImageRecordDataset(rec_path, flag=0)[0]
    assert gray.shape == (4, 6, 1)
    ds = ImageRecordDataset(rec_path, transform=lambda d, l: (d.astype(np.float32) / 255, l))
    img, label = ds[1]
    assert img.dtype == np.float32 and label == 2.0


def test_image_record_dataset_reads_mxnet_file():
    pytest.importorskip('PIL')
    with open(os.path.join(REF, 'recordio_ref.json')) as f:
        ref = json.load(f)['images']
    ds = ImageRecordDataset(os.path.join(REF, 'recordio_img.rec'))
    color, label = ds[0]
    np.testing.assert_array_equal(color.asnumpy(), np.array(ref[0]['pixels'], np.uint8)[:, :, ::-1])
    assert label == ref[0]['label']
    gray, label = ImageRecordDataset(os.path.join(REF, 'recordio_img.rec'), flag=0)[1]
    np.testing.assert_array_equal(gray.asnumpy()[:, :, 0], np.array(ref[1]['pixels'], np.uint8))
    np.testing.assert_array_equal(label, ref[1]['label'])
