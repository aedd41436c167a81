"""Regressions found by running the last part of MXNet 1.x's test_operator.py against mxcore:
linalg gemm/gemm2 `axis`, potrf/potri `lower=False`, gelqf's gradient on 1 x 1 matrices,
SoftmaxOutput with probability labels, diag/depth_to_space/space_to_depth bad input,
Pooling's longer pad tuples and 'same' convention, ROIAlign's batch index truncation.

Expected values were printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def f64(x):
    return mx.nd.array(x, dtype="float64")


def test_gemm2_and_gemm_row_axis():
    a = mx.nd.array(np.arange(12).reshape(2, 1, 2, 3))   # rows on axis 0, columns last
    b = mx.nd.array(np.arange(18).reshape(3, 1, 2, 3))
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        o = mx.nd.linalg.gemm2(a, b, alpha=2., axis=0)
    o.backward(mx.nd.ones_like(o))
    np.testing.assert_allclose(o.asnumpy(), [[[[60, 66, 72], [240, 264, 288]]], [[[276, 318, 360], [564, 624, 684]]]])
    np.testing.assert_allclose(a.grad.asnumpy(), [[[[6, 42, 78], [24, 60, 96]]]] * 2)
    np.testing.assert_allclose(b.grad.asnumpy(),
                               [[[[12] * 3, [24] * 3]], [[[16] * 3, [28] * 3]], [[[20] * 3, [32] * 3]]])
    c = mx.nd.ones((2, 1, 2, 3))
    g = mx.nd.linalg.gemm(a, b, c, alpha=2., beta=3., axis=0)
    np.testing.assert_allclose(g.asnumpy(), [[[[63, 69, 75], [243, 267, 291]]], [[[279, 321, 363], [567, 627, 687]]]])
    assert mx.nd.linalg.gemm2(a, b, alpha=2., axis=-4).shape == (2, 1, 2, 3)
    with pytest.raises(MXNetError, match="axis=3 is out of range"):
        mx.nd.linalg.gemm2(a, b, axis=3)


def test_potrf_potri_upper():
    A = f64([[4., 2.], [2., 3.]])
    U = mx.nd.linalg.potrf(A, lower=False)
    np.testing.assert_allclose(U.asnumpy(), [[2., 1.], [0., 1.4142135623730951]])
    np.testing.assert_allclose(mx.nd.linalg.potri(U, lower=False).asnumpy(), [[0.375, -0.25], [-0.25, 0.5]])
    np.testing.assert_allclose(mx.nd.linalg.potrf(A).asnumpy(), U.asnumpy().T)
    head = f64([[1., 2.], [3., 4.]])
    A.attach_grad()
    with mx.autograd.record():
        y = mx.nd.linalg.potrf(A, lower=False)
    y.backward(head)
    np.testing.assert_allclose(A.grad.asnumpy(), [[0.35355339059327373, -0.20710678118654746],
                                                  [-0.20710678118654746, 1.414213562373095]])
    U.attach_grad()
    with mx.autograd.record():
        y = mx.nd.linalg.potri(U, lower=False)
    y.backward(head)
    np.testing.assert_allclose(U.grad.asnumpy(), [[0.25, -1.0], [0.0, -1.2374368670764577]], atol=1e-12)


def test_gelqf_gradient_of_1x1():
    x = f64([[2.]])
    x.attach_grad()
    with mx.autograd.record():
        q, low = mx.nd.linalg.gelqf(x)
        z = q * 3 + low * 5
    z.backward()
    assert q.asnumpy().tolist() == [[1.]] and low.asnumpy().tolist() == [[2.]]
    np.testing.assert_allclose(x.grad.asnumpy(), [[5.]])


def test_softmax_output_probability_labels():
    d = mx.nd.array([[1., 2., 3.], [1., 1., 1.]])
    lab = mx.nd.array([[0.2, 0.3, 0.5], [1., 0., 0.]])
    d.attach_grad()
    with mx.autograd.record():
        o = mx.nd.SoftmaxOutput(d, lab, grad_scale=2.)
    o.backward()
    np.testing.assert_allclose(o.asnumpy(), [[0.09003057, 0.24472848, 0.66524094], [1 / 3.] * 3], rtol=1e-6)
    np.testing.assert_allclose(d.grad.asnumpy(), [[-0.21993886, -0.11054307, 0.33048189],
                                                  [-1.33333325, 0.66666669, 0.66666669]], rtol=1e-6)


def test_diag_offset_beyond_the_matrix():
    a = mx.nd.ones((3, 4))
    assert mx.nd.diag(a, k=4).shape == (0,)      # just past the edge: empty, as MXNet
    assert mx.nd.diag(a, k=-3).shape == (0,)
    with pytest.raises(MXNetError, match="diagonal k=5 does not exist"):
        mx.nd.diag(a, k=5)
    with pytest.raises(MXNetError, match="does not exist"):
        mx.nd.diag(mx.nd.ones((3, 4, 5)), k=7, axis1=1, axis2=2)


@pytest.mark.parametrize("op,shape", [("depth_to_space", (1, 4, 0, 3)), ("depth_to_space", (0, 4, 2, 2)),
                                      ("space_to_depth", (1, 0, 4, 4)), ("space_to_depth", (1, 1, 0, 4))])
def test_block_rearrange_rejects_empty_axes(op, shape):
    with pytest.raises(MXNetError, match="has length 0"):
        getattr(mx.nd, op)(mx.nd.array(np.zeros(shape, dtype=np.float32)), 2)


def test_pooling_longer_pad_and_same_convention():
    x = mx.nd.array(np.random.rand(1, 1, 10))
    assert mx.nd.Pooling(x, kernel=2, stride=2, pad=(0, 0, 0), pool_type='max',
                         pooling_convention='same').shape == (1, 1, 5)
    assert mx.nd.Pooling(x, kernel=2, stride=2, pad=(1, 1, 1), pool_type='max').shape == (1, 1, 6)
    assert mx.nd.Pooling(x, kernel=2, stride=(2, 2, 2), pool_type='max').shape == (1, 1, 5)
    with pytest.raises(MXNetError, match="'same' computes its own padding"):
        mx.nd.Pooling(x, kernel=2, stride=2, pad=2, pool_type='max', pooling_convention='same')


def test_roi_align_truncates_batch_index():
    x = mx.nd.array(np.arange(12).reshape(1, 1, 3, 4))
    r = mx.nd.array([[-5e-5, 0, 0, 2, 2]])
    out = mx.nd.contrib.ROIAlign(x, r, pooled_size=(1, 1), spatial_scale=1.0, sample_ratio=1)
    assert out.asnumpy().tolist() == [[[[5.]]]]
    with pytest.raises(MXNetError, match="batch index"):
        mx.nd.contrib.ROIAlign(x, mx.nd.array([[1, 0, 0, 2, 2]]), pooled_size=(1, 1), spatial_scale=1.0)


def test_multibox_prior_first_ratio_applies_to_every_size():
    y = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 2, 3)), sizes=[0.5, 0.25], ratios=[4, 2])
    assert y.shape == (1, 18, 4)
    np.testing.assert_allclose(y[0, :3].asnumpy(), [[-0.16666667, 0.125, 0.5, 0.375],
                                                    [0.0, 0.1875, 0.33333334, 0.3125],
                                                    [-0.06903559, 0.07322331, 0.40236893, 0.42677671]],
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("topk,rows,cols", [(-1, [1, -1, 2, 0], [3, 0, 2]), (0, [1, -1, 2, 0], [3, 0, 2]),
                                            (1, [1, -1, 2, -1], [-1, 0, 2]), (2, [1, -1, 2, 0], [3, 0, 2])])
def test_bipartite_matching_topk_as_mxnet(topk, rows, cols):
    s = mx.nd.array([[0.5, 0.6, 0.7], [0.1, 0.2, 0.8], [0.3, 0.4, 0.9], [0.35, 0.45, 0.55]])
    a, b = mx.nd.contrib.bipartite_matching(s, threshold=0.05, topk=topk)   # topk=k: k + 1 matches
    assert a.asnumpy().tolist() == rows and b.asnumpy().tolist() == cols


def test_bipartite_matching_score_equal_to_threshold_does_not_match():
    s = mx.nd.array([[0.5, 0.6, 0.7], [0.1, 0.2, 0.8], [0.3, 0.4, 0.9], [0.35, 0.45, 0.55]])
    a, b = mx.nd.contrib.bipartite_matching(s, threshold=0.5, is_ascend=True)
    assert a.asnumpy().tolist() == [-1, 0, 1, -1] and b.asnumpy().tolist() == [1, 2, -1]


@pytest.mark.parametrize("op,want", [("ROIAlign", [0., 21., 5., 0.]), ("ROIPooling", [0., 26., 10., 0.])])
def test_negative_roi_batch_index_is_a_padding_roi(op, want):
    x = mx.nd.array(np.arange(32.).reshape(2, 1, 4, 4))
    x.attach_grad()
    rois = mx.nd.array([[-1, 0, 0, 2, 2], [1, 0, 0, 2, 2], [-0.5, 0, 0, 2, 2], [-3, 0, 0, 1, 1]])
    fn = mx.nd.contrib.ROIAlign if op == "ROIAlign" else mx.nd.ROIPooling
    with mx.autograd.record():
        y = fn(x, rois, pooled_size=(1, 1), spatial_scale=1.0)
    y.backward()
    assert y.asnumpy().ravel().tolist() == want   # MXNet 1.9.1: zeros for negative (truncated) indices
    assert x.grad.asnumpy().sum(axis=(1, 2, 3)).tolist() == [1., 1.]


def test_multibox_prior_rejects_non_positive_ratios():
    with pytest.raises(MXNetError, match=r"ratios must be > 0.*ratios\[1\] = 0"):
        mx.nd.contrib.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), sizes=[0.5], ratios=[1, 0])
