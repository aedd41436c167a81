"""SSD ops (core/ops/detection_multibox.c): _contrib_MultiBoxTarget and
_contrib_MultiBoxDetection. Every expected value below is what MXNet 1.9.1
printed for the same inputs (rounded to 5 decimals); the inputs are rebuilt
here from the same numpy RandomState seeds. MXNet 1.9.1 oddities reproduced on
purpose (see the op docs): MultiBoxTarget ignores minimum_negative_samples,
MultiBoxDetection ignores background_id, and with nms_topk the rows after the
top k keep their unsorted score and box with class id -1."""
import numpy as np
import pytest
from harness import autograd_grads, expect_error, run_op

T, D = "_contrib_MultiBoxTarget", "_contrib_MultiBoxDetection"

ANC = np.array([[[0, 0, .5, .5], [.25, .25, .75, .75], [.5, .5, 1, 1], [0, .5, .5, 1], [.1, .1, .4, .4],
                 [.6, .1, .9, .4]]], "f")
LAB = np.array([[[0, .1, .1, .45, .45], [1, .55, .55, .95, .95], [-1, -1, -1, -1, -1]]], "f")
CLS = np.random.RandomState(0).randn(1, 3, 6).astype("f")  # logits: background, class 0, class 1
# positives: anchor 4 takes ground truth 0 (IoU 0.73), anchor 2 ground truth 1 (0.64); anchor 0 has 0.49 with gt 0
LOC_POS = [[0.0, 0.0, -1.11572, -1.11572], [0.83333, 0.83333, 0.77075, 0.77075]]  # anchors 2, 4


@pytest.mark.parametrize("attrs,cls_target", [
    ({}, [0, 0, 2, 0, 1, 0]),
    ({"negative_mining_ratio": 1}, [-1, 0, 2, -1, 1, 0]),  # 2 negatives: lowest background probability
    ({"negative_mining_ratio": 0.5, "minimum_negative_samples": 3}, [-1, -1, 2, -1, 1, 0]),  # minimum unused
    ({"negative_mining_ratio": 1, "negative_mining_thresh": 0.01}, [-1, -1, 2, 0, 1, 0]),  # only IoU < 0.01
    ({"negative_mining_ratio": 3}, [0, 0, 2, 0, 1, 0]),  # capped at the anchors left
    ({"ignore_label": -2, "negative_mining_ratio": 1}, [-2, 0, 2, -2, 1, 0]),
])
def test_multibox_target_matches_mxnet(attrs, cls_target):
    loc, mask, cls = run_op(T, [ANC, LAB, CLS], attrs)
    assert loc.shape == mask.shape == (1, 24) and cls.shape == (1, 6)
    assert cls.tolist() == [cls_target]
    assert mask.reshape(6, 4).tolist() == [[float(i in (2, 4))] * 4 for i in range(6)]
    np.testing.assert_allclose(loc.reshape(6, 4)[[2, 4]], LOC_POS, atol=1e-5)
    assert not loc.reshape(6, 4)[[0, 1, 3, 5]].any()


def test_multibox_target_threshold_variances_and_padding():
    loc, mask, cls = run_op(T, [ANC, LAB, CLS], {"overlap_threshold": 0.2})
    assert cls.tolist() == [[1, 0, 2, 0, 1, 0]] and mask.reshape(6, 4)[:, 0].tolist() == [1, 0, 1, 0, 1, 0]
    np.testing.assert_allclose(loc.reshape(6, 4)[[0, 2, 4]], [[0.5, 0.5, -1.78337, -1.78337]] + LOC_POS, atol=1e-5)
    loc = run_op(T, [ANC, LAB, CLS], {"overlap_threshold": 0.2, "variances": (1, 1, 1, 1)})[0]
    np.testing.assert_allclose(loc.reshape(6, 4)[[0, 2, 4]], [[0.05, 0.05, -0.35667, -0.35667],
                                                             [0, 0, -0.22314, -0.22314],
                                                             [0.08333, 0.08333, 0.15415, 0.15415]], atol=1e-5)
    # the first class -1 row ends the boxes: a box after it is not used
    after = np.array([[[0, .1, .1, .45, .45], [-1, -1, -1, -1, -1], [1, .55, .55, .95, .95]]], "f")
    assert run_op(T, [ANC, after, CLS])[2].tolist() == [[0, 0, 0, 0, 1, 0]]
    loc, mask, cls = run_op(T, [ANC, -np.ones((1, 3, 5), "f"), CLS])  # no boxes: all ignored
    assert cls.tolist() == [[-1] * 6] and not loc.any() and not mask.any()
    # any class but -1 is a box (target class + 1); extra label columns are ignored
    odd = np.array([[[-2, .1, .1, .45, .45, 7], [3, .55, .55, .95, .95, 7]]], "f")
    assert run_op(T, [ANC, odd, CLS])[2].tolist() == [[0, 0, 4, 0, -1, 0]]


# gts overlapping several anchors; gts 0 and 1 both like anchors 0-3 best (bipartite first, then the threshold)
ANC2 = np.array([[[.2, .2, .6, .6], [.22, .2, .62, .6], [.2, .24, .6, .64], [.18, .18, .58, .58], [.7, .7, .9, .9],
                  [.65, .7, .85, .9]]], "f")
LAB2 = np.array([[[2, .21, .21, .61, .61], [0, .19, .19, .59, .6], [1, .68, .7, .88, .9], [-1, -1, -1, -1, -1]],
                 [[0, .2, .2, .4, .4], [-1, -1, -1, -1, -1], [-1, -1, -1, -1, -1], [-1, -1, -1, -1, -1]]], "f")
CLS2 = np.random.RandomState(5).randn(2, 4, 6).astype("f")
LOC2 = [[[-0.25, -0.125, 0, 0.12346], [-0.25, 0.25, 0, 0], [0.25, -0.75, 0, 0], [0.25, 0.375, 0, 0.12346],
         [-1, 0, 0, 0], [1.5, 0, 0, 0]], [[0] * 4] * 3 + [[-2, -2, -3.46574, -3.46574]] + [[0] * 4] * 2]


@pytest.mark.parametrize("attrs,cls_target,pos5", [
    ({}, [[1, 3, 3, 1, 2, 2], [0, 0, 0, 1, 0, 0]], 1),
    ({"overlap_threshold": 0.8}, [[1, 3, 3, 1, 2, 0], [0, 0, 0, 1, 0, 0]], 0),
    ({"negative_mining_ratio": 1, "negative_mining_thresh": 0.3}, [[1, 3, 3, 1, 2, 2], [-1, -1, -1, 1, 0, -1]], 1),
])
def test_multibox_target_batch_of_crowded_anchors(attrs, cls_target, pos5):
    loc, mask, cls = run_op(T, [ANC2, LAB2, CLS2], attrs)
    assert cls.tolist() == cls_target
    want = np.array(LOC2)
    want[0, 5] *= pos5
    np.testing.assert_allclose(loc.reshape(2, 6, 4), want, atol=1e-5)
    assert (mask.reshape(2, 6, 4) == (np.array(cls_target) > 0)[..., None]).all()
    loc = run_op(T, [ANC2, LAB2, CLS2], {"variances": (0.2, 0.1, 0.3, 0.25)})[0].reshape(2, 6, 4)
    np.testing.assert_allclose(loc[0, 0], [-0.125, -0.125, 0, 0.09877], atol=1e-5)
    np.testing.assert_allclose(loc[1, 3], [-1, -2, -2.31049, -2.77259], atol=1e-5)


rs = np.random.RandomState(1)
P = rs.rand(1, 3, 6).astype("f")
P /= P.sum(1, keepdims=True)
LOC = (rs.randn(1, 24) * 0.5).astype("f")
# rows of the decoded detections, by anchor (class id, score, box); MXNet's output lists them by score
ROW = {0: [1, 0.25312, 0.0, 0.01644, 0.52195, 0.46436], 1: [1, 0.45171, 0.24463, 0.21305, 0.74675, 0.74306],
       2: [0, 0.93518, 0.4489, 0.51573, 0.99607, 1.0], 3: [1, 0.44354, 0.02557, 0.50524, 0.51947, 0.96057],
       4: [0, 0.42633, 0.10601, 0.11379, 0.38596, 0.40212], 5: [0, 0.51279, 0.59943, 0.08751, 0.87995, 0.38713]}
NONE = [-1] * 6


def _stale(r):  # a row after nms_topk: class id -1, the rest kept
    return [-1] + ROW[r][1:]


@pytest.mark.parametrize("attrs,rows", [
    ({}, [ROW[r] for r in (2, 5, 1, 3, 4, 0)]),
    ({"background_id": 1}, [ROW[r] for r in (2, 5, 1, 3, 4, 0)]),  # unused, as in MXNet 1.9.1
    ({"threshold": 0.4}, [ROW[r] for r in (2, 5, 1, 3, 4)] + [NONE]),
    ({"nms_threshold": 0}, [ROW[r] for r in range(6)]),  # no NMS: anchor order, unsorted
    ({"nms_threshold": 1.5, "nms_topk": 2}, [ROW[r] for r in range(6)]),
    # nms_topk: MXNet 1.9.1 keeps the unsorted valid rows after the top k, with class id -1
    ({"nms_topk": 2}, [ROW[2], ROW[5], _stale(2), _stale(3), _stale(4), _stale(5)]),
    ({"nms_topk": 4, "threshold": 0.3}, [ROW[2], ROW[5], ROW[1], ROW[3], _stale(5), NONE]),
])
def test_multibox_detection_matches_mxnet(attrs, rows):
    out = run_op(D, [P, LOC, ANC], attrs)[0]
    assert out.shape == (1, 6, 6)
    np.testing.assert_allclose(out[0], rows, atol=1e-5)


def test_multibox_detection_without_clip():
    out = run_op(D, [P, LOC, ANC], {"clip": False})[0]
    np.testing.assert_allclose(out[0, 0, 5], 1.0415, atol=1e-5)
    np.testing.assert_allclose(out[0, 5, 2], -0.03807, atol=1e-5)


A2 = np.array([[[0, 0, .4, .4], [.05, .05, .45, .45], [.1, .1, .5, .5], [.6, .6, .9, .9], [.62, .6, .92, .9]]], "f")
P2 = np.array([[[.1, .2, .3, .4, .5], [.8, .1, .6, .1, .45], [.1, .7, .1, .5, .05]],
               [[0, .9, .2, .3, .2], [.5, .05, .5, .6, .7], [.5, .05, .3, .1, .1]]], "f")
B = [[0, 0, .4, .4], [.05, .05, .45, .45], [.1, .1, .5, .5], [.6, .6, .9, .9], [.62, .6, .92, .9]]  # zero deltas


def _r(c, s, a):
    return [c, s] + B[a]


@pytest.mark.parametrize("attrs,rows", [
    ({}, [[_r(0, .8, 0), _r(1, .7, 1), _r(0, .6, 2), _r(1, .5, 3), _r(0, .45, 4)],
          [_r(0, .7, 4), _r(-1, .6, 3), _r(0, .5, 0), _r(0, .5, 2), _r(-1, .05, 1)]]),  # ties keep anchor order
    ({"force_suppress": True}, [[_r(0, .8, 0), _r(-1, .7, 1), _r(0, .6, 2), _r(1, .5, 3), _r(-1, .45, 4)],
                                [_r(0, .7, 4), _r(-1, .6, 3), _r(0, .5, 0), _r(0, .5, 2), _r(-1, .05, 1)]]),
    ({"nms_threshold": 0.3}, [[_r(0, .8, 0), _r(1, .7, 1), _r(-1, .6, 2), _r(1, .5, 3), _r(0, .45, 4)],
                              [_r(0, .7, 4), _r(-1, .6, 3), _r(0, .5, 0), _r(-1, .5, 2), _r(-1, .05, 1)]]),
    ({"nms_threshold": 0.3, "force_suppress": True, "nms_topk": 3},
     [[_r(0, .8, 0), _r(-1, .7, 1), _r(-1, .6, 2), _r(-1, .5, 3), _r(-1, .45, 4)],
      [_r(0, .7, 4), _r(-1, .6, 3), _r(0, .5, 0), _r(-1, .6, 3), _r(-1, .7, 4)]]),
])
def test_multibox_detection_suppression_matches_mxnet(attrs, rows):
    np.testing.assert_allclose(run_op(D, [P2, np.zeros((2, 20), "f"), A2], attrs)[0], rows, atol=1e-6)


def test_multibox_detection_variances_decode_as_mxnet():
    deltas = (np.random.RandomState(2).randn(2, 20) * 0.5).astype("f")
    out = run_op(D, [P2, deltas, A2], {"variances": (0.2, 0.1, 0.3, 0.25), "clip": False})[0]
    np.testing.assert_allclose(out[0, :2], [[0, 0.8, 0.03816, -0.04664, 0.3285, 0.44439],
                                            [1, 0.7, -0.03741, 0.062, 0.39393, 0.40433]], atol=1e-5)
    np.testing.assert_allclose(out[1, 2:], [[0, 0.5, -0.04297, 0.02012, 0.37272, 0.37362],
                                            [0, 0.5, 0.05106, 0.03259, 0.43524, 0.56127],
                                            [-1, 0.05, 0.05469, 0.07287, 0.4182, 0.41768]], atol=1e-5)
    out64 = run_op(D, [P2.astype(np.float64), deltas.astype(np.float64), A2.astype(np.float64)],
                   {"variances": (0.2, 0.1, 0.3, 0.25), "clip": False})[0]
    assert out64.dtype == np.float64  # computed in float32, as MXNet (which accepts float32 only)
    np.testing.assert_array_equal(out64, out)


def test_multibox_gradients_are_zero():
    # MXNet's backward writes zeros for every input
    g = autograd_grads(T, [ANC, LAB, CLS], {}, [2], np.ones((1, 6), "f"), out_index=2)[0]
    assert g.shape == CLS.shape and not g.any()
    g = autograd_grads(D, [P, LOC, ANC], {}, [0, 1], np.ones((1, 6, 6), "f"))
    assert g[0].shape == P.shape and g[1].shape == LOC.shape and not g[0].any() and not g[1].any()


@pytest.mark.parametrize("op,inputs,attrs,contains", [
    (T, [ANC[0], LAB, CLS], {}, "(1, anchors > 0, 4)"),
    (T, [np.concatenate([ANC, ANC]), LAB, CLS], {}, "(1, anchors > 0, 4)"),
    (T, [ANC, LAB[..., :4], CLS], {}, "width >= 5"),
    (T, [ANC, LAB[0], CLS], {}, "label must be"),
    (T, [ANC, LAB, CLS[..., :5]], {}, "cls_pred must be"),
    (T, [ANC, LAB, np.concatenate([CLS, CLS])], {}, "batch of label"),
    (T, [ANC, LAB, CLS], {"variances": (0.1, 0.1, 0.2)}, "variances"),
    (T, [ANC, LAB, CLS], {"negative_mining_ratio": 1, "negative_mining_thresh": 0}, "negative_mining_thresh"),
    (D, [P, LOC[:, :20], ANC], {}, "loc_pred must be"),
    (D, [P, LOC, ANC[:, :5]], {}, "cls_prob must be"),
    (D, [P[0], LOC, ANC], {}, "cls_prob must be"),
    (D, [P, np.concatenate([LOC, LOC]), ANC], {}, "batch of cls_prob"),
    (D, [P, LOC, np.concatenate([ANC, ANC])], {}, "(1, anchors > 0, 4)"),
    (D, [P, LOC, ANC], {"variances": (1, 2)}, "variances"),
])
def test_bad_shapes_are_clear_errors(op, inputs, attrs, contains):
    expect_error(op, inputs, attrs, contains=(op.replace("_contrib_", ""), contains))


def test_bad_labels_and_too_few_negatives_are_errors():
    bad = LAB.copy()
    bad[0, 2, 1] = 0.3  # MXNet 1.9.1: check failed, a padding row must be all -1
    expect_error(T, [ANC, bad, CLS], {}, contains=("MultiBoxTarget", "padding"))
    # MXNet 1.9.1: check failed, 4 negatives wanted, 2 anchors below the threshold
    expect_error(T, [ANC, LAB, CLS], {"negative_mining_ratio": 3, "negative_mining_thresh": 0.01},
                 contains=("MultiBoxTarget", "wants 4 negatives but only 2"))


def test_npx_aliases_as_mxnet_registers_them():
    assert run_op("_npx_multibox_target", [ANC, LAB, CLS])[2].tolist() == [[0, 0, 2, 0, 1, 0]]
    np.testing.assert_array_equal(run_op("_npx_multibox_detection", [P, LOC, ANC])[0], run_op(D, [P, LOC, ANC])[0])


def test_nd_contrib_names_and_mxnet_error():
    import mxcore as mx
    loc, mask, cls = mx.nd.contrib.MultiBoxTarget(mx.nd.array(ANC), mx.nd.array(LAB), mx.nd.array(CLS))
    assert loc.shape == mask.shape == (1, 24) and cls.asnumpy().tolist() == [[0, 0, 2, 0, 1, 0]]
    out = mx.nd.contrib.MultiBoxDetection(mx.nd.array(P), mx.nd.array(LOC), mx.nd.array(ANC), nms_topk=2)
    np.testing.assert_allclose(out.asnumpy()[0, 2], _stale(2), atol=1e-5)
    with pytest.raises(mx.base.MXNetError, match="MultiBoxDetection"):
        mx.nd.contrib.MultiBoxDetection(mx.nd.array(P), mx.nd.array(LOC[:, :20]), mx.nd.array(ANC))


def _ssd_head(mx):
    data, label = mx.sym.var("data"), mx.sym.var("label")
    feat = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="feat")
    anchors = mx.sym.contrib.MultiBoxPrior(feat, sizes=(0.5, 0.25), ratios=(1, 2), name="anchors")
    cls = mx.sym.Convolution(feat, num_filter=3 * 3, kernel=(1, 1), name="cls")  # 3 anchors: bg + 2 classes
    cls_pred = mx.sym.transpose(mx.sym.reshape(mx.sym.transpose(cls, axes=(0, 2, 3, 1)), shape=(0, -1, 3)),
                                axes=(0, 2, 1))
    loc = mx.sym.Convolution(feat, num_filter=3 * 4, kernel=(1, 1), name="loc")
    loc_pred = mx.sym.flatten(mx.sym.transpose(loc, axes=(0, 2, 3, 1)))
    tgt = mx.sym.contrib.MultiBoxTarget(anchors, label, cls_pred, negative_mining_ratio=3, name="target")
    det = mx.sym.contrib.MultiBoxDetection(mx.sym.softmax(cls_pred, axis=1), loc_pred, anchors, nms_threshold=0.45,
                                           name="det")
    return mx.sym.Group([tgt[0], tgt[1], tgt[2], det])


def test_ssd_head_symbol_runs_as_mxnet():
    import mxcore as mx
    s = _ssd_head(mx)
    assert s.list_outputs() == ["target_loc_target", "target_loc_mask", "target_cls_target", "det_output"]
    ex = s.simple_bind(mx.cpu(), data=(2, 2, 2, 2), label=(2, 2, 5))
    rs = np.random.RandomState(3)
    for k in sorted(ex.arg_dict):
        if k not in ("data", "label"):
            ex.arg_dict[k][:] = rs.uniform(-0.5, 0.5, ex.arg_dict[k].shape)
    ex.arg_dict["data"][:] = rs.uniform(-1, 1, (2, 2, 2, 2))
    ex.arg_dict["label"][:] = np.array([[[0, .1, .1, .5, .6], [1, .4, .3, .9, .8]], [[1, 0, .5, .45, 1], [-1] * 5]])
    loc, mask, cls, det = [o.asnumpy() for o in ex.forward(is_train=True)]
    # MXNet 1.9.1's outputs for the same graph and values
    assert cls.tolist() == [[1, 0, -1, 0, 0, -1, 0, 0, -1, 2, 0, -1], [-1, 0, -1, -1, 0, -1, 2, 0, 2, 0, 0, 0]]
    np.testing.assert_allclose(loc[0, :3], [1, 2, -1.11572], atol=1e-5)
    np.testing.assert_allclose(loc[1, 32:36], [-0.35355, 0, -2.25967, 1.73287], atol=1e-5)
    assert mask.sum() == 16
    assert det[:, :, 0].tolist() == [[1, 0, 1, 0, 0, 0, -1, 1, -1, -1, 0, -1], [0, 0, 1, 0, 0, 0, -1, 0, -1, -1, 0, 1]]
    np.testing.assert_allclose(det[0, 0], [1, 0.59069, 0.13214, 0.64709, 0.35709, 0.89471], atol=1e-4)
    np.testing.assert_allclose(det[1, -1], [1, 0.31826, 0.05155, 0.0468, 0.53909, 0.5397], atol=1e-4)
    ex.backward([mx.nd.ones(o.shape) for o in ex.outputs])  # the heads' gradients are zero, as in MXNet
    assert not ex.grad_dict["cls_weight"].asnumpy().any() and not ex.grad_dict["loc_weight"].asnumpy().any()


# written by MXNet 1.9.1: MultiBoxDetection(softmax(cls_pred), loc_pred, MultiBoxPrior(data), nms_topk=3).tojson()
MXNET_JSON = (
    '{"nodes":[{"op":"null","name":"cls_pred","inputs":[]},{"op":"softmax","name":"softmax0","attrs":{"axis":"1"},'
    '"inputs":[[0,0,0]]},{"op":"null","name":"loc_pred","inputs":[]},{"op":"null","name":"data","inputs":[]},'
    '{"op":"_contrib_MultiBoxPrior","name":"multiboxprior0","attrs":{"ratios":"(1, 2)","sizes":"(0.5, 0.25)"},'
    '"inputs":[[3,0,0]]},{"op":"_contrib_MultiBoxDetection","name":"multiboxdetection0","attrs":{"nms_topk":"3"},'
    '"inputs":[[1,0,0],[2,0,0],[4,0,0]]}],"arg_nodes":[0,2,3],"node_row_ptr":[0,1,2,3,4,5,6],"heads":[[5,0,0]],'
    '"attrs":{"mxnet_version":["int",10901]}}')


def test_mxnet_json_with_multibox_detection_loads_and_runs():
    import mxcore as mx
    s = mx.sym.load_json(MXNET_JSON)
    rs = np.random.RandomState(4)
    cls, loc = (rs.randn(1, 3, 6) * 2).astype("f"), (rs.randn(1, 24) * 0.3).astype("f")
    out = s.eval(ctx=mx.cpu(), data=mx.nd.zeros((1, 1, 1, 2)), cls_pred=mx.nd.array(cls), loc_pred=mx.nd.array(loc))[0]
    np.testing.assert_allclose(out.asnumpy()[0], [  # MXNet 1.9.1's output
        [1.0, 0.96162, 0.58202, 0.32618, 0.91212, 0.69072], [0.0, 0.89199, 0.07294, 0.32528, 0.46296, 0.65111],
        [0.0, 0.82516, 0.67501, 0.37423, 0.8167, 0.63834], [-1.0, 0.32959, 0.61976, 0.29112, 0.87048, 0.72515],
        [-1.0, 0.82516, 0.67501, 0.37423, 0.8167, 0.63834], [-1.0, 0.96162, 0.58202, 0.32618, 0.91212, 0.69072]],
        atol=1e-5)
    assert "_contrib_MultiBoxDetection" in s.tojson()
