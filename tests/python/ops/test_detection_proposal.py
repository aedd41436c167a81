"""Faster R-CNN / R-FCN ops (core/ops/detection_proposal.c): _contrib_Proposal,
_contrib_MultiProposal and _contrib_PSROIPooling. Every expected value below is
what MXNet 1.9.1 printed for the same inputs (rounded to 5 decimals); the
inputs are rebuilt here from the same numpy RandomState seeds. MXNet 1.9.1
behaviour reproduced on purpose (see the op docs): too small proposals and
anchors beyond im_info's size are kept with score -1 (small ones grown by
min_size / 2 per side), and when fewer than rpn_post_nms_top_n proposals
survive NMS the kept ones repeat in order."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op

P, M, PS = "_contrib_Proposal", "_contrib_MultiProposal", "_contrib_PSROIPooling"


def prop_inputs(seed, B, A, H, W, im_info, dscale=0.3, const_score=None):
    rs = np.random.RandomState(seed)
    cls = rs.rand(B, 2 * A, H, W).astype("f")
    if const_score is not None:
        cls[:] = const_score
    bbox = (rs.randn(B, 4 * A, H, W) * dscale).astype("f")
    return [cls, bbox, np.array(im_info, "f")]


# 2 anchors (scales 1, 2 of a 4-pixel cell) at 3 x 3 positions: 18 proposals
SMALL = {"scales": (1, 2), "ratios": (1,), "feature_stride": 4, "rpn_pre_nms_top_n": 10, "rpn_post_nms_top_n": 8,
         "rpn_min_size": 2, "output_score": True}
IN0 = prop_inputs(0, 1, 2, 3, 3, [[12, 12, 1]])

# rows [batch index, x1, y1, x2, y2, score] printed by MXNet 1.9.1
SMALL_ROWS = [[0, 8.95352, 0, 10.41835, 2.82721, 0.97862], [0, 0, 0, 6.02553, 3.80847, 0.94467],
              [0, 5.23784, 0, 9.28862, 2.57552, 0.87001], [0, 0.57745, 3.08831, 3.33014, 5.39516, 0.79916],
              [0, 5.37689, 2.31786, 8.86919, 4.58709, 0.78053], [0, 2.46591, 1.16861, 4.21276, 4.7171, 0.77816],
              [0, 0, 0, 8.51942, 8.55521, 0.77423], [0, 4.78413, 7.82135, 6.5911, 9.95548, 0.63992]]
IOU_ROWS = [[0, 0, 0, 5.93132, 7.44489, 0.94467], [0, 6.93872, 0, 8.55498, 3.13303, 0.87001],
            [0, 0.75633, 1.90289, 2.57452, 5.73136, 0.79916], [0, 4.03841, 0.58746, 11, 5.65508, 0.78053],
            [0, 0.1854, 0.8423, 11, 10.41315, 0.77423], [0, 8.2788, 7.80165, 11, 11, 0.61764],
            [0, 0, 6.11233, 2.85849, 11, 0.56843], [0, 1.19644, 0, 5.92751, 5.41655, 0.52185]]
# im_info 7 x 9 at stride 4: only 1 x 2 positions are real, the rest score -1
REAL_ROWS = [[0, 0, 0, 6.02553, 3.80847, 0.94467], [0, 5.23784, 0, 8, 2.57552, 0.87001],
             [0, 2.46591, 1.16861, 4.21276, 4.7171, 0.77816], [0, 2.51279, 0, 6.55866, 6, 0.52185],
             [0, 7, -1, 9, 3.82721, -1], [0, 0, 0, 8, 4.71818, -1],
             [0, 0.57745, 3.08831, 3.33014, 5.39516, -1], [0, 3.40582, 2.5022, 5.46349, 5.08976, -1]]
# min size 3 * 2.5: smaller boxes grown by 3.75 per side with score -1
MIN_ROWS = [[0, 0, 0, 8.51942, 8.55521, 0.77423], [0, 0.8212, 3.04841, 10.79792, 10.35887, 0.01879],
            [0, -1.28409, -2.58139, 7.96276, 8.4671, -1], [0, -3.75, -3.75, 9.77553, 7.55847, -1],
            [0, 1.48784, -3.75, 13.03862, 6.32552, -1], [0, -1.23721, -3.75, 10.30866, 9.97352, -1],
            [0, 5.20352, -3.75, 14.16835, 6.57721, -1], [0, -3.75, -3.75, 14.75, 8.46818, -1]]
# all scores equal: the anchors' order (position-major) is kept, as MXNet's stable sort
TIE_ROWS = [[0, 1.87522, 0.6973, 2.91291, 1.9861, 0.5], [0, 0, 0, 5.54499, 7.10229, 0.5],
            [0, 0, 0.17706, 8.12427, 5.91012, 0.5], [0, 5.79664, 1.64986, 10.21747, 2.90216, 0.5],
            [0, 7.07989, 0, 11, 5.4686, 0.5], [0, 0, 2.83348, 2.83139, 7.31147, 0.5],
            [0, 3.58962, 0, 8.71747, 6.55399, 0.5], [0, 2.2467, 0.92422, 6.82426, 5.89224, 0.5]]
# threshold 0.1: 5 proposals survive, rows 5.. repeat them
CYCLE_ROWS = [[0, 8.95352, 0, 10.41835, 2.82721, 0.97862], [0, 0, 0, 6.02553, 3.80847, 0.94467],
              [0, 5.37689, 2.31786, 8.86919, 4.58709, 0.78053], [0, 4.78413, 7.82135, 6.5911, 9.95548, 0.63992],
              [0, 9.19026, 7.6493, 11, 11, 0.61764]]
CYCLE_ROWS = CYCLE_ROWS + CYCLE_ROWS[:3]
# 3 ratios x 2 scales of an 8-pixel cell, im_info scale 1.5
RATIO_ROWS = [[0, 0, 2.98907, 20, 14.57926, 0.98886], [0, 0, 3.40554, 18.73415, 10.29839, 0.83463],
              [0, 0, 0, 9.45911, 9.3465, 0.78928], [0, 3.69598, 0, 15.0593, 15, 0.67884],
              [0, 0, 0, 9.97315, 15, 0.66379], [0, 8.45558, 0, 20, 15, 0.58931]]
RATIOS = {"scales": (2, 3), "ratios": (0.5, 1, 2), "feature_stride": 8, "rpn_pre_nms_top_n": 12,
          "rpn_post_nms_top_n": 6, "rpn_min_size": 4, "output_score": True}


@pytest.mark.parametrize("inputs,attrs,rows", [
    (IN0, SMALL, SMALL_ROWS),
    (prop_inputs(0, 1, 2, 3, 3, [[12, 12, 1]], dscale=2), dict(SMALL, iou_loss=True), IOU_ROWS),
    (prop_inputs(0, 1, 2, 3, 3, [[7, 9, 1]]), SMALL, REAL_ROWS),
    (prop_inputs(0, 1, 2, 3, 3, [[12, 12, 2.5]]), dict(SMALL, rpn_min_size=3), MIN_ROWS),
    (prop_inputs(3, 1, 2, 3, 3, [[12, 12, 1]], const_score=0.5), dict(SMALL, threshold=0.95), TIE_ROWS),
    (IN0, dict(SMALL, threshold=0.1), CYCLE_ROWS),
    (prop_inputs(1, 1, 6, 2, 3, [[16, 21, 1.5]]), RATIOS, RATIO_ROWS),
])
def test_proposal_matches_mxnet(inputs, attrs, rows):
    rois, score = run_op(P, inputs, attrs)
    assert rois.shape == (attrs["rpn_post_nms_top_n"], 5) and score.shape == (attrs["rpn_post_nms_top_n"], 1)
    np.testing.assert_allclose(np.concatenate([rois, score], 1), rows, atol=1e-4)


def test_proposal_fills_rows_past_the_anchors_by_repeating():
    # 18 anchors, 20 rows wanted, nothing suppressed: rows 18, 19 repeat rows 0, 1 (MXNet 1.9.1)
    rois, score = run_op(P, IN0, dict(SMALL, rpn_pre_nms_top_n=-1, rpn_post_nms_top_n=20, threshold=0.9))
    np.testing.assert_allclose(rois[16:], [[0, 0.8212, 3.04841, 10.79792, 10.35887], [0, -1, 9.54543, 3.29835, 12],
                                           [0, 8.95352, 0, 10.41835, 2.82721], [0, 0, 0, 6.02553, 3.80847]],
                               atol=1e-4)
    assert (rois[18:] == rois[:2]).all() and (score[18:] == score[:2]).all()


def test_proposal_default_attrs_match_mxnet():
    # 12 anchors (scales 4, 8, 16, 32 x ratios 0.5, 1, 2) on a 4 x 4 map at stride 16: 33 survive NMS
    rois, score = run_op(P, prop_inputs(2, 1, 12, 4, 4, [[64, 64, 1]]), {"output_score": True})
    assert rois.shape == (300, 5) and score.shape == (300, 1)
    np.testing.assert_allclose(np.concatenate([rois, score], 1)[:3], [[0, 33.67094, 0, 63, 63, 0.99495],
                                                                       [0, 13.02425, 0, 63, 61.54391, 0.98886],
                                                                       [0, 37.16537, 13.89756, 63, 63, 0.98314]],
                               atol=1e-4)
    assert len({tuple(r) for r in rois.tolist()}) == 33 and score[32, 0] == -1 and (score == -1).sum() == 108
    assert (rois[33:] == rois[np.arange(33, 300) % 33]).all()


MULTI_IN = prop_inputs(4, 2, 2, 3, 3, [[12, 12, 1], [8, 12, 0.8]])
MULTI_ROWS = [[0, 4.62006, 0.79991, 7.22557, 4.99414, 0.95665], [0, 0, 5.62653, 1.8282, 8.68528, 0.94898],
              [0, 2.96344, 0, 11, 9.8652, 0.93757], [0, 7.17917, 4.82467, 9.51256, 8.0839, 0.86629],
              [0, 0.38013, 0, 9.79684, 6.034, 0.73338], [0, 8.50193, 8.1764, 10.8784, 11, 0.60074],
              [0, 0, 1.29895, 5.16785, 10.09111, 0.52791], [0, 8.64188, 0.3936, 10.52005, 3.18878, 0.43615],
              [1, 9.63695, 0, 11, 2.54691, 0.91838], [1, 3.59822, 0, 11, 3.12643, 0.86101],
              [1, 0, 0, 4.21124, 4.09313, 0.84544], [1, 3.1968, 3.79957, 8.53016, 6.04639, 0.83019],
              [1, 8.15181, 1.00756, 11, 6.94992, 0.59727], [1, 1.00545, 3.07284, 4.4333, 7, 0.59569],
              [1, 0, 0, 1.62128, 1.78819, 0.49779], [1, 0, 4.76952, 3.92157, 6.32321, 0.43182]]


def test_multi_proposal_matches_mxnet():
    rois, score = run_op(M, MULTI_IN, SMALL)
    assert rois.shape == (16, 5) and score.shape == (16, 1)
    np.testing.assert_allclose(np.concatenate([rois, score], 1), MULTI_ROWS, atol=1e-4)
    # without output_score only the rois are visible; each image's first rows are the same as above
    (rois5,) = run_op(M, MULTI_IN, dict(SMALL, output_score=False, rpn_post_nms_top_n=5))
    assert rois5.shape == (10, 5)
    np.testing.assert_allclose(rois5, np.array(MULTI_ROWS)[[0, 1, 2, 3, 4, 8, 9, 10, 11, 12], :5], atol=1e-4)
    # one image: MultiProposal is Proposal
    one = [a[:1] for a in MULTI_IN]
    np.testing.assert_array_equal(run_op(M, one, SMALL)[0], run_op(P, one, SMALL)[0])


def test_proposal_float64_is_computed_in_float32():
    got = run_op(P, [a.astype(np.float64) for a in IN0], SMALL)
    assert got[0].dtype == np.float64
    np.testing.assert_array_equal(got[0], run_op(P, IN0, SMALL)[0])


def test_proposal_gradients_are_zero():
    # MXNet's backward writes zeros for every input
    for op, ins in ((P, IN0), (M, MULTI_IN)):
        g = autograd_grads(op, ins, SMALL, [0, 1], np.ones((8 * len(ins[2]), 5), "f"))
        assert g[0].shape == ins[0].shape and g[1].shape == ins[1].shape and not g[0].any() and not g[1].any()


@pytest.mark.parametrize("op,inputs,attrs,contains", [
    (P, prop_inputs(0, 2, 2, 3, 3, [[12, 12, 1]] * 2), SMALL, "use _contrib_MultiProposal"),  # MXNet: batch 1 only
    (P, IN0, {}, "len(ratios) * len(scales) = 12"),  # MXNet: num_anchors == ratios * scales (2 vs. 12)
    (M, MULTI_IN, dict(SMALL, scales=(1, 2, 4)), "anchors = len(ratios) * len(scales) = 3"),
    (P, [IN0[0][:, :3], IN0[1], IN0[2]], SMALL, "cls_prob must be"),
    (P, [IN0[0][0], IN0[1], IN0[2]], SMALL, "cls_prob must be"),
    (P, [IN0[0], IN0[1][:, :4], IN0[2]], SMALL, "bbox_pred must be"),
    (P, [IN0[0], IN0[1][..., :2], IN0[2]], SMALL, "bbox_pred must be"),
    (P, [IN0[0], IN0[1], IN0[2][:, :2]], SMALL, "im_info must be"),
    (M, [MULTI_IN[0], MULTI_IN[1], MULTI_IN[2][:1]], SMALL, "im_info must be"),
    (P, [IN0[0], IN0[1], np.array([[16, 12, 1]], "f")], SMALL, "feature map of at least 4 x 3"),  # MXNet: check failed
    (P, IN0, dict(SMALL, rpn_post_nms_top_n=0), "rpn_post_nms_top_n"),
    (P, IN0, dict(SMALL, feature_stride=0), "feature_stride"),
])
def test_proposal_bad_inputs_are_clear_errors(op, inputs, attrs, contains):
    expect_error(op, inputs, attrs, contains=(op.replace("_contrib_", ""), contains))


# ---------------------------------------------------------------- PSROIPooling

def test_psroi_pooling_hand_made_matches_mxnet():
    x = np.arange(2 * 8 * 3 * 3, dtype="f").reshape(2, 8, 3, 3)
    rois = np.array([[0, 0, 0, 2, 2], [1, 1, 0, 3, 5]], "f")
    out = run_op(PS, [x, rois], {"spatial_scale": 1, "output_dim": 2, "pooled_size": 2})[0]
    # MXNet 1.9.1; roi 1 reaches past the map's bottom: its lower bins are empty (0)
    assert out.tolist() == [[[[2, 12], [23, 33]], [[38, 48], [59, 69]]], [[[76.5, 86], [0, 0]], [[112.5, 122], [0, 0]]]]
    out = run_op(PS, [x, rois], {"spatial_scale": 1, "output_dim": 2, "pooled_size": 2, "group_size": 1})[0]
    assert out.tolist() == [[[[2, 3], [5, 6]], [[11, 12], [14, 15]]], [[[76.5, 77], [0, 0]], [[85.5, 86], [0, 0]]]]


PS_X = np.random.RandomState(5).randn(2, 18, 6, 7).astype("f")
PS_ROIS = np.array([[0, 1.2, 0.4, 9.7, 8.6], [1, 3, 2, 5, 11], [0, 6, 5, 4, 3], [1, -3, -2, 30, 40]], "f")


def test_psroi_pooling_seeded_matches_mxnet():
    out = run_op(PS, [PS_X, PS_ROIS], {"spatial_scale": 0.5, "output_dim": 2, "pooled_size": 3})[0]
    assert out.shape == (4, 2, 3, 3)
    np.testing.assert_allclose(out[0, 0], [[0.3012, 0.11801, -0.32295], [0.43608, -0.06526, -0.21735],
                                           [-0.39842, -1.23119, -0.28601]], atol=1e-4)
    np.testing.assert_allclose(out[2, 1], [[0.06547, 1.16056, -0.17197], [-0.17965, 0.07085, -1.0222],
                                           [0.70238, -0.86674, 0.00279]], atol=1e-4)  # x2 < x1: a 0.1 wide roi
    # roi 3 covers more than the map: its lower bins lie below it, empty (0)
    np.testing.assert_allclose(out[3, :, 0], [[0.04661, -0.07754, 0], [-0.0765, 0.32656, 0]], atol=1e-4)
    assert not out[3, :, 1:].any()
    out = run_op(PS, [PS_X, PS_ROIS], {"spatial_scale": 0.625, "output_dim": 2, "pooled_size": 4, "group_size": 3})[0]
    assert out.shape == (4, 2, 4, 4)
    np.testing.assert_allclose(out[1, 0, :, 1], [0.99107, 0.34912, -0.0709, 1.8562], atol=1e-4)


def test_psroi_pooling_gradient_matches_mxnet_and_finite_differences():
    x = np.random.RandomState(11).randn(1, 8, 3, 4).astype("f")
    rois = np.array([[0, 0.4, 0.6, 3.2, 2.4], [0, 1.6, -0.7, 2.2, 1.3]], "f")
    attrs = {"spatial_scale": 1.0, "output_dim": 2, "pooled_size": 2}
    np.testing.assert_allclose(run_op(PS, [x, rois], attrs)[0].reshape(2, 8),  # MXNet 1.9.1
                               [[-0.16396, -0.35726, -0.28316, 0.16758, 0.81077, 0.51617, -0.56785, 0.17168],
                                [-0.48457, -1.30555, 0.26395, -0.85964, 0.6001, -0.79286, 0.31591, -0.49965]],
                               atol=1e-4)
    g = autograd_grads(PS, [x, rois], attrs, [0], np.arange(16, dtype="f").reshape(2, 2, 2, 2) - 7.5)[0]
    # MXNet 1.9.1's gradient: each bin's gradient spread over its pixels
    want = [[[0, 0, 0.5, 0], [-3.75, -3.75, 0, 0], [0, 0, 0, 0]],
            [[0, 0, 1.5, 0], [0, 0, -3.25, -3.25], [0, 0, 0, 0]],
            [[0, 0, 1.25, 0], [0, 0, 1.25, 0], [-2.75, -2.75, 0, 0]],
            [[0, 0, 1.75, 0], [0, 0, 1.75, 0], [0, 0, -2.25, -2.25]],
            [[0, 0, 4.5, 0], [-1.75, -1.75, 0, 0], [0, 0, 0, 0]],
            [[0, 0, 5.5, 0], [0, 0, -1.25, -1.25], [0, 0, 0, 0]],
            [[0, 0, 3.25, 0], [0, 0, 3.25, 0], [-0.75, -0.75, 0, 0]],
            [[0, 0, 3.75, 0], [0, 0, 3.75, 0], [0, 0, -0.25, -0.25]]]
    np.testing.assert_allclose(g, [want], atol=1e-6)
    check_grad(PS, [x.astype(np.float64), rois.astype(np.float64)], attrs, wrt=[0])
    check_grad(PS, [PS_X[:, :, :4, :5].astype(np.float64), (PS_ROIS * 0.5).astype(np.float64)],
               {"spatial_scale": 0.8, "output_dim": 2, "pooled_size": 2, "group_size": 3}, wrt=[0])
    g = autograd_grads(PS, [x, rois], attrs, [1], np.ones((2, 2, 2, 2), "f"))[0]
    assert g.shape == rois.shape and not g.any()  # rois get zeros, as in MXNet


def test_psroi_pooling_float64_and_extra_channels():
    attrs = {"spatial_scale": 0.5, "output_dim": 2, "pooled_size": 3}
    a = run_op(PS, [PS_X, PS_ROIS], attrs)[0]
    b = run_op(PS, [PS_X.astype(np.float64), PS_ROIS.astype(np.float64)], attrs)[0]
    assert b.dtype == np.float64
    np.testing.assert_allclose(a, b, atol=1e-5)
    # MXNet 1.9.1 does not check the channel count: with more channels only the first ones are read
    attrs = {"spatial_scale": 1, "output_dim": 2, "pooled_size": 2, "group_size": 1}
    np.testing.assert_array_equal(run_op(PS, [PS_X, PS_ROIS], attrs)[0], run_op(PS, [PS_X[:, :2], PS_ROIS], attrs)[0])


@pytest.mark.parametrize("inputs,attrs,contains", [
    ([PS_X[:, :17], PS_ROIS], {}, "at least output_dim * group_size^2 = 2 * 3^2 = 18"),
    ([PS_X[:, :8], PS_ROIS], {"group_size": 2, "output_dim": 3}, "= 12"),
    ([PS_X[0], PS_ROIS], {}, "data must be 4-d"),
    ([PS_X, PS_ROIS[:, :4]], {}, "rois must have shape (R, 5)"),
    ([PS_X, PS_ROIS + np.array([2, 0, 0, 0, 0], "f")], {}, "batch index 2 outside [0, 2)"),
    ([PS_X, PS_ROIS.astype(np.float64)], {}, "dtype"),
    ([PS_X, PS_ROIS], {"pooled_size": 0}, "pooled_size"),
])
def test_psroi_pooling_bad_inputs_are_clear_errors(inputs, attrs, contains):
    expect_error(PS, inputs, {"spatial_scale": 0.5, "output_dim": 2, "pooled_size": 3, **attrs},
                 contains=("PSROIPooling", contains))


def test_psroi_pooling_needs_its_attrs():
    expect_error(PS, [PS_X, PS_ROIS], {"output_dim": 2, "pooled_size": 3}, contains=("PSROIPooling", "spatial_scale"))


# ---------------------------------------------------------------- through the mxcore package

def test_nd_contrib_names_and_mxnet_error():
    import mxcore as mx
    # MXNet 1.9.1 registers these under _contrib_ only (no _npx_ names)
    rois, score = mx.nd.contrib.Proposal(*[mx.nd.array(a) for a in IN0], **SMALL)
    np.testing.assert_allclose(score.asnumpy()[:, 0], np.array(SMALL_ROWS)[:, 5], atol=1e-4)
    rois = mx.nd.contrib.MultiProposal(*[mx.nd.array(a) for a in MULTI_IN], **dict(SMALL, output_score=False))
    assert rois.shape == (16, 5)
    out = mx.nd.contrib.PSROIPooling(mx.nd.array(PS_X), mx.nd.array(PS_ROIS), spatial_scale=0.5, output_dim=2,
                                     pooled_size=3)
    assert out.shape == (4, 2, 3, 3)
    with pytest.raises(mx.base.MXNetError, match="Proposal"):
        mx.nd.contrib.Proposal(*[mx.nd.array(a) for a in IN0])
    with pytest.raises(mx.base.MXNetError, match="PSROIPooling"):
        mx.nd.contrib.PSROIPooling(mx.nd.array(PS_X), mx.nd.array(PS_ROIS), spatial_scale=0.5, output_dim=3,
                                   pooled_size=3)


def _rfcn_head(mx):
    cls, bbox, info, feat = mx.sym.var("cls"), mx.sym.var("bbox"), mx.sym.var("im_info"), mx.sym.var("feat")
    rois = mx.sym.contrib.Proposal(mx.sym.softmax(cls, axis=1), bbox, info, scales=(1, 2), ratios=(1,),
                                   feature_stride=4, rpn_pre_nms_top_n=10, rpn_post_nms_top_n=4, rpn_min_size=2,
                                   output_score=True, name="rpn")
    conv = mx.sym.Convolution(feat, num_filter=8, kernel=(1, 1), name="ps")
    pool = mx.sym.contrib.PSROIPooling(conv, rois[0], spatial_scale=0.25, output_dim=2, pooled_size=2, name="psroi")
    return mx.sym.Group([rois[0], rois[1], pool])


def test_rfcn_head_symbol_runs_as_mxnet():
    import mxcore as mx
    s = _rfcn_head(mx)
    assert s.list_outputs() == ["rpn_output", "rpn_score", "psroi_output"]
    assert s.list_arguments() == ["cls", "bbox", "im_info", "feat", "ps_weight", "ps_bias"]
    ex = s.simple_bind(mx.cpu(), cls=(1, 4, 3, 3), bbox=(1, 8, 3, 3), im_info=(1, 3), feat=(1, 2, 3, 3))
    rs = np.random.RandomState(8)
    ex.arg_dict["cls"][:] = rs.randn(1, 4, 3, 3)
    ex.arg_dict["bbox"][:] = prop_inputs(7, 1, 2, 3, 3, [[12, 12, 1]])[1]
    ex.arg_dict["im_info"][:] = np.array([[12, 12, 1]])
    ex.arg_dict["feat"][:] = rs.randn(1, 2, 3, 3)
    ex.arg_dict["ps_weight"][:] = rs.randn(8, 2, 1, 1)
    ex.arg_dict["ps_bias"][:] = rs.randn(8)
    rois, score, pool = [o.asnumpy() for o in ex.forward(is_train=True)]
    # MXNet 1.9.1's outputs for the same graph and values
    np.testing.assert_allclose(rois, [[0, 0, 0, 4.07045, 11], [0, 0, 0, 1.90693, 4.39967],
                                      [0, 1.46091, 3.9677, 4.5845, 5.22549], [0, 3.26517, 0, 11, 5.92418]], atol=1e-4)
    np.testing.assert_allclose(score[:, 0], [0.79068, 0.40646, 0.37225, 0.35507], atol=1e-4)
    assert pool.shape == (4, 2, 2, 2)
    np.testing.assert_allclose(pool[0], [[[-0.73361, 1.63707], [-2.94393, -1.5226]],
                                         [[-0.58484, -0.97137], [6.18805, -0.20015]]], atol=1e-4)
    np.testing.assert_allclose(pool[2, 1], [[-2.29181, -1.32285], [7.52894, -1.15313]], atol=1e-4)
    ex.backward([mx.nd.ones(o.shape) for o in ex.outputs])
    np.testing.assert_allclose(ex.grad_dict["feat"].asnumpy()[0], [
        [[4.14105, 0.87394, 0.0834], [5.73873, 1.75658, 0.64217], [0.69426, 0.64217, 0]],
        [[1.77844, 0.066, -0.20015], [1.96971, 0.6158, 0.43249], [0.1021, 0.43249, 0]]], atol=1e-4)
    np.testing.assert_allclose(ex.grad_dict["ps_bias"].asnumpy(), [4] * 8)
    np.testing.assert_allclose(ex.grad_dict["ps_weight"].asnumpy()[:4, :, 0, 0],
                               [[-0.2461, -2.74966], [-1.53793, 0.97159], [-1.01626, -6.8196], [-1.54823, -2.70695]],
                               atol=1e-4)
    assert not ex.grad_dict["cls"].asnumpy().any() and not ex.grad_dict["bbox"].asnumpy().any()
