import os

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def test_save_load_list(tmp_path):
    arrs = [mx.nd.array(np.arange(6).reshape(2, 3)), mx.nd.array([1, 2], dtype="int64"),
            mx.nd.array(np.ones((2, 2, 2)), dtype="float16"), mx.nd.zeros((0, 3)), mx.nd.array([1, 0], dtype="uint8")]
    f = str(tmp_path / "list.params")
    mx.nd.save(f, arrs)
    back = mx.nd.load(f)
    assert isinstance(back, list) and len(back) == len(arrs)
    for a, b in zip(arrs, back):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_save_load_dict_and_single(tmp_path):
    d = {"arg:w": mx.nd.array([[1, 2]]), "aux:m": mx.nd.array([3.5], dtype="float64")}
    f = str(tmp_path / "d.params")
    mx.nd.save(f, d)
    back = mx.nd.load(f)
    assert set(back) == set(d)
    for k in d:
        np.testing.assert_array_equal(back[k].asnumpy(), d[k].asnumpy())
    mx.nd.save(f, mx.nd.ones(3))
    assert mx.nd.load(f)[0].shape == (3,)
    back2 = mx.nd.load_frombuffer(open(f, "rb").read())
    assert back2[0].shape == (3,)


def test_file_layout_is_mxnet(tmp_path):
    f = str(tmp_path / "x.params")
    mx.nd.save(f, {"a": mx.nd.array([1.0, 2.0])})
    raw = open(f, "rb").read()
    assert np.frombuffer(raw[:24], "<u8").tolist() == [0x112, 0, 1]
    assert np.frombuffer(raw[24:28], "<u4")[0] == 0xF993FAC9
    # V2 record: stype 0, ndim 1, dim 2, cpu(0), float32, data
    assert np.frombuffer(raw[28:36], "<i4").tolist() == [0, 1]
    assert np.frombuffer(raw[36:44], "<i8")[0] == 2
    assert np.frombuffer(raw[44:56], "<i4").tolist() == [1, 0, 0]
    assert np.frombuffer(raw[56:64], "<f4").tolist() == [1.0, 2.0]
    assert np.frombuffer(raw[64:80], "<u8").tolist() == [1, 1] and raw[80:] == b"a"


def _record_v1(arr):
    shp = np.array([arr.ndim], "<u4").tobytes() + np.array(arr.shape, "<i8").tobytes()
    return np.array([0xF993FAC8], "<u4").tobytes() + shp + np.array([1, 0, 0], "<i4").tobytes() + arr.tobytes()


def _record_legacy(arr):
    return (np.array([arr.ndim] + list(arr.shape), "<u4").tobytes() + np.array([1, 0, 0], "<i4").tobytes()
            + arr.tobytes())


def test_load_v1_and_legacy_records():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    for rec in (_record_v1, _record_legacy):
        buf = np.array([0x112, 0, 1], "<u8").tobytes() + rec(a) + np.array([0], "<u8").tobytes()
        back = mx.nd.load_frombuffer(buf)
        np.testing.assert_array_equal(back[0].asnumpy(), a)


def test_truncated_and_corrupt(tmp_path):
    f = str(tmp_path / "t.params")
    mx.nd.save(f, [mx.nd.ones((10, 10))])
    raw = open(f, "rb").read()
    for cut in (4, 20, 30, 60, len(raw) - 3):
        g = str(tmp_path / f"cut{cut}.params")
        open(g, "wb").write(raw[:cut])
        with pytest.raises(MXNetError, match="truncated|corrupt|not an"):
            mx.nd.load(g)
    with pytest.raises(MXNetError, match="not an MXNet"):
        mx.nd.load_frombuffer(b"hello world, this is not a params file")
    bad = bytearray(raw)
    bad[32:36] = (99).to_bytes(4, "little")  # rank 99
    with pytest.raises(MXNetError):
        mx.nd.load_frombuffer(bytes(bad))
    with pytest.raises(MXNetError):
        mx.nd.load(str(tmp_path / "missing.params"))


def test_damaged_array_name_raises_mxnet_error(tmp_path):
    # a name whose bytes are not UTF-8 (a flipped byte in the file) is a clear error, not a codec one
    f = str(tmp_path / "n.params")
    mx.nd.save(f, {"ab": mx.nd.ones((2,))})
    raw = bytearray(open(f, "rb").read())
    at = raw.rindex(b"ab")
    raw[at] = 0xAD
    with pytest.raises(MXNetError, match="name of array 0 is not valid UTF-8"):
        mx.nd.load_frombuffer(bytes(raw))


def test_ndarray_iter():
    data = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    label = np.arange(10, dtype=np.float32)
    it = mx.io.NDArrayIter(data, label, batch_size=4, last_batch_handle="pad")
    batches = list(it)
    assert len(batches) == 3 and batches[-1].pad == 2
    np.testing.assert_array_equal(batches[0].data[0].asnumpy(), data[:4])
    it = mx.io.NDArrayIter(data, label, batch_size=4, last_batch_handle="discard")
    assert len(list(it)) == 2
    it.reset()
    assert len(list(it)) == 2
    assert it.provide_data[0].shape == (4, 3)


def test_ndarray_iter_roll_over_and_dtypes_match_mxnet():
    """Batches, pads and dtypes as MXNet 1.9.1's NDArrayIter gives them for the same input."""
    it = mx.io.NDArrayIter(np.arange(10).reshape(10, 1), np.arange(10), batch_size=4, last_batch_handle="roll_over")
    epochs = []
    for _ in range(3):
        epochs.append([(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it])
        it.reset()
    assert epochs == [[([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)],
                      [([8, 9, 0, 1], 2), ([2, 3, 4, 5], 0), ([6, 7, 8, 9], 0)],
                      [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)]]
    # numpy data of any dtype becomes float32; NDArray data keeps its dtype
    it = mx.io.NDArrayIter(np.arange(8, dtype=np.int32).reshape(4, 2), np.arange(4), batch_size=2)
    assert it.provide_data[0].dtype == np.float32 and it.provide_label[0].dtype == np.float32
    assert next(iter(it)).label[0].dtype == np.float32
    it = mx.io.NDArrayIter(mx.nd.ones((4, 2), dtype="float64"), batch_size=2)
    assert next(iter(it)).data[0].dtype == np.float64


REF = os.path.join(os.path.dirname(__file__), "..", "data", "mxnet_ref")


def test_load_files_written_by_mxnet(tmp_path):
    lst = mx.nd.load(os.path.join(REF, "nd_list.params"))
    assert isinstance(lst, list) and len(lst) == 7
    np.testing.assert_array_equal(lst[0].asnumpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
    d = mx.nd.load(os.path.join(REF, "nd_dict.params"))
    assert d["bias"].dtype == np.float64 and d["counts"].dtype == np.int32
    params = mx.nd.load(os.path.join(REF, "mlp-0000.params"))
    assert params["arg:dense0_weight"].shape == (100, 784)
    # re-saving what MXNet wrote gives the same bytes
    for name, data in (("nd_list.params", lst), ("nd_dict.params", d)):
        f = str(tmp_path / name)
        mx.nd.save(f, data)
        assert open(f, "rb").read() == open(os.path.join(REF, name), "rb").read()


def test_ndarrayiter_longer_label_uses_its_first_rows_like_mxnet():
    # MXNet 1.9.1 counts samples by the first data array and accepts a longer label; its
    # full batches match these, but its padded last batch reads the label to its end
    # ([2, 3, 4, 0] here), which we do not copy: extra rows are never used. A shorter
    # array is an error naming it.
    data = np.arange(6, dtype='f').reshape(3, 2)
    label = np.arange(5, dtype='f')
    it = mx.io.NDArrayIter(data, {'label': label, 'w': label * 10}, batch_size=2)
    batches = [(b.label[0].asnumpy().tolist(), b.label[1].asnumpy().tolist(), b.pad) for b in it]
    assert batches == [([0, 1], [0, 10], 0), ([2, 0], [20, 0], 1)]
    with pytest.raises(ValueError, match=r"'softmax_label'.*\(2,\).*at least 3"):
        mx.io.NDArrayIter(data, np.zeros(2), batch_size=2)
