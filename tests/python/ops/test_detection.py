"""Detection ops (core/ops/detection.c): ROIPooling, _contrib_ROIAlign,
_contrib_box_nms, _contrib_MultiBoxPrior. Expected values are what MXNet 1.9.1
printed for the same calls; gradients against MXNet's sums, finite differences
(ROIAlign) and the routing they must follow."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op

rs = np.random.RandomState(0)
A = rs.rand(2, 3, 6, 7).astype("f")
ROIS = np.array([[0, 0.5, 0.5, 4.2, 3.1], [1, 1.0, 0.0, 6.5, 5.5], [0, 2.2, 1.4, 2.8, 1.9], [1, -1.0, -1.0, 3.0, 2.0]],
                "f")
B = rs.rand(2, 12, 4, 5).astype("f")


def _weighted(a):
    a = a.astype(np.float64)
    return float(a.sum()), float((a * np.arange(a.size).reshape(a.shape)).sum())


def test_roi_pooling_matches_mxnet():
    out = run_op("ROIPooling", [A, ROIS], {"pooled_size": (2, 3), "spatial_scale": 1.0})[0]
    assert out.shape == (4, 3, 2, 3)
    np.testing.assert_allclose(out.ravel()[:18], [
        0.96366, 0.83262, 0.83262, 0.78053, 0.83262, 0.83262, 0.5702, 0.98837, 0.98837, 0.46631, 0.82099, 0.82099,
        0.71633, 0.71633, 0.73519, 0.67782, 0.67782, 0.95275], atol=1e-5)
    out = run_op("ROIPooling", [A, ROIS], {"pooled_size": (2, 2), "spatial_scale": 0.5})[0]
    np.testing.assert_allclose(out.ravel()[-8:], [0.72999, 0.52104, 0.72999, 0.92808, 0.99034, 0.66308, 0.99034,
                                                   0.83105], atol=1e-5)
    head = np.arange(4 * 3 * 2 * 3, dtype="f").reshape(4, 3, 2, 3)
    g = autograd_grads("ROIPooling", [A, ROIS], {"pooled_size": (2, 3), "spatial_scale": 1.0}, [0], head)[0]
    assert _weighted(g) == (2556.0, 354765.0)  # MXNet's: every bin's gradient on its argmax


def test_roi_align_matches_mxnet():
    out = run_op("_contrib_ROIAlign", [A, ROIS], {"pooled_size": (2, 3), "spatial_scale": 1.0})[0]
    np.testing.assert_allclose(out.ravel()[:18], [
        0.63864, 0.47858, 0.66262, 0.29199, 0.41444, 0.63062, 0.45455, 0.5767, 0.39956, 0.28769, 0.45092, 0.28644,
        0.29184, 0.54238, 0.31492, 0.38854, 0.49682, 0.58968], atol=1e-5)
    out = run_op("_contrib_ROIAlign", [A, ROIS], {"pooled_size": (2, 2), "spatial_scale": 0.7, "sample_ratio": 2})[0]
    np.testing.assert_allclose(out.ravel()[-8:], [0.61534, 0.32308, 0.33892, 0.52244, 0.83593, 0.40806, 0.49689,
                                                   0.6403], atol=1e-5)
    out = run_op("_contrib_ROIAlign", [A, ROIS], {"pooled_size": (2, 2), "spatial_scale": 1.0, "aligned": True})[0]
    np.testing.assert_allclose(out.ravel()[-8:], [0.365, 0.17317, 0.40415, 0.54281, 0.49517, 0.21999, 0.56075,
                                                   0.63231], atol=1e-5)
    ps = run_op("_contrib_ROIAlign", [B, ROIS[:2]], {"pooled_size": (2, 2), "spatial_scale": 1.0,
                                                      "position_sensitive": True})[0]
    assert ps.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(ps.ravel()[:12], [0.7048, 0.5625, 0.30504, 0.47763, 0.45478, 0.54043, 0.61336, 0.32168,
                                                  0.3378, 0.52645, 0.53628, 0.45082], atol=1e-5)
    head = np.arange(4 * 3 * 2 * 3, dtype="f").reshape(4, 3, 2, 3)
    g = autograd_grads("_contrib_ROIAlign", [A, ROIS], {"pooled_size": (2, 3), "spatial_scale": 1.0}, [0], head)[0]
    np.testing.assert_allclose(_weighted(g), (2556.0, 354361.375), rtol=1e-6)  # MXNet's sums
    check_grad("_contrib_ROIAlign", [A[:1, :2].astype(np.float64), ROIS[[0, 2]].astype(np.float64) * [0, 1, 1, 1, 1]],
               {"pooled_size": (2, 2), "spatial_scale": 1.0, "sample_ratio": 2}, wrt=[0], rtol=1e-6, atol=1e-8)


NMS_IN = np.array([[[0, 0.9, 0, 0, 1, 1], [0, 0.8, 0.1, 0.1, 1, 1], [1, 0.85, 0.05, 0.05, 1, 1], [1, 0.0, 2, 2, 3, 3],
                    [2, 0.6, 5, 5, 6, 6], [0, 0.95, 4, 4, 5.5, 5.5]],
                   [[0, 0.3, 0, 0, 2, 2], [0, 0.5, 1, 1, 3, 3], [0, 0.7, 0.5, 0.5, 2.5, 2.5], [0, 0.1, 5, 5, 6, 6],
                    [-1, 0.9, 0, 0, 1, 1], [0, 0.2, 0, 0, 2, 2.1]]], "f")
# source rows MXNet 1.9.1 kept, in output order (the rest of the rows are -1)
NMS_CASES = [
    ({}, [[5, 0, 4], [4, 2, 1, 0, 3]]),
    ({"id_index": 0}, [[5, 0, 2, 4], [2, 1, 0, 3]]),  # per class; id -1 = default background: dropped
    ({"id_index": 0, "force_suppress": True}, [[5, 0, 4], [2, 1, 0, 3]]),
    ({"valid_thresh": 0.5}, [[5, 0, 4], [4, 2]]),  # score must exceed valid_thresh
    ({"topk": 2}, [[5, 0], [4, 2]]),
    ({"id_index": 0, "background_id": 2}, [[5, 0, 2], [4, 2, 1, 0, 3]]),
    ({"overlap_thresh": 0.1, "id_index": 0}, [[5, 0, 2, 4], [2, 3]]),
]


@pytest.mark.parametrize("attrs,kept", NMS_CASES)
def test_box_nms_keeps_what_mxnet_keeps(attrs, kept):
    out = run_op("_contrib_box_nms", [NMS_IN], dict(coord_start=2, score_index=1, **attrs))[0]
    for b in range(2):
        want = np.full((6, 6), -1, "f")
        want[:len(kept[b])] = NMS_IN[b, kept[b]]
        np.testing.assert_array_equal(out[b], want)


def test_box_nms_formats_and_gradient():
    out = run_op("_contrib_box_nms", [NMS_IN], {"in_format": "center", "overlap_thresh": 0.3})[0]
    np.testing.assert_allclose(out[0, :2], [[0, 0.95, 1.25, 1.25, 6.75, 6.75], [0, 0.9, -0.5, -0.5, 0.5, 0.5]])
    np.testing.assert_allclose(out[1, :3, 2:], [[-0.5, -0.5, 0.5, 0.5], [-0.75, -0.75, 1.75, 1.75], [2, 2, 8, 8]])
    out = run_op("_contrib_box_nms", [NMS_IN], {"out_format": "center"})[0]
    np.testing.assert_allclose(out[0, :3, 2:], [[4.75, 4.75, 1.5, 1.5], [0.5, 0.5, 1, 1], [5.5, 5.5, 1, 1]])
    head = np.arange(72, dtype="f").reshape(2, 6, 6)
    g = autograd_grads("_contrib_box_nms", [NMS_IN], {"id_index": 0}, [0], head)[0]
    want = np.zeros_like(NMS_IN)  # MXNet's: output row k's gradient on its source row
    for b, rows in enumerate([[5, 0, 2, 4], [2, 1, 0, 3]]):
        for k, r in enumerate(rows):
            want[b, r] = head[b, k]
    np.testing.assert_array_equal(g, want)
    expect_error("_contrib_box_nms", [NMS_IN[..., :5]], {"coord_start": 2}, contains=("box_nms", "coord_start"))


def test_multibox_prior_matches_mxnet():
    out = run_op("_contrib_MultiBoxPrior", [np.zeros((1, 3, 2, 3), "f")],
                 {"sizes": (0.3, 0.1), "ratios": (1, 2, 0.5), "clip": True, "steps": (0.4, 0.3),
                  "offsets": (0.2, 0.7)})[0]
    assert out.shape == (1, 24, 4)
    np.testing.assert_allclose(out[0, :4], [[0.11, 0.0, 0.31, 0.23], [0.17667, 0.03, 0.24333, 0.13],
                                            [0.06858, 0.0, 0.35142, 0.18607], [0.13929, 0.0, 0.28071, 0.29213]],
                               atol=1e-5)
    np.testing.assert_allclose(out[0, -1], [0.73929, 0.26787, 0.88071, 0.69213], atol=1e-5)
    out = run_op("_contrib_MultiBoxPrior", [A[:1, :, :4, :5]], {"sizes": (0.5, 0.25), "ratios": (1, 2)})[0]
    np.testing.assert_allclose(out[0, :3], [[-0.1, -0.125, 0.3, 0.375], [0, 0, 0.2, 0.25],
                                            [-0.18284, -0.05178, 0.38284, 0.30178]], atol=1e-5)


def test_bad_rois_are_clear_errors():
    expect_error("ROIPooling", [A, ROIS[:, :4]], {"pooled_size": (2, 2), "spatial_scale": 1.0},
                 contains=("ROIPooling", "(R, 5)"))
    bad = ROIS.copy()
    bad[0, 0] = 5
    expect_error("_contrib_ROIAlign", [A, bad], {"pooled_size": (2, 2), "spatial_scale": 1.0},
                 contains=("ROIAlign", "batch index 5"))


def test_box_iou_matches_mxnet():
    a = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 1, 1]], "f")
    b = np.array([[[1, 0, 2, 1], [0, 0, 0.5, 4]]], "f")
    out = run_op("_contrib_box_iou", [a, b])[0]
    assert out.shape == (3, 1, 2)
    np.testing.assert_allclose(out, [[[0.25, 0.2]], [[0, 0]], [[0, 0.2]]], atol=1e-6)
    np.testing.assert_allclose(run_op("_contrib_box_iou", [a, a], {"format": "center"})[0],
                               [[1, 0.2093, 0.25], [0.2093, 1, 0.11111], [0.25, 0.11111, 1]], atol=1e-4)


@pytest.mark.parametrize("attrs,rows,cols", [
    ({"threshold": 0.15}, [-1, 0, 1, 2], [1, 2, 3]),
    ({"threshold": 0.15, "is_ascend": True}, [2, -1, -1, 0], [3, -1, 0]),
    ({"threshold": 0.6, "topk": 2}, [-1, 0, 1, -1], [1, 2, -1]),
])
def test_bipartite_matching_matches_mxnet(attrs, rows, cols):
    s = np.array([[[0.5, 0.6, 0.1], [0.9, 0.2, 0.55], [0.3, 0.8, 0.7], [0.05, 0.1, 0.2]]], "f")
    r, c = run_op("_contrib_bipartite_matching", [s], attrs)
    assert r.tolist() == [rows] and c.tolist() == [cols]
    r2, _ = run_op("_contrib_bipartite_matching", [s[0]], attrs)  # no batch dimension
    assert r2.tolist() == rows


def test_box_encode_and_decode_match_mxnet():
    anchors = np.array([[[0, 0, 2, 2], [1, 1, 4, 3], [0.5, 0.5, 1, 3]]], "f")
    refs = np.array([[[0, 0, 1.5, 2.5], [1, 1, 3.5, 3.5]]], "f")
    t, m = run_op("_contrib_box_encode", [np.array([[1, -1, 1]], "f"), np.array([[0, 1, 1]], "f"), anchors, refs,
                                          np.zeros(4, "f"), np.array([0.1, 0.1, 0.2, 0.2], "f")])
    np.testing.assert_allclose(t, [[[-1.25, 1.25, -1.43841, 1.11572], [0, 0, 0, 0], [30, 2, 8.04719, 0]]], atol=1e-4)
    assert m.tolist() == [[[1] * 4, [0] * 4, [1] * 4]]
    d = np.array([[[0.1, -0.2, 0.3, 0.1], [0, 0, 0, 0], [1, 1, 5, -5]]], "f")
    want = [[[-1.04184, -1.0602, 1.08184, 0.9802], [-1, -0.5, 3, 2.5], [-0.75914, 0.24818, 1.95914, 1.35182]]]
    attrs = {"std0": 0.1, "std1": 0.1, "std2": 0.2, "std3": 0.2}
    np.testing.assert_allclose(run_op("_contrib_box_decode", [d, anchors], attrs)[0], want, atol=1e-4)
    np.testing.assert_allclose(run_op("_contrib_box_decode", [d, anchors], dict(attrs, clip=1.0))[0], want, atol=1e-4)
    corner = run_op("_contrib_box_decode", [np.zeros_like(d), anchors], {"format": "corner"})[0]
    np.testing.assert_allclose(corner, anchors, atol=1e-6)  # zero deltas give the anchors back
