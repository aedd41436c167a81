"""Where MXNet 1.9.1 turns float inputs or attributes into integers, and how:
arange in an integer dtype truncates start and step (and computes float32 in
float), ROIPooling/PSROIPooling truncate the roi batch index, CTCLoss rounds its
labels half away from zero. Numeric gradient checks nudge every input by ~1e-3,
so these must not raise. Expected values were printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx


@pytest.mark.parametrize("cfg, dtype, head, tail", [
    ((1.3, 456.6, 1.3), "int32", [1, 2, 3, 4, 5, 6], [349, 350, 351]),
    ((1.3, 456.6, 1.3), "uint8", [1, 2, 3, 4, 5, 6], [93, 94, 95]),
    ((0.5, 5.5, 1.5), "int32", [0, 1, 2, 3], [1, 2, 3]),
    ((-3.7, 2, 1.1), "int32", [-3, -2, -1, 0, 1, 2], [0, 1, 2]),
    ((-3.7, 2, 1.1), "uint8", [253, 254, 255, 0, 1, 2], [0, 1, 2]),
    ((50, -50, -2), "int32", [50, 48, 46, 44, 42, 40], [-44, -46, -48]),
])
def test_arange_integer_dtype_truncates_start_and_step(cfg, dtype, head, tail):
    for a in (mx.nd.arange(*cfg, dtype=dtype), mx.sym.arange(*cfg, dtype=dtype).eval()[0]):
        v = a.asnumpy()
        assert a.dtype == np.dtype(dtype) and v.shape == (int(np.ceil((cfg[1] - cfg[0]) / cfg[2])),)
        assert v[:len(head)].tolist() == head and v[-3:].tolist() == tail


def test_arange_float32_in_float_arithmetic_and_repeat():
    v = mx.nd.arange(1.3, 456.6, 1.3).asnumpy()
    np.testing.assert_array_equal(v[:3], np.array([1.2999999523162842, 2.5999999046325684, 3.8999998569488525],
                                                  np.float32))
    np.testing.assert_array_equal(v[-3:], np.array([453.6999816894531, 454.9999694824219, 456.2999572753906],
                                                   np.float32))
    r = mx.nd.arange(1.3, 10, 1.3, repeat=2, dtype="int32").asnumpy().tolist()
    assert r == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    with pytest.raises(mx.base.MXNetError, match="arange: invalid range"):
        mx.nd.arange(5, 1)


def test_roi_batch_index_is_truncated():
    x = mx.nd.array(np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4))
    outs = [mx.nd.ROIPooling(x, mx.nd.array([[b, 0, 0, 3, 3]]), pooled_size=(1, 1), spatial_scale=1.0)
            .asnumpy().ravel().tolist() for b in (0.0, -5e-5, 0.9, 1.7)]
    assert outs == [[15.0], [15.0], [15.0], [31.0]]
    # a negative index (after truncation) marks a padding roi: zeros, as MXNet 1.9.1 gives
    pad = mx.nd.ROIPooling(x, mx.nd.array([[-1, 0, 0, 3, 3]]), pooled_size=(1, 1), spatial_scale=1.0)
    assert pad.asnumpy().ravel().tolist() == [0.0]
    with pytest.raises(mx.base.MXNetError, match=r"ROIPooling: roi 0 has batch index 2.5 outside \[0, 2\)"):
        mx.nd.ROIPooling(x, mx.nd.array([[2.5, 0, 0, 3, 3]]), pooled_size=(1, 1), spatial_scale=1.0)


def test_psroi_batch_index_is_truncated():
    x = mx.nd.array(np.arange(2 * 4 * 4 * 4, dtype=np.float32).reshape(2, 4, 4, 4))
    outs = [mx.nd.contrib.PSROIPooling(x, mx.nd.array([[b, 0, 0, 63, 63]]), spatial_scale=0.0625, output_dim=1,
                                       pooled_size=2).asnumpy() for b in (0.0, -1e-3, 1.5)]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[2], outs[0] + 64)


ACTS = np.array([[[1.2, 3.4, 1.2, -0.1, -2.34]], [[0.1, 0.2, 0.3, 0.22, 0.123]], [[-15, -14, -13, -12, -11]]],
                np.float32)


@pytest.mark.parametrize("blank, label, loss", [
    ("first", [2, 3, 0], 4.047896862030029), ("first", [2, 3, 0.001], 4.047896862030029),
    ("first", [2, 3.5, 0], 3.078986883163452), ("first", [2, 2.5, 0], 4.047896862030029),
    ("first", [2, 3, 0.5], 7.459683895111084), ("first", [2, 3, -0.4], 4.047896862030029),
    ("last", [2, 3, -0.6], 3.712128162384033), ("last", [2, 3, -1.4], 3.712128162384033),
    ("last", [2, 3, 0], 8.459684371948242),
])
def test_ctc_labels_round_half_away_from_zero(blank, label, loss):
    out = mx.nd.ctc_loss(mx.nd.array(ACTS), mx.nd.array([label]), blank_label=blank).asnumpy()
    np.testing.assert_allclose(out, [loss], rtol=1e-5)


def test_tile_rejects_zero_and_negative_reps():
    data = mx.nd.arange(16).reshape((4, 4))
    for reps, bad in [((1, 2, -3), -3), ((1, 0, 3), 0)]:
        with pytest.raises(mx.base.MXNetError, match="tile: reps must be positive, got %d" % bad):
            mx.nd.tile(data, reps)
    assert mx.nd.tile(data, (2, 1)).shape == (8, 4)
