"""Deformable convolutions (core/ops/deformable_conv.c):
_contrib_DeformableConvolution (DCN v1) and _contrib_ModulatedDeformableConvolution
(DCN v2). Expected values are what MXNet 1.9.1 printed for the same inputs
(rebuilt here from numpy RandomState seeds; small arrays in full, bigger ones
as per-(item, channel) sums plus one ramp-weighted sum). MXNet 1.9.1 has no CPU
backward for the modulated op: its gradients are checked against finite
differences, as are v1's."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op

DC, MDC = "_contrib_DeformableConvolution", "_contrib_ModulatedDeformableConvolution"


def ramp(a):
    return np.linspace(-1, 1, a.size).reshape(a.shape)


def summary(a):
    return list(np.asarray(a, np.float64).sum(axis=(2, 3)).ravel()) + [float((a * ramp(a)).sum())]


def dcn_inputs(seed, N, C, H, W, F, k, OH, OW, G=1, DG=1, scale=1.5):
    rs = np.random.RandomState(seed)
    x = rs.randn(N, C, H, W).astype("f")
    off = (rs.randn(N, DG * 2 * k[0] * k[1], OH, OW) * scale).astype("f")
    mask = rs.rand(N, DG * k[0] * k[1], OH, OW).astype("f")
    w = rs.randn(F, C // G, *k).astype("f")
    b = rs.randn(F).astype("f")
    return x, off, mask, w, b


# A: 2x2 kernel, bias; B: stride (2, 1), pad 1, dilate (1, 2), 2 groups, 2 deformable groups, no bias
CA = dict(kernel=(2, 2), num_filter=2)
CB = dict(kernel=(3, 3), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=4, num_group=2,
          num_deformable_group=2, no_bias=True)
IN_A = dcn_inputs(0, 1, 2, 4, 5, 2, (2, 2), 3, 4)
IN_B = dcn_inputs(1, 2, 4, 5, 4, 4, (3, 3), 3, 2, G=2, DG=2)

# ---- MXNet 1.9.1's values (A_GRADS: data, offset, weight, bias in full; B_GRADS: data, offset, weight summaries)
A_Y = [-1.29286, -3.07621, -2.01324, 0.50814, -2.9675, -0.12878, -3.68591, -0.40976, -1.40209, -0.15781, -2.67709,
    -1.24416, 0.26705, 1.84966, 1.86418, -1.05595, 3.96595, -2.9515, 1.25057, 0.45309, 0.46369, -4.39833,
    2.57486, -1.65704]
A_YM = [-0.10292, -1.31449, -1.26362, -1.09594, -1.56478, -1.24498, -2.82052, -1.24693, -1.48123, -1.15117, -1.66036,
    -1.72602, -3.80476, 0.1964, 0.94718, -0.07718, 0.799, -1.17106, 0.69593, -0.17444, 0.34334, -0.77721,
    0.45332, -0.60407]
A_GRADS = [[-0.25844, 0.31895, -0.03237, -0.08127, -0.60089, 0.38941, 0.5932, 0.24069, 1.0214, 3.54997, 0.69195,
    0.30741, -0.10781, 0.50574, 1.4268, -0.2012, -0.92308, -1.92496, 0.69989, -3.22721, -0.70999, 0.42862, 0.20769,
    0.00391, -0.03938, -0.01603, 0.74399, 2.33051, -0.01275, -0.04856, 0.26394, 0.23999, 0.42093, -0.68435, 0.11674,
    -0.03596, -0.81448, -3.18324, 0.73016, 1.81584], [0.0, 0.0, 0.0, 0.93223, 0.14543, -0.63827, 0.0, -1.37612, 0.0,
    2.71498, -0.3632, -0.11222, 0.0, 0.0, 0.0, 0.67272, -2.29657, 0.04054, 0.0, 1.76101, 0.0, 3.93497, 2.70733,
    -0.79486, 0.0, 0.0, 0.0, -5.92784, 0.0, 0.28765, -1.39029, -0.60951, 0.0, 3.22152, -2.32411, -1.49973, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.6178, 0.27855, 0.74846, -1.81206, 0.0, 0.0, 0.43297, 0.0, 0.0, -0.13952, 2.5782, 0.0, 0.0,
    0.45177, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.75677, 0.0, 0.0, 0.39714, 1.0703, 0.51968, -1.11376, 0.0, 0.0, 0.0,
    0.0, -0.0, 0.97839, 0.0, 0.0, 2.41713, -3.66962, 0.0, 0.0, -1.98813, 0.0, 0.0, 0.0, 3.71167, -0.3264, 0.0,
    -3.18115, -0.11721, -0.23054, 0.0, 0.0, 2.44775, 2.50428, 0.0], [-1.1001, -2.03042, -0.31471, -0.44619, -0.60722,
    -2.54611, 0.39496, 3.77803, 0.85588, -0.58306, 1.73709, -0.48199, -2.07488, -2.09197, 0.98945, 0.49774], [2.92255,
    -1.80587]]
B_Y = [3.9595, -0.5862, -0.4307, 6.3901, -3.5983, 3.0085, 1.7537, 4.2991, -0.8563]
B_YM = [1.4248, 0.7083, 2.0954, 0.3155, -1.9656, 0.5085, 0.4398, 1.4303, -2.1038]
B_GRADS = [[-8.7439, 2.4472, -0.3881, 1.2869, 5.1213, 3.0704, -1.1568, -3.5472, 5.5656], [-0.9086, 1.3033, -3.7727,
    -0.8533, 0.9223, -1.689, -5.1831, 5.7699, -3.2644, -0.6495, -7.1807, 1.3956, -0.5357, -3.3344, -1.9844,
    2.519, 3.8073, 0.0, 0.2213, -0.2128, -0.7047, 0.3458, -0.238, -0.084, -0.884, 0.6813, -1.6271, -2.6769,
    0.9636, -0.5966, 0.0, 0.4415, 0.5502, -0.0176, -2.0072, 0.0, 0.0, 0.0, -0.811, 0.3433, -1.8866, 0.1958, 0.0,
    0.0, 0.9636, -3.5834, 6.8153, -3.1139, 0.1221, 0.6973, 0.787, 7.1975, 0.3026, 0.7936, -2.9218, 0.9341,
    0.7189, -0.7406, -1.2443, -3.2521, -0.8772, -1.5592, 1.9591, -1.7486, -0.1379, -0.3987, 4.621, 2.0053,
    -0.4659, -5.3123, 14.2277, 2.6021, 27.6662], [-11.5274, -2.4154, 4.0338, -3.8898, -6.7712, -2.5792, -2.4176,
    -4.2233, 2.3432]]
EDGE_Y = [0.0, 1.0, 7.5, 9.0, 8.25, 7.5, 0.0, 0.0, 0.0]
EDGE_DX = [1.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.25, 1.75]
EDGE_DOFF = [0.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
EDGE_YM = [1.0, 1.0, 7.5, 9.0, 4.125, 0.0075, 0.0025, 0.0, 1.1875]


def dcn_args(ins, at, modulated=False):
    x, off, mask, w, b = ins
    return [x, off] + ([mask] if modulated else []) + [w] + ([] if at.get("no_bias") else [b])


def test_deformable_conv_forward_and_gradients_match_mxnet_small():
    args = dcn_args(IN_A, CA)
    y = run_op(DC, args, CA)[0]
    assert y.shape == (1, 2, 3, 4)
    np.testing.assert_allclose(y.ravel(), A_Y, atol=2e-5)
    dy = np.random.RandomState(99).randn(*y.shape).astype("f")
    grads = autograd_grads(DC, args, CA, [0, 1, 2, 3], dy, 0, True)
    for g, want in zip(grads, A_GRADS):
        np.testing.assert_allclose(g.ravel(), want, atol=5e-5)


def test_deformable_conv_groups_stride_dilate_match_mxnet():
    args = dcn_args(IN_B, CB)
    y = run_op(DC, args, CB)[0]
    assert y.shape == (2, 4, 3, 2)
    np.testing.assert_allclose(summary(y), B_Y, atol=2e-4)
    dy = np.random.RandomState(99).randn(*y.shape).astype("f")
    gx, goff, gw = autograd_grads(DC, args, CB, [0, 1, 2], dy, 0, True)
    np.testing.assert_allclose(summary(gx), B_GRADS[0], atol=2e-4)
    np.testing.assert_allclose(summary(goff), B_GRADS[1], atol=2e-4)
    np.testing.assert_allclose(summary(gw), B_GRADS[2], atol=2e-4)


def test_modulated_deformable_conv_forward_matches_mxnet():
    np.testing.assert_allclose(run_op(MDC, dcn_args(IN_A, CA, True), CA)[0].ravel(), A_YM, atol=2e-5)
    np.testing.assert_allclose(summary(run_op(MDC, dcn_args(IN_B, CB, True), CB)[0]), B_YM, atol=2e-4)


# Sampling rules at the edges: a 1x1 kernel on a 3x3 map of 1..9, output position i sampling EDGE_PTS[i].
# v1 samples [0, 3) x [0, 3) and holds the last row/column; v2 samples (-1, 3) x (-1, 3), outside corners 0.
EDGE_PTS = [(-0.5, 1.0), (0.0, 0.0), (1.5, 2.0), (2.0, 2.0), (2.5, 1.25), (2.999, 0.5), (-0.999, 1.5), (3.0, 0.0),
            (1.25, -0.75)]


def edge_inputs():
    x = np.arange(9, dtype="f").reshape(1, 1, 3, 3) + 1
    off = np.zeros((1, 2, 3, 3), "f")
    for i, (ph, pw) in enumerate(EDGE_PTS):
        off[0, 0].flat[i], off[0, 1].flat[i] = ph - i // 3, pw - i % 3
    return x, off, np.ones((1, 1, 3, 3), "f"), np.ones((1, 1, 1, 1), "f")


def test_deformable_conv_edge_rules_match_mxnet():
    x, off, mask, w = edge_inputs()
    at = dict(kernel=(1, 1), num_filter=1, no_bias=True)
    np.testing.assert_allclose(run_op(DC, [x, off, w], at)[0].ravel(), EDGE_Y, atol=1e-5)
    np.testing.assert_allclose(run_op(MDC, [x, off, mask, w], at)[0].ravel(), EDGE_YM, atol=1e-5)
    gx, goff = autograd_grads(DC, [x, off, w], at, [0, 1], np.ones((1, 1, 3, 3), "f"), 0, True)
    np.testing.assert_allclose(gx.ravel(), EDGE_DX, atol=1e-5)
    np.testing.assert_allclose(goff.ravel(), EDGE_DOFF, atol=1e-5)


def smooth_inputs(seed, k, OH, OW, N=1, C=4, H=5, W=5, F=2, G=1, DG=1):
    """float64 inputs whose sampling points stay 0.1 away from whole pixels (where bilinear sampling has kinks
    and v1's border a jump), so central differences are exact up to rounding."""
    x, off, mask, w, b = [a.astype(np.float64) for a in dcn_inputs(seed, N, C, H, W, F, k, OH, OW, G, DG)]
    off = np.round(off) + np.random.RandomState(seed + 1).uniform(0.1, 0.9, off.shape)
    return x, off, mask, w, b


@pytest.mark.parametrize("op", [DC, MDC])
def test_deformable_conv_gradients_finite_differences(op):
    at = dict(kernel=(3, 3), pad=(1, 1), stride=(1, 2), num_filter=4, num_group=2, num_deformable_group=2)
    ins = smooth_inputs(5, (3, 3), 5, 3, C=4, F=4, G=2, DG=2)
    check_grad(op, dcn_args(ins, at, op == MDC), at, eps=1e-6, rtol=1e-4, atol=1e-6)


def test_deformable_conv_batch_and_float64_agree_with_float32():
    ins = dcn_inputs(7, 3, 2, 6, 6, 3, (3, 3), 6, 6)
    at = dict(kernel=(3, 3), pad=(1, 1), num_filter=3)
    y32 = run_op(DC, dcn_args(ins, at), at)[0]
    y64 = run_op(DC, [a.astype(np.float64) for a in dcn_args(ins, at)], at)[0]
    assert y64.dtype == np.float64
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4)
    # each item on its own gives the same rows
    x, off, w, b = dcn_args(ins, at)
    one = run_op(DC, [x[1:2], off[1:2], w, b], at)[0]
    np.testing.assert_allclose(one[0], y32[1], rtol=1e-6, atol=1e-6)


def test_zero_offsets_are_a_plain_convolution():
    rs = np.random.RandomState(3)
    x, w, b = rs.randn(2, 3, 6, 5).astype("f"), rs.randn(4, 3, 3, 3).astype("f"), rs.randn(4).astype("f")
    at = dict(kernel=(3, 3), pad=(1, 1), stride=(2, 1), num_filter=4)
    want = run_op("Convolution", [x, w, b], at)[0]
    off = np.zeros((2, 18, 3, 5), "f")
    np.testing.assert_allclose(run_op(DC, [x, off, w, b], at)[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(run_op(MDC, [x, off, np.ones((2, 9, 3, 5), "f"), w, b], at)[0], want, rtol=1e-5,
                               atol=1e-5)


def test_deformable_conv_bad_input_errors():
    x, off, mask, w, b = dcn_inputs(0, 1, 2, 4, 5, 2, (2, 2), 3, 4)
    expect_error(DC, [x, off[:, :6], w, b], CA, contains=(DC, "offset has shape (1,6,3,4), expected (1,8,3,4)"))
    expect_error(MDC, [x, off, mask[:, :3], w, b], CA, contains=(MDC, "mask has shape", "expected (1,4,3,4)"))
    expect_error(DC, [x, off, w[:, :1], b], CA, contains=("weight has shape", "expected (2,2,2,2)"))
    expect_error(DC, [x, off, w, b[:1]], CA, contains=("bias", "expected (2,)"))
    expect_error(DC, [x, off, w, b], dict(CA, kernel=(2, 2, 2)), contains=("only 2-D",))
    expect_error(DC, [x[0], off, w, b], CA, contains=("data must be 4-d",))
    expect_error(DC, [x, off, w, b], dict(CA, num_deformable_group=3), contains=("num_deformable_group 3",))
    # MXNet also requires num_filter to be a multiple of num_deformable_group
    x4, off4, _, w4, b4 = dcn_inputs(0, 1, 2, 4, 5, 3, (2, 2), 3, 4, DG=2)
    expect_error(DC, [x4, off4, w4, b4], dict(CA, num_filter=3, num_deformable_group=2),
                 contains=("num_deformable_group 2 must divide the 2 input channels and num_filter 3",))
    expect_error(DC, [x, off, w, b], dict(CA, pad=(1, 1, 1)), contains=("pad must have 2 entries",))
    expect_error(DC, [x, off, w, b], dict(CA, kernel=(5, 5)), contains=("exceeds padded input size",))
    expect_error(DC, [x, off, w, b], dict(CA, layout="NHWC"), contains=("layout",))


# written by MXNet 1.9.1: a net with both ops (offsets and mask from convolutions), tojson() without spaces:
#   off = Convolution(data, 18, 3x3, pad 1); dcn = contrib.DeformableConvolution(data, off, 4, 3x3, pad 1)
#   om = Convolution(dcn, 27, 3x3, pad 1); mdcn = contrib.ModulatedDeformableConvolution(dcn, om[:, :18],
#   sigmoid(om[:, 18:]), 2, 3x3, pad 1, no_bias)
MXNET_JSON = (
    '{"nodes":[{"op":"null","name":"data","inputs":[]},{"op":"null","name":"off_weight","attrs":{"kernel"'
    ':"(3,3)","num_filter":"18","pad":"(1,1)"},"inputs":[]},{"op":"null","name":"off_bias","attrs":{"kern'
    'el":"(3,3)","num_filter":"18","pad":"(1,1)"},"inputs":[]},{"op":"Convolution","name":"off","attrs":{'
    '"kernel":"(3,3)","num_filter":"18","pad":"(1,1)"},"inputs":[[0,0,0],[1,0,0],[2,0,0]]},{"op":"null","'
    'name":"dcn_weight","attrs":{"kernel":"(3,3)","num_deformable_group":"1","num_filter":"4","pad":"(1,1'
    ')"},"inputs":[]},{"op":"null","name":"dcn_bias","attrs":{"kernel":"(3,3)","num_deformable_group":"1"'
    ',"num_filter":"4","pad":"(1,1)"},"inputs":[]},{"op":"_contrib_DeformableConvolution","name":"dcn","a'
    'ttrs":{"kernel":"(3,3)","num_deformable_group":"1","num_filter":"4","pad":"(1,1)"},"inputs":[[0,0,0]'
    ',[3,0,0],[4,0,0],[5,0,0]]},{"op":"null","name":"om_weight","attrs":{"kernel":"(3,3)","num_filter":"2'
    '7","pad":"(1,1)"},"inputs":[]},{"op":"null","name":"om_bias","attrs":{"kernel":"(3,3)","num_filter":'
    '"27","pad":"(1,1)"},"inputs":[]},{"op":"Convolution","name":"om","attrs":{"kernel":"(3,3)","num_filt'
    'er":"27","pad":"(1,1)"},"inputs":[[6,0,0],[7,0,0],[8,0,0]]},{"op":"slice_axis","name":"slice_axis0",'
    '"attrs":{"axis":"1","begin":"0","end":"18"},"inputs":[[9,0,0]]},{"op":"slice_axis","name":"slice_axi'
    's1","attrs":{"axis":"1","begin":"18","end":"27"},"inputs":[[9,0,0]]},{"op":"sigmoid","name":"sigmoid'
    '0","inputs":[[11,0,0]]},{"op":"null","name":"mdcn_weight","attrs":{"kernel":"(3,3)","no_bias":"True"'
    ',"num_filter":"2","pad":"(1,1)"},"inputs":[]},{"op":"_contrib_ModulatedDeformableConvolution","name"'
    ':"mdcn","attrs":{"kernel":"(3,3)","no_bias":"True","num_filter":"2","pad":"(1,1)"},"inputs":[[6,0,0]'
    ',[10,0,0],[12,0,0],[13,0,0]]}],"arg_nodes":[0,1,2,4,5,7,8,13],"node_row_ptr":[0,1,2,3,4,5,6,7,8,9,10'
    ',11,12,13,14,15],"heads":[[14,0,0]],"attrs":{"mxnet_version":["int",10901]}}')
MXNET_ARGS = [('data', (1, 2, 5, 5)), ('off_weight', (18, 2, 3, 3)), ('off_bias', (18,)), ('dcn_weight', (4, 2, 3, 3)),
    ('dcn_bias', (4,)), ('om_weight', (27, 4, 3, 3)), ('om_bias', (27,)), ('mdcn_weight', (2, 4, 3, 3))]
# MXNet 1.9.1's output for data (1, 2, 5, 5) and every argument from RandomState(11) (offset convs * 0.3)
MXNET_OUT = [1.2006, 0.0507, 0.0358, 0.0089, 0.3347, -2.3979, 0.0013, -1.8958, -7.2057, -2.6297, -5.7143, -0.7494,
    0.1713, 0.0149, 0.0097, 0.6956, -0.8615, -1.1697, 0.0, -0.1301, 2.4282, 4.6639, 1.3137, -1.1743, -0.3664, -2.0411,
    0.2545, 0.3287, -0.0152, -1.0944, 1.1245, -0.0044, -3.3965, 4.2193, 0.8385, -1.593, 0.18, 0.2395, 0.0372, -0.0169,
    -3.0143, 1.943, 1.185, 0.0, 0.1929, -2.3396, -1.5672, -6.0696, 1.8249, -12.4006]


def test_mxnet_json_with_deformable_convolutions_loads_infers_and_runs():
    import mxcore as mx
    s = mx.sym.load_json(MXNET_JSON)
    args, outs, _ = s.infer_shape(data=(1, 2, 5, 5))  # weights and biases from param_shape
    assert list(zip(s.list_arguments(), args)) == [(n, tuple(sh)) for n, sh in MXNET_ARGS]
    assert outs == [(1, 2, 5, 5)]
    rs = np.random.RandomState(11)
    vals = {n: (rs.randn(*sh) * (0.3 if n.startswith("o") else 1)).astype("f") for n, sh in MXNET_ARGS}
    y = s.eval(ctx=mx.cpu(), **{k: mx.nd.array(v) for k, v in vals.items()})[0].asnumpy()
    np.testing.assert_allclose(y.ravel(), MXNET_OUT, atol=2e-4)
    ex = s.simple_bind(mx.cpu(), data=(1, 2, 5, 5))
    assert ex.arg_dict["mdcn_weight"].shape == (2, 4, 3, 3) and "mdcn_bias" not in ex.arg_dict
    for k, v in vals.items():
        ex.arg_dict[k][:] = v
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy().ravel(), MXNET_OUT, atol=2e-4)
    ex.backward(mx.nd.ones((1, 2, 5, 5)))  # through both ops into every parameter
    assert all(np.isfinite(g.asnumpy()).all() for g in ex.grad_dict.values())
    assert ex.grad_dict["off_weight"].asnumpy().any() and ex.grad_dict["dcn_weight"].asnumpy().any()
    j = s.tojson()
    assert '"_contrib_DeformableConvolution"' in j and '"_contrib_ModulatedDeformableConvolution"' in j


def test_nd_and_sym_contrib_namespaces():
    import mxcore as mx
    x, off, mask, w, b = [mx.nd.array(a) for a in IN_A]
    y = mx.nd.contrib.DeformableConvolution(x, off, w, b, kernel=(2, 2), num_filter=2)
    np.testing.assert_allclose(y.asnumpy().ravel(), A_Y, atol=2e-5)
    y = mx.nd.contrib.ModulatedDeformableConvolution(data=x, offset=off, mask=mask, weight=w, bias=b, kernel=(2, 2),
                                                     num_filter=2)
    np.testing.assert_allclose(y.asnumpy().ravel(), A_YM, atol=2e-5)
    s = mx.sym.contrib.DeformableConvolution(mx.sym.var("d"), mx.sym.var("o"), kernel=(3, 3), num_filter=5,
                                              name="dc")
    assert s.list_arguments() == ["d", "o", "dc_weight", "dc_bias"]
    args, outs, _ = s.infer_shape(d=(2, 3, 7, 7), o=(2, 18, 5, 5))
    assert outs == [(2, 5, 5, 5)] and args[2:] == [(5, 3, 3, 3), (5,)]
