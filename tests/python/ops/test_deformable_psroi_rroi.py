"""_contrib_DeformablePSROIPooling (core/ops/deformable_psroi.c) and
_contrib_RROIAlign (core/ops/rroi_align.c). Expected values are what MXNet
1.9.1 printed for the same inputs (numpy RandomState seeds): outputs in full,
the data gradient as per-(item, channel) sums plus one ramp-weighted sum,
the trans gradient in full (output gradient from seed 99)."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op

DPS, RRA = "_contrib_DeformablePSROIPooling", "_contrib_RROIAlign"


def ramp(a):
    return np.linspace(-1, 1, a.size).reshape(a.shape)


def summary(a):
    return list(np.asarray(a, np.float64).sum(axis=(2, 3)).ravel()) + [float((a * ramp(a)).sum())]


def dps_inputs(seed, C, R=3, part=3, ncls=1, H=9, W=10):
    rs = np.random.RandomState(seed)
    x = rs.randn(2, C, H, W).astype("f")
    b = rs.randint(0, 2, R)
    x1 = rs.uniform(-4, 16, R)
    y1 = rs.uniform(-4, 14, R)
    rois = np.stack([b, x1, y1, x1 + rs.uniform(0, 14, R), y1 + rs.uniform(0, 14, R)], 1).astype("f")
    tr = rs.randn(R, 2 * ncls, part, part).astype("f")
    return x, rois, tr


# (attrs, data channels, part size, classes of trans)
DPS_CASES = [
    (dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=3, sample_per_part=2, trans_std=0.1), 9, 3, 1),
    (dict(spatial_scale=0.5, output_dim=4, group_size=3, pooled_size=3, part_size=2, sample_per_part=3,
          trans_std=0.2), 37, 2, 2),
    (dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2, sample_per_part=2, no_trans=True), 8, 2, 1)]

# ---- MXNet 1.9.1's values: [output shape, output, data gradient summary(, trans gradient)]
DPS0 = [[3, 2, 3, 3], [0.0, 0.0, 0.0, -0.3648, -0.3132, 0.0, -0.3495, -0.369, -0.1853, 0.0, 0.0, 0.0, -0.5263, -0.5881,
    0.0, 0.6044, 0.8004, 0.7467, 0.5735, -0.7402, -0.1538, 0.4141, 0.0431, -0.0133, -0.1768, 0.0539, -0.5003,
    0.8769, 0.2828, 0.6968, 0.9726, -0.024, -0.0978, -0.2653, 0.8351, -0.6844, 0.3647, 0.0371, -0.1655, 0.5326,
    0.8015, -1.101, 0.4139, -0.4545, -0.8123, -0.3329, 0.0734, 0.1917, -0.8451, -0.3212, 0.5864, 0.0545,
    -0.6162, -0.28], [0.6134, -2.6685, 0.6419, -1.1919, -0.1517, -0.7788, 0.2613, 0.7322, 0.0, 0.6705, -0.9191,
    0.7454, -0.9295, 0.0348, 3.1333, 0.3223, -0.1467, 0.0, 3.8028], [0.0, 0.0, 0.0, 0.0824, -0.0423, 0.0,
    -0.1852, -0.1067, -0.0573, 0.0, 0.0, 0.0, 0.6579, -0.1004, 0.0, -0.7263, -0.469, 0.0446, 0.1464, 0.1439,
    0.5738, 0.2997, -0.0627, -0.2065, 0.0928, 0.5305, 0.1133, 0.085, 0.244, 0.0, 0.1326, 0.3154, -0.4659,
    -0.1923, 0.097, -0.1784, -0.0904, 0.0228, -0.0146, -0.0589, -0.2607, -0.0652, -0.073, 0.0218, 0.0005,
    -0.9097, 0.024, 0.3173, -0.1111, -0.2608, 0.0368, -0.5499, -0.8109, 0.2347]]
DPS1 = [[3, 4, 3, 3], [-0.8216, -0.2336, 0.6534, 0.489, -0.1576, -0.0969, 0.1624, -0.3602, 0.0502, 0.6807, 0.022,
    -0.4195, 0.467, 0.1543, -0.4302, 0.1567, -0.1195, 0.2015, 0.0, 0.0777, 0.2678, 0.0, -0.2638, -0.3273, 0.0,
    0.7685, 0.1852, 0.0, -0.0018, 0.5912, 0.0, -0.3011, -0.3778, 0.0, -0.9826, -0.0355, -0.2049, -0.5008, 0.0,
    -0.2621, -0.0852, 0.0, -0.1576, -1.6313, 0.0, 0.0837, -0.4537, 0.0, 0.0785, -0.8331, 0.0, 0.2386, 0.0865,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.356, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9002, 0.0, 0.0, -0.2363,
    -0.2159, 0.6419, 0.4784, 0.8161, -0.7154, 0.7693, -0.6326, -0.0788, -0.0046, -0.8079, 0.3101, -1.4978,
    -0.3543, -0.3963, -0.477, -0.339, -0.2863, 0.8029, 1.6, -1.4637, 0.3576, 0.767, 0.6182, 0.4755, -0.9086,
    -0.0199, -0.5008, 0.9477, 0.0017, 0.0697, -0.6613, -0.1639, 0.1169, 0.4069, 0.1588], [-3.935, 2.4526,
    1.0576, 3.4697, 2.2509, 0.5869, 0.8402, -0.1129, -1.2463, -2.0942, 0.4136, 0.7176, -1.5039, -1.5201, -0.297,
    -1.7779, 2.1994, 0.2567, 0.8121, 0.8233, -1.0267, -0.3617, -0.4237, 0.7464, 1.177, -0.3683, -0.5216, 1.4854,
    -0.9656, 1.7471, -0.7879, 1.6465, 3.6132, 1.0336, 2.0243, 1.2739, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.959], [1.7525, 0.8901, -2.1975, 0.0755, 1.508, -0.2223,
    1.9532, -0.3618, 0.0608, 0.9592, 0.0, 0.7573, 0.7942, 1.0176, -0.2103, -0.4994, 1.2017, 0.0, 2.2479, 0.0,
    5.5071, 0.0, 1.0179, 0.0, 0.0, 0.0, 0.0925, 0.0, 0.0, 0.0, -0.3551, 0.0, -1.9623, -0.128, -0.0522, -0.0418,
    0.4247, 0.0315, 0.3099, -0.244, -0.5764, 0.5236, -1.1797, 0.5282, -0.0116, 0.317, -0.0941, -0.0053]]
DPS2 = [[3, 2, 2, 2], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3395, 0.5042, 0.0231, 0.2265, -0.8018, 0.0153, 0.1674,
    -0.1134, -0.7781, -0.5903, 0.7617, 0.5618, -0.5982, 0.0342, -1.254, -1.0252], [-0.1131, -2.3678, -0.167,
    0.6854, 0.0235, 0.4562, 0.2705, -1.435, 0.8828, -0.5801, -0.5016, 0.591, -0.7316, 0.2618, -0.8558, -0.1875,
    0.5983]]


@pytest.mark.parametrize("i", range(3))
def test_deformable_psroi_pooling_matches_mxnet(i):
    at, C, part, ncls = DPS_CASES[i]
    want = [DPS0, DPS1, DPS2][i]
    x, rois, tr = dps_inputs(40 + i, C, part=part, ncls=ncls)
    ins = [x, rois] + ([] if at.get("no_trans") else [tr])
    y = run_op(DPS, ins, at)[0]
    assert list(y.shape) == want[0]
    np.testing.assert_allclose(y.ravel(), want[1], atol=2e-4)
    dy = np.random.RandomState(99).randn(*y.shape).astype("f")
    grads = autograd_grads(DPS, ins, at, list(range(len(ins))), dy, 0, True)
    np.testing.assert_allclose(summary(grads[0]), want[2], atol=2e-4)
    assert not grads[1].any()  # rois: zero gradient, as MXNet
    if len(ins) == 3:
        np.testing.assert_allclose(grads[2].ravel(), want[3], atol=2e-4)


def test_deformable_psroi_pooling_gradients_finite_differences():
    at = dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2, sample_per_part=2, trans_std=0.1)
    rs = np.random.RandomState(8)
    x = rs.randn(1, 8, 7, 7)
    rois = np.array([[0, 1.2, 2.1, 9.7, 10.4], [0, 4.4, 0.3, 12.6, 7.8]])  # samples well inside the map
    tr = rs.uniform(-0.5, 0.5, (2, 2, 2, 2))
    check_grad(DPS, [x, rois, tr], at, wrt=[0, 2], eps=1e-6, rtol=1e-5, atol=1e-7)


def test_deformable_psroi_pooling_bad_input_errors():
    at, C, part, ncls = DPS_CASES[0]
    x, rois, tr = dps_inputs(40, C)
    expect_error(DPS, [x, rois[:, :4], tr], at, contains=(DPS, "rois must be (num_rois, 5)", "rois=(3,4)"))
    expect_error(DPS, [x, rois, tr[:, :, :2]], at, contains=("trans must be (num_rois 3, 2 * classes, part_size 3",))
    expect_error(DPS, [x[:, :7], rois, tr], at, contains=("data has 7 channels, needs output_dim * group_size^2 = 8",))
    expect_error(DPS, [x, rois, np.zeros((3, 6, 3, 3), "f")], at, contains=("multiple of the 3 classes",))
    bad = rois.copy()
    bad[1, 0] = 2
    expect_error(DPS, [x, bad, tr], at, contains=("roi 1 has batch index 2 outside [0, 2)",))


def rroi_inputs(seed, R=3):
    rs = np.random.RandomState(seed)
    x = rs.randn(2, 2, 8, 9).astype("f")
    rois = np.stack([rs.randint(0, 2, R), rs.uniform(0, 18, R), rs.uniform(0, 16, R), rs.uniform(0, 14, R),
                     rs.uniform(0, 14, R), rs.uniform(-180, 180, R)], 1).astype("f")
    rois[0, 5] = 90
    return x, rois


RR = [dict(pooled_size=(2, 2), spatial_scale=0.5, sampling_ratio=2), dict(pooled_size=(2, 3), spatial_scale=0.5)]
# ---- MXNet 1.9.1's outputs
RROI0 = [0.4159, -0.4164, 0.4321, -0.188, -0.6021, 0.1645, 0.0533, 0.227, 0.1806, 1.2824, 0.3568, -0.2934, -0.143,
    0.6035, 0.3187, 0.6377, -0.711, 0.3696, 0.0053, 0.1578, -0.0092, -0.146, 0.2974, -0.3324]
RROI1 = [0.6441, 0.8249, 0.0355, 0.6319, 0.9662, -0.5089, -0.36, -0.0629, 0.3626, -0.5751, -0.026, 0.1121, 0.2555,
    -0.0194, -0.6886, -0.0421, -0.289, 0.3026, -0.9347, -0.112, -0.5894, -0.657, -0.5399, -0.17, 0.2586, 0.2473,
    0.0466, -0.802, -0.2125, -0.3181, -0.2022, -0.7428, -1.0947, 0.7127, 0.2078, -1.0686]


@pytest.mark.parametrize("i", range(2))
def test_rroi_align_matches_mxnet(i):
    x, rois = rroi_inputs(50 + i)
    y = run_op(RRA, [x, rois], RR[i])[0]
    assert y.shape == (3, 2) + RR[i]["pooled_size"]
    np.testing.assert_allclose(y.ravel(), [RROI0, RROI1][i], atol=2e-4)


def test_rroi_align_unrotated_box_is_an_average_of_bilinear_samples():
    x = np.arange(48, dtype=np.float64).reshape(1, 1, 6, 8)  # linear in x and y: samples average exactly
    y = run_op(RRA, [x, np.array([[0, 3.5, 2.5, 4, 2, 0]])], dict(pooled_size=(1, 2), spatial_scale=1.0))[0]
    # left bin centre (2.5, 2.5), right bin centre (4.5, 2.5): value 8 * y + x
    np.testing.assert_allclose(y.ravel(), [8 * 2.5 + 2.5, 8 * 2.5 + 4.5])


def test_rroi_align_bad_input_and_no_gradient():
    x, rois = rroi_inputs(50)
    expect_error(RRA, [x, rois[:, :5]], RR[0], contains=(RRA, "rois must be (num_rois, 6)"))
    expect_error(RRA, [x, rois], dict(RR[0], pooled_size=(2,)), contains=("pooled_size must be (h, w)",))
    bad = rois.copy()
    bad[0, 0] = -1
    expect_error(RRA, [x, bad], RR[0], contains=("roi 0 has batch index -1",))
    bad[0, 0], bad[0, 3] = 0, np.inf
    expect_error(RRA, [x, bad], RR[0], contains=("non-finite",))
    with pytest.raises(Exception, match="RROIAlign"):  # forward only, as MXNet
        autograd_grads(RRA, [x, rois], RR[0], [0], np.ones((3, 2, 2, 2), "f"), 0, True)


# written by MXNet 1.9.1 (tojson() without spaces), Deformable R-FCN style: feat = Convolution(data, 8, 1x1);
# p1 = DeformablePSROIPooling(feat, rois, no_trans); trans = reshape(FullyConnected(p1, 8), (-1, 2, 2, 2));
# p2 = DeformablePSROIPooling(feat, rois, trans, trans_std 0.1); rr = RROIAlign(feat, rrois); Group([p2, rr])
MXNET_JSON = (
    '{"nodes":[{"op":"null","name":"data","inputs":[]},{"op":"null","name":"feat_weight","attrs":{"kernel'
    '":"(1,1)","num_filter":"8"},"inputs":[]},{"op":"null","name":"feat_bias","attrs":{"kernel":"(1,1)","'
    'num_filter":"8"},"inputs":[]},{"op":"Convolution","name":"feat","attrs":{"kernel":"(1,1)","num_filte'
    'r":"8"},"inputs":[[0,0,0],[1,0,0],[2,0,0]]},{"op":"null","name":"rois","inputs":[]},{"op":"_contrib_'
    'DeformablePSROIPooling","name":"p1","attrs":{"group_size":"2","no_trans":"True","output_dim":"2","po'
    'oled_size":"2","sample_per_part":"2","spatial_scale":"0.5"},"inputs":[[3,0,0],[4,0,0]]},{"op":"null"'
    ',"name":"tfc_weight","attrs":{"num_hidden":"8"},"inputs":[]},{"op":"null","name":"tfc_bias","attrs":'
    '{"num_hidden":"8"},"inputs":[]},{"op":"FullyConnected","name":"tfc","attrs":{"num_hidden":"8"},"inpu'
    'ts":[[5,0,0],[6,0,0],[7,0,0]]},{"op":"Reshape","name":"reshape0","attrs":{"shape":"(-1,2,2,2)"},"inp'
    'uts":[[8,0,0]]},{"op":"_contrib_DeformablePSROIPooling","name":"p2","attrs":{"group_size":"2","outpu'
    't_dim":"2","pooled_size":"2","sample_per_part":"2","spatial_scale":"0.5","trans_std":"0.1"},"inputs"'
    ':[[3,0,0],[4,0,0],[9,0,0]]},{"op":"null","name":"rrois","inputs":[]},{"op":"_contrib_RROIAlign","nam'
    'e":"rr","attrs":{"pooled_size":"(2,2)","spatial_scale":"0.5"},"inputs":[[3,0,0],[11,0,0]]}],"arg_nod'
    'es":[0,1,2,4,6,7,11],"node_row_ptr":[0,1,2,3,4,5,7,8,9,10,11,13,14,15],"heads":[[10,0,0],[12,0,0]],"'
    'attrs":{"mxnet_version":["int",10901]}}')
MXNET_ARGS = [('data', (1, 3, 8, 8)), ('feat_weight', (8, 3, 1, 1)), ('feat_bias', (8,)), ('rois', (3, 5)),
    ('tfc_weight', (8, 8)), ('tfc_bias', (8,)), ('rrois', (2, 6))]
# MXNet 1.9.1's outputs for arguments from RandomState(13) (tfc * 0.3) and the rois below
MXNET_OUT = [[0.0628, 0.8888, -2.2002, 0.7333, -0.3121, -2.1424, 1.7507, -1.6555, 1.4785, 0.6749, -2.2728, 0.5815,
    -1.6673, -2.2271, 1.6912, -1.8546, 2.2895, 1.232, -1.8546, 0.3383, -1.5806, -0.432, 1.0011, -2.0808], [-0.3196,
    0.2424, -0.0233, -1.0561, 1.2935, 0.9397, 1.4074, 1.2827, -1.9891, -1.237, -2.2622, -1.6793, 0.6822, 0.2058,
    0.5784, 0.9598, -1.6429, 0.8011, -3.0885, 0.068, -0.5658, -2.1579, -0.4936, -0.2899, 1.2156, -0.2768, 1.5964,
    0.8299, -1.7752, -2.1292, -1.6138, -1.9074, -0.3991, -0.2333, 1.3361, 0.3123, 1.2529, 1.5099, 0.5727, 0.976,
    -1.9249, -2.3989, -2.9528, -2.0076, 0.7202, 0.7045, 0.6158, 0.5141, -1.2422, -3.5356, -3.5341, -1.341, -0.5667,
    -0.1105, -0.4435, -1.0448, 1.1402, 1.8752, 3.2182, 1.2823, -1.824, -1.5312, -1.964, -1.9462]]


def test_mxnet_json_with_deformable_psroi_and_rroi_loads_and_runs():
    import mxcore as mx
    s = mx.sym.load_json(MXNET_JSON)
    args, outs, _ = s.infer_shape(data=(1, 3, 8, 8), rois=(3, 5), rrois=(2, 6))
    assert list(zip(s.list_arguments(), args)) == [(n, tuple(sh)) for n, sh in MXNET_ARGS]
    assert outs == [(3, 2, 2, 2), (2, 8, 2, 2)]
    rs = np.random.RandomState(13)
    vals = {n: (rs.randn(*sh) * (0.3 if n.startswith("t") else 1)).astype("f") for n, sh in MXNET_ARGS}
    vals["rois"] = np.array([[0, 1, 2, 12, 13], [0, 4, 0, 15, 9], [0, 0, 5, 7, 15]], "f")
    vals["rrois"] = np.array([[0, 8, 7, 9, 5, 30], [0, 6, 9, 4, 10, -75]], "f")
    ys = s.eval(ctx=mx.cpu(), **{k: mx.nd.array(v) for k, v in vals.items()})
    for y, want in zip(ys, MXNET_OUT):
        np.testing.assert_allclose(y.asnumpy().ravel(), want, atol=2e-4)


def test_symbol_arguments_follow_no_trans():
    import mxcore as mx
    d, r = mx.sym.var("d"), mx.sym.var("r")
    at = {"spatial_scale": 0.5, "output_dim": 2, "group_size": 2, "pooled_size": 3}
    s = mx.sym.contrib.DeformablePSROIPooling(d, r, no_trans=True, **at)
    assert s.list_arguments() == ["d", "r"]  # as MXNet: no trans input
    assert s.infer_shape(d=(1, 8, 6, 6), r=(4, 5))[1] == [(4, 2, 3, 3)]
    s = mx.sym.contrib.DeformablePSROIPooling(d, r, mx.sym.var("t"), trans_std=0.1, **at)
    assert s.list_arguments() == ["d", "r", "t"]
    assert s.infer_shape(d=(1, 8, 6, 6), r=(4, 5), t=(4, 2, 3, 3))[1] == [(4, 2, 3, 3)]
