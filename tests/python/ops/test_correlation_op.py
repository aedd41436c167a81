"""Correlation (core/ops/correlation.c), FlowNet's correlation layer. Expected
values are what MXNet 1.9.1 printed for the same inputs (numpy RandomState
seeds): the output shape, then per-(item, channel) sums plus one ramp-weighted
sum of the output and of both input gradients (output gradient from seed 99)."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op

CO = "Correlation"


def ramp(a):
    return np.linspace(-1, 1, a.size).reshape(a.shape)


def summary(a):
    return list(np.asarray(a, np.float64).sum(axis=(2, 3)).ravel()) + [float((a * ramp(a)).sum())]


def corr_inputs(seed, shape=(1, 2, 5, 6), ties=False):
    rs = np.random.RandomState(seed)
    a, b = rs.randn(*shape).astype("f"), rs.randn(*shape).astype("f")
    if ties:  # |a - b| at a == b: MXNet's derivative is +1 for data1, -1 for data2
        b[:, :, ::2] = a[:, :, ::2]
    return a, b


CC = [dict(kernel_size=1, max_displacement=1),
      dict(kernel_size=3, max_displacement=2, stride1=2, stride2=1, pad_size=2),
      dict(kernel_size=3, max_displacement=4, stride2=2, pad_size=4, is_multiply=False),
      dict(kernel_size=1, max_displacement=2, stride1=3, stride2=2, pad_size=1, is_multiply=False)]

# ---- MXNet 1.9.1's values: [output shape, output summary, data1 gradient summary, data2 gradient summary]
CORR0 = [[1, 9, 3, 4], [-2.175, 1.2271, -0.1697, -4.4161, 1.7638, -3.5635, -3.6448, -1.3776, -1.5169, -3.2049], [3.9451,
    1.3015, -1.672], [1.3048, -4.4694, -3.6131]]
CORR1 = [[1, 25, 2, 2], [-0.2673, 0.4189, -0.255, -0.2008, 0.214, 0.3066, -0.0402, 0.0598, -0.0618, 0.0476, -0.0318,
    -0.1109, 0.0377, -0.6961, 0.3705, 0.0493, -0.0872, -0.2824, -0.3168, 0.9042, 0.0264, -0.1196, -0.5086,
    0.5191, -0.1261, -0.0036], [-0.0796, 0.8731, 1.1641], [0.4869, -1.4787, -1.1884]]
CORR2 = [[1, 25, 3, 4], [9.0375, 9.0313, 9.2635, 9.1778, 9.1273, 9.4599, 9.933, 13.299, 12.6269, 9.1757, 10.0015,
    12.0213, 16.0314, 12.3961, 10.7202, 9.8802, 10.6261, 10.78, 11.6552, 10.5539, 9.0635, 9.6179, 9.5417,
    9.9241, 9.3893, 0.9528], [-1.8712, -0.2308, -0.6137], [1.4635, 2.712, 0.5111]]
CORR3 = [[1, 9, 1, 2], [2.294, 2.294, 2.294, 2.3629, 1.6961, 4.3426, 1.4072, 3.2453, 2.3188, 0.8957], [-0.9271, -1.2702,
    0.3388], [-1.167, -0.8239, 0.2558]]
CORR_SMALL = [0.0, 0.0, 0.0, 0.0, 0.76682, -0.14077, 0.0, -0.11519, -0.01256, 0.0, 0.0, 0.0, 0.92011, 0.26901, -1.42123,
    0.72305, -0.01842, -0.04582, 0.0, 0.0, 0.0, 0.32279, 2.71594, 0.0, 0.1156, -0.06718, 0.0, 0.0, 0.1643,
    0.14098, 0.0, 1.42128, -0.11891, 0.0, -0.0505, -0.15422, 0.72432, 0.05764, 1.42335, 1.7054, 0.22724,
    -0.43378, 0.31702, -0.22614, 0.02118, 0.2541, 0.58194, 0.0, 0.27266, 0.82894, 0.0, 1.41951, 0.03105, 0.0,
    0.0, 0.30453, 0.11909, 0.0, 0.62316, -1.46013, 0.0, 0.0, 0.0, 1.34251, 0.04869, 0.43443, 0.74773, 2.79028,
    0.2005, 0.0, 0.0, 0.0, 0.21464, 0.17762, 0.0, 3.34807, -0.38314, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("i", range(4))
def test_correlation_matches_mxnet(i):
    want = [CORR0, CORR1, CORR2, CORR3][i]
    a, b = corr_inputs(i, ties=(i == 3))
    y = run_op(CO, [a, b], CC[i])[0]
    assert list(y.shape) == want[0]
    np.testing.assert_allclose(summary(y), want[1], atol=2e-4)
    dy = np.random.RandomState(99).randn(*y.shape).astype("f")
    g1, g2 = autograd_grads(CO, [a, b], CC[i], [0, 1], dy, 0, True)
    np.testing.assert_allclose(summary(g1), want[2], atol=2e-4)
    np.testing.assert_allclose(summary(g2), want[3], atol=2e-4)


def test_correlation_small_values_match_mxnet():
    a, b = corr_inputs(0, (1, 1, 3, 3))
    y = run_op(CO, [a, b], dict(kernel_size=1, max_displacement=1, pad_size=1))[0]
    np.testing.assert_allclose(y.ravel(), CORR_SMALL, atol=1e-5)
    # displacement (dy, dx) = (0, 0) is channel 4: the product of the maps, over kernel^2 * channels = 1
    np.testing.assert_allclose(y[0, 4], a[0, 0] * b[0, 0], rtol=1e-6)


@pytest.mark.parametrize("mul", [True, False])
def test_correlation_gradients_finite_differences(mul):
    rs = np.random.RandomState(4)
    a, b = rs.randn(2, 3, 6, 5), rs.randn(2, 3, 6, 5)
    at = dict(kernel_size=3, max_displacement=2, stride1=1, stride2=2, pad_size=2, is_multiply=mul)
    check_grad(CO, [a, b], at, eps=1e-6, rtol=1e-5, atol=1e-7)


def test_correlation_bad_input_errors():
    a, b = corr_inputs(0)
    expect_error(CO, [a, b[:, :, :4]], {}, contains=(CO, "data2 must have data1's shape", "data2=(1,2,4,6)"))
    expect_error(CO, [a, b], dict(kernel_size=2), contains=("kernel_size must be odd",))
    expect_error(CO, [a, b], dict(max_displacement=3), contains=("do not fit", "padded 5 x 6"))
    expect_error(CO, [a, b], dict(stride2=0), contains=("stride2",))
    expect_error(CO, [a[0], b[0]], {}, contains=("data1 must be 4-d",))


# written by MXNet 1.9.1 (tojson() without spaces): Correlation(Convolution(a), Convolution(b)), FlowNet style
MXNET_JSON = (
    '{"nodes":[{"op":"null","name":"a","inputs":[]},{"op":"null","name":"ca_weight","attrs":{"kernel":"(3'
    ',3)","num_filter":"3","pad":"(1,1)"},"inputs":[]},{"op":"null","name":"ca_bias","attrs":{"kernel":"('
    '3,3)","num_filter":"3","pad":"(1,1)"},"inputs":[]},{"op":"Convolution","name":"ca","attrs":{"kernel"'
    ':"(3,3)","num_filter":"3","pad":"(1,1)"},"inputs":[[0,0,0],[1,0,0],[2,0,0]]},{"op":"null","name":"b"'
    ',"inputs":[]},{"op":"null","name":"cb_weight","attrs":{"kernel":"(3,3)","num_filter":"3","pad":"(1,1'
    ')"},"inputs":[]},{"op":"null","name":"cb_bias","attrs":{"kernel":"(3,3)","num_filter":"3","pad":"(1,'
    '1)"},"inputs":[]},{"op":"Convolution","name":"cb","attrs":{"kernel":"(3,3)","num_filter":"3","pad":"'
    '(1,1)"},"inputs":[[4,0,0],[5,0,0],[6,0,0]]},{"op":"Correlation","name":"corr","attrs":{"kernel_size"'
    ':"1","max_displacement":"2","pad_size":"2","stride2":"2"},"inputs":[[3,0,0],[7,0,0]]}],"arg_nodes":['
    '0,1,2,4,5,6],"node_row_ptr":[0,1,2,3,4,5,6,7,8,11],"heads":[[8,0,0]],"attrs":{"mxnet_version":["int"'
    ',10901]}}')
# MXNet 1.9.1's output for a, b (1, 2, 6, 6) and the arguments from RandomState(12): sum, ramp sum, y[0, :, 1, 2]
MXNET_OUT = [-119.1945, 37.2932, 0.0, 0.0, 0.0, -7.9682, 4.1748, 9.1251, -14.5849, 12.0715, 6.657]


def test_mxnet_json_with_correlation_loads_and_runs():
    import mxcore as mx
    s = mx.sym.load_json(MXNET_JSON)
    args, outs, _ = s.infer_shape(a=(1, 2, 6, 6), b=(1, 2, 6, 6))
    assert outs == [(1, 9, 6, 6)] and s.list_outputs() == ["corr_output"]
    rs = np.random.RandomState(12)
    vals = {n: mx.nd.array(rs.randn(*sh).astype("f")) for n, sh in zip(s.list_arguments(), args)}
    y = s.eval(ctx=mx.cpu(), **vals)[0].asnumpy()
    np.testing.assert_allclose([y.sum(), (y * ramp(y)).sum()] + list(y[0, :, 1, 2]), MXNET_OUT, atol=2e-3)
    assert '"Correlation"' in s.tojson()
