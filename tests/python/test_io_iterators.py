"""MXNet 1.x's file iterators and wrappers in mx.io. Expected values are what
MXNet 1.9.1 gave for the same files (pixel scaling, the round_batch order across
epochs, ImageRecordIter's normalisation and resize + centre crop)."""
import io
import struct

import numpy as np
import pytest

import mxcore as mx


@pytest.fixture
def mnist_files(tmp_path):
    rs = np.random.RandomState(0)
    img = rs.randint(0, 256, (10, 4, 5)).astype(np.uint8)
    lab = rs.randint(0, 10, 10).astype(np.uint8)
    (tmp_path / "img").write_bytes(struct.pack(">IIII", 2051, 10, 4, 5) + img.tobytes())
    (tmp_path / "lab").write_bytes(struct.pack(">II", 2049, 10) + lab.tobytes())
    return str(tmp_path / "img"), str(tmp_path / "lab"), img, lab


def test_mnist_iter_scales_by_256_and_drops_the_last_partial_batch(mnist_files):
    img_path, lab_path, img, lab = mnist_files
    it = mx.io.MNISTIter(image=img_path, label=lab_path, batch_size=4, shuffle=False)
    assert it.provide_data[0].shape == (4, 1, 4, 5) and it.provide_label[0].shape == (4,)
    batches = list(it)
    assert len(batches) == 2  # 10 images, batches of 4: MXNet drops the last 2
    np.testing.assert_array_equal(batches[0].data[0].asnumpy()[0, 0, 0, :3], [0.671875, 0.18359375, 0.45703125])
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(), img[4:8, None] / np.float32(256))
    assert batches[0].label[0].asnumpy().tolist() == [2, 3, 2, 0] and lab[:4].tolist() == [2, 3, 2, 0]
    flat = mx.io.MNISTIter(image=img_path, label=lab_path, batch_size=4, flat=True, shuffle=True, seed=3)
    b = next(iter(flat))
    assert b.data[0].shape == (4, 20)
    order = [int(np.where((img.reshape(10, -1) / np.float32(256) == row).all(1))[0][0]) for row in b.data[0].asnumpy()]
    assert b.label[0].asnumpy().tolist() == lab[order].tolist()  # shuffled together


def test_mnist_iter_bad_files(mnist_files, tmp_path):
    img_path, lab_path, _, _ = mnist_files
    with pytest.raises(mx.base.MXNetError, match="not an idx image file"):
        mx.io.MNISTIter(image=lab_path, label=lab_path)
    (tmp_path / "short").write_bytes(open(img_path, "rb").read()[:100])
    with pytest.raises(mx.base.MXNetError, match="truncated"):
        mx.io.MNISTIter(image=str(tmp_path / "short"), label=lab_path)


def test_csv_iter_round_batch_continues_across_epochs_like_mxnet(tmp_path):
    data = np.random.RandomState(0).rand(7, 6).astype("f")
    np.savetxt(tmp_path / "d.csv", data, delimiter=",")
    np.savetxt(tmp_path / "l.csv", np.arange(7), delimiter=",")
    it = mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(2, 3), label_csv=str(tmp_path / "l.csv"),
                       batch_size=3)
    assert it.provide_data[0].shape == (3, 2, 3) and it.provide_label[0].shape == (3,)
    first = [(b.label[0].asnumpy().tolist(), b.pad) for b in it]
    assert first == [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 0, 1], 2)]
    it.reset()
    assert [(b.label[0].asnumpy().tolist(), b.pad) for b in it] == [([2, 3, 4], 0), ([5, 6, 0], 1)]
    it.reset()
    b = next(it)
    np.testing.assert_allclose(b.data[0].asnumpy(), data[[1, 2, 3]].reshape(3, 2, 3), rtol=1e-6)
    plain = mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(6,), batch_size=3, round_batch=False)
    assert [b.pad for b in plain] == [0, 0, 2]
    plain.reset()
    assert next(plain).label[0].asnumpy().tolist() == [0, 0, 0]  # no label file: zeros
    with pytest.raises(mx.base.MXNetError, match="6 values per row but data_shape"):
        mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(5,), batch_size=2)


def test_file_iters_getdata_returns_the_array_like_mxdataiter(tmp_path, mnist_files):
    # MXNet 1.9.1's C++-backed iterators return the NDArray itself from getdata()/getlabel()
    np.savetxt(tmp_path / "d.csv", np.arange(12).reshape(6, 2), delimiter=",")
    it = mx.io.CSVIter(data_csv=str(tmp_path / "d.csv"), data_shape=(2,), batch_size=4)
    assert it.iter_next()
    assert isinstance(it.getdata(), mx.nd.NDArray) and isinstance(it.getlabel(), mx.nd.NDArray)
    assert it.getdata().asnumpy().tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert it.getlabel().shape == (4,) and it.getpad() == 0
    m = mx.io.MNISTIter(image=mnist_files[0], label=mnist_files[1], batch_size=4, flat=True)
    assert m.iter_next() and m.getdata().shape == (4, 20) and m.getlabel().shape == (4,)


@pytest.fixture
def rec_file(tmp_path):
    from PIL import Image
    rs = np.random.RandomState(1)
    rec = mx.recordio.MXIndexedRecordIO(str(tmp_path / "t.idx"), str(tmp_path / "t.rec"), "w")
    imgs = []
    for i in range(5):
        a = rs.randint(0, 256, (6, 8, 3)).astype(np.uint8)
        imgs.append(a)
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="PNG")
        rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), buf.getvalue()))
    rec.close()
    return str(tmp_path / "t.rec"), str(tmp_path / "t.idx"), imgs


def test_image_record_iter_normalises_and_rounds_like_mxnet(rec_file):
    rec, idx, imgs = rec_file
    it = mx.io.ImageRecordIter(path_imgrec=rec, path_imgidx=idx, data_shape=(3, 6, 8), batch_size=2,
                               mean_r=10, mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=8, scale=0.5)
    assert it.provide_data[0].shape == (2, 3, 6, 8) and it.provide_label[0].shape == (2,)
    batches = list(it)
    assert [(b.label[0].asnumpy().tolist(), b.pad) for b in batches] == [([0, 1], 0), ([2, 3], 0), ([4, 0], 1)]
    np.testing.assert_allclose(batches[0].data[0].asnumpy()[0, :, 0, 0], [6.75, 26.875, 6.875])  # MXNet's values
    want = (imgs[3].astype("f") - [10, 20, 30]) / [2, 4, 8] * 0.5
    np.testing.assert_allclose(batches[1].data[0].asnumpy()[1], want.transpose(2, 0, 1), rtol=1e-6)
    it.reset()
    assert [b.label[0].asnumpy().tolist() for b in it] == [[1, 2], [3, 4]]  # starts after the wrapped one
    crop = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 4, 4), batch_size=2, resize=5)  # no .idx: scanned
    np.testing.assert_array_equal(next(crop).data[0].asnumpy()[0, 0, 0], [134, 193, 213, 204])  # MXNet's values
    shuffled = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=5, shuffle=True,
                                     rand_mirror=True, rand_crop=True, round_batch=False)
    assert sorted(next(shuffled).label[0].asnumpy().tolist()) == [0, 1, 2, 3, 4]


def test_resize_and_prefetching_iters():
    data = np.arange(20, dtype="f").reshape(10, 2)
    base = mx.io.NDArrayIter(data, np.arange(10, dtype="f"), batch_size=4)
    resized = mx.io.ResizeIter(base, 5)
    labels = [b.label[0].asnumpy()[0] for b in resized]
    assert len(labels) == 5 and labels == [0, 4, 8, 0, 4]  # restarts the inner iterator
    resized.reset()
    assert len(list(resized)) == 5
    a = mx.io.NDArrayIter(data, batch_size=5, data_name="a")
    b = mx.io.NDArrayIter(-data, batch_size=5, data_name="b")
    pre = mx.io.PrefetchingIter([a, b], rename_data=[{"a": "x"}, {"b": "y"}])
    assert [d.name for d in pre.provide_data] == ["x", "y"]
    got = [bt.data for bt in pre]
    assert len(got) == 2 and np.array_equal(got[1][0].asnumpy(), -got[1][1].asnumpy())
    pre.reset()
    assert next(pre).data[0].asnumpy()[0].tolist() == [0, 1]
