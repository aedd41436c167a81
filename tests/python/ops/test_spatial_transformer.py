"""GridGenerator, BilinearSampler and SpatialTransformer: values and gradient
sums MXNet 1.9.1 printed for the same inputs, and finite differences."""
import numpy as np
from harness import autograd_grads, check_grad, expect_error, run_op

rs = np.random.RandomState(5)
THETA = np.array([[0.9, 0.1, 0.05, -0.2, 1.1, -0.1], [1.2, 0, 0.3, 0.1, 0.8, 0.2]], "f")
FLOW = (rs.rand(1, 2, 3, 4) - 0.5).astype("f")
DATA = rs.rand(2, 2, 5, 6).astype("f")
AFF = {"transform_type": "affine", "target_shape": (3, 4)}


def _head(shape):
    return (np.arange(np.prod(shape)).reshape(shape) / np.prod(shape)).astype("f")


def test_grid_generator_matches_mxnet():
    g = run_op("GridGenerator", [THETA], AFF)[0]
    assert g.shape == (2, 2, 3, 4)
    np.testing.assert_allclose(g.ravel()[:12], [-0.95, -0.35, 0.25, 0.85, -0.85, -0.25, 0.35, 0.95, -0.75, -0.15,
                                                0.45, 1.05], atol=1e-6)
    w = run_op("GridGenerator", [FLOW], {"transform_type": "warp"})[0]
    np.testing.assert_allclose(w.ravel()[:4], [-1.18534, -0.08618, 0.13781, 1.27907], atol=1e-5)
    gt = autograd_grads("GridGenerator", [THETA], AFF, [0], _head((2, 2, 3, 4)))[0]
    np.testing.assert_allclose(gt, [[0.20833, 0.66667, 1.375, 0.20833, 0.66667, 4.375],
                                    [0.20833, 0.66667, 7.375, 0.20833, 0.66667, 10.375]], atol=1e-5)
    gw = autograd_grads("GridGenerator", [FLOW], {"transform_type": "warp"}, [0], _head(FLOW.shape))[0]
    np.testing.assert_allclose(gw.ravel()[:6], [0, 0.02778, 0.05556, 0.08333, 0.11111, 0.13889], atol=1e-5)


def test_bilinear_sampler_and_spatial_transformer_match_mxnet():
    grid = run_op("GridGenerator", [THETA], AFF)[0]
    s = run_op("BilinearSampler", [DATA, grid])[0]
    np.testing.assert_allclose(s.ravel()[:8], [0.30464, 0.11555, 0.44962, 0.09557, 0.33348, 0.62517, 0.64072, 0.59882],
                               atol=1e-5)
    np.testing.assert_allclose(s.ravel()[-6:], [0.20802, 0, 0.27641, 0.76652, 0.626, 0], atol=1e-5)  # zero outside
    st = run_op("SpatialTransformer", [DATA, THETA], {"target_shape": (3, 4), "transform_type": "affine",
                                                       "sampler_type": "bilinear"})[0]
    np.testing.assert_allclose(st, s, atol=1e-6)
    dd, dg = autograd_grads("BilinearSampler", [DATA, grid], {}, [0, 1], _head(s.shape))
    assert abs(float(dd.sum()) - 17.803125) < 1e-4
    assert abs(float((dd * np.arange(dd.size).reshape(dd.shape)).sum()) - 1421.7489) < 2e-2
    np.testing.assert_allclose(dg.ravel()[:8], [0.0874, 0.3552, 0.0627, -0.0633, -0.1494, 0.4678, -0.7232, -0.1788],
                               atol=1e-4)


def test_gradients_against_finite_differences():
    grid = run_op("GridGenerator", [THETA], AFF)[0].astype(np.float64) * 0.9 + 0.013  # away from pixel edges
    check_grad("BilinearSampler", [DATA.astype(np.float64), grid], {}, rtol=1e-5, atol=1e-7)
    check_grad("SpatialTransformer", [DATA.astype(np.float64), THETA.astype(np.float64) * 0.9],
               {"target_shape": (3, 4), "transform_type": "affine", "sampler_type": "bilinear"}, rtol=1e-5, atol=1e-7)
    expect_error("BilinearSampler", [DATA, np.zeros((2, 3, 3, 4), "f")], {}, contains=("BilinearSampler", "grid"))
