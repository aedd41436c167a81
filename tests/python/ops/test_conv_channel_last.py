"""Channel-last layouts (NWC, NHWC, NDHWC) of Convolution, Deconvolution and Pooling.

What MXNet 1.9.1 (CPU build, oneDNN) does, which these tests pin down:
- Shape inference accepts NHWC / NDHWC for Convolution and Deconvolution (not NWC: not a valid
  value of their layout enum) with the channel last in the data and in the weight: Convolution
  weight (num_filter, kernel..., C/num_group), Deconvolution weight (C, kernel..., num_filter/num_group).
- Running them fails on its CPU ("could not create a descriptor for a dilated convolution forward
  propagation primitive"; without oneDNN "Only support NCW, NCHW and NCDHW layout"): only cuDNN
  runs them. Ours runs them on the CPU and equals the channel-first op on transposed inputs, which
  is what those layouts mean; the reference values below come from MXNet's channel-first op.
- Pooling runs NWC / NHWC / NDHWC on the CPU (max, avg, sum, lp, global_pool, conventions);
  its reference values below are MXNet's own channel-last results.
- Gluon: Conv2D/Conv3D/Conv2DTranspose/Conv3DTranspose accept NHWC / NDHWC, Conv1D and
  Conv1DTranspose only NCW; the pooling layers accept the channel-last layout of their rank.
"""
import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd
from mxcore.gluon import nn

CL = {3: 'NWC', 4: 'NHWC', 5: 'NDHWC'}


def to_cl(a):
    return np.moveaxis(a, 1, -1)


def to_cf(a):
    return np.moveaxis(a, -1, 1)


def run(op, arrays, attrs, dtype, head):
    """Forward value and the gradients of sum(out * head) for every input."""
    xs = [mx.nd.array(a, dtype=dtype) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = getattr(mx.nd, op)(*xs, **attrs)
        loss = (y * mx.nd.array(head, dtype=dtype)).sum()
    loss.backward()
    return [y.asnumpy()] + [x.grad.asnumpy() for x in xs]


CONV_CASES = [
    # op, data shape (channel-first), kernel, attrs
    ('Convolution', (2, 3, 6, 7), (3, 3), dict(num_filter=4)),
    ('Convolution', (2, 3, 7, 6), (3, 2), dict(num_filter=4, stride=(2, 1), pad=(1, 0), dilate=(1, 2))),
    ('Convolution', (2, 4, 6, 7), (3, 3), dict(num_filter=6, num_group=2, pad=(1, 1))),
    ('Convolution', (1, 4, 5, 5), (3, 3), dict(num_filter=4, num_group=4, no_bias=True)),
    ('Convolution', (2, 3, 5, 6, 4), (2, 3, 2), dict(num_filter=4, stride=(1, 2, 1), pad=(1, 0, 1))),
    ('Convolution', (1, 4, 4, 5, 6), (2, 2, 3), dict(num_filter=2, num_group=2, dilate=(2, 1, 1))),
    ('Deconvolution', (2, 3, 5, 6), (3, 3), dict(num_filter=4, no_bias=False)),
    ('Deconvolution', (2, 4, 5, 6), (3, 2), dict(num_filter=6, num_group=2, stride=(2, 2), pad=(1, 0),
                                                 adj=(1, 0), no_bias=False)),
    ('Deconvolution', (2, 3, 4, 5), (3, 3), dict(num_filter=2, stride=(2, 2), target_shape=(8, 10))),
    ('Deconvolution', (1, 2, 3, 4, 3), (2, 3, 2), dict(num_filter=3, stride=(2, 1, 2), no_bias=False)),
]


def conv_arrays(op, shape, kernel, attrs, rs):
    C, F, G = shape[1], attrs['num_filter'], attrs.get('num_group', 1)
    wshape = (F, C // G) + kernel if op == 'Convolution' else (C, F // G) + kernel
    arrays = [rs.randn(*shape), rs.randn(*wshape)]
    if not attrs.get('no_bias', op == 'Deconvolution'):
        arrays.append(rs.randn(F))
    return arrays


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('case', CONV_CASES, ids=lambda c: '%s-%dd-%s' % (c[0], len(c[2]), '-'.join(c[3])))
def test_conv_channel_last_equals_channel_first(case, dtype):
    """Forward and the data / weight / bias gradients equal the channel-first op's, transposed."""
    op, shape, kernel, attrs = case
    rs = np.random.RandomState(len(shape) * 10 + len(attrs))
    arrays = conv_arrays(op, shape, kernel, attrs, rs)
    attrs = dict(attrs, kernel=kernel)
    y_cf = getattr(mx.nd, op)(*[mx.nd.array(a, dtype=dtype) for a in arrays], **attrs).asnumpy()
    head = rs.uniform(-1, 1, y_cf.shape)
    ref = run(op, arrays, attrs, dtype, head)
    cl_arrays = [to_cl(a) if a.ndim > 1 else a for a in arrays]
    got = run(op, cl_arrays, dict(attrs, layout=CL[len(shape)]), dtype, to_cl(head))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == 'float32' else dict(rtol=1e-12, atol=1e-12)
    assert got[0].shape == to_cl(ref[0]).shape and got[0].dtype == np.dtype(dtype)
    for r, g in zip(ref, got):
        np.testing.assert_allclose(g, to_cl(r) if r.ndim > 1 else r, **tol)


POOL_CASES = [
    (2, 3, 7), (2, 3, 6, 7), (2, 3, 4, 5, 6),
]
POOL_ATTRS = [
    dict(pool_type='max'),
    dict(pool_type='avg', pad=1, count_include_pad=False, pooling_convention='full'),
    dict(pool_type='avg', pad=1, count_include_pad=True),
    dict(pool_type='sum', stride=1),
    dict(pool_type='lp', p_value=3, stride=1),
    dict(pool_type='max', global_pool=True),
    dict(pool_type='avg', global_pool=True),
]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('attrs', POOL_ATTRS, ids=lambda a: '-'.join('%s' % v for v in a.values()))
@pytest.mark.parametrize('shape', POOL_CASES, ids=lambda s: '%dd' % (len(s) - 2))
def test_pooling_channel_last_equals_channel_first(shape, attrs, dtype):
    nsp = len(shape) - 2
    attrs = dict(attrs, kernel=(2,) * nsp)
    for k in ('pad', 'stride'):
        if k in attrs:
            attrs[k] = (attrs[k],) * nsp
    rs = np.random.RandomState(nsp)
    x = rs.randn(*shape)
    y_cf = mx.nd.Pooling(mx.nd.array(x, dtype=dtype), **attrs).asnumpy()
    head = rs.uniform(-1, 1, y_cf.shape)
    ref = run('Pooling', [x], attrs, dtype, head)
    got = run('Pooling', [to_cl(x)], dict(attrs, layout=CL[len(shape)]), dtype, to_cl(head))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == 'float32' else dict(rtol=1e-12, atol=1e-12)
    for r, g in zip(ref, got):
        np.testing.assert_allclose(g, to_cl(r), **tol)


def test_second_order_gradients_channel_last():
    """Gradient penalties (create_graph) through channel-last conv and max pooling."""
    rs = np.random.RandomState(5)
    x, w, b = rs.randn(2, 3, 6, 7), rs.randn(4, 3, 3, 3), rs.randn(4)
    res = {}
    for lay in ('NCHW', 'NHWC'):
        t = to_cl if lay == 'NHWC' else (lambda a: a)
        X, W, B = (mx.nd.array(a, dtype='float64') for a in (t(x), t(w), b))
        for a in (X, W, B):
            a.attach_grad()
        with autograd.record():
            y = mx.nd.Convolution(X, W, B, kernel=(3, 3), num_filter=4, pad=(1, 1), layout=lay)
            y = mx.nd.Pooling(y, kernel=(2, 2), stride=(2, 2), layout=lay)
            gx, gw = autograd.grad((y * y * y).sum(), [X, W], create_graph=True)
            z = (gx * gx).sum() + (gw * gw).sum()
        z.backward()
        res[lay] = [gx.asnumpy(), gw.asnumpy(), X.grad.asnumpy(), W.grad.asnumpy()]
    for r, g in zip(res['NCHW'], res['NHWC']):
        np.testing.assert_allclose(g, to_cl(r), rtol=1e-10, atol=1e-10)


def test_pooling_values_printed_by_mxnet():
    """Channel-last pooling values and gradients printed by MXNet 1.9.1 (CPU)."""
    x = np.random.RandomState(7).randn(1, 4, 5, 2).astype('f4')
    x1 = np.random.RandomState(7)
    x1.randn(1, 4, 5, 2)
    x1 = x1.randn(2, 5, 3).astype('f4')

    def fwd_bwd(**kw):
        X = mx.nd.array(x)
        X.attach_grad()
        with autograd.record():
            y = mx.nd.Pooling(X, layout='NHWC', **kw)
            loss = (y * mx.nd.array(np.arange(y.size).reshape(y.shape) % 5 + 1)).sum()
        loss.backward()
        return y.asnumpy(), X.grad.asnumpy()

    y, dx = fwd_bwd(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg', count_include_pad=False,
                    pooling_convention='full')
    assert y.shape == (1, 3, 3, 2)
    np.testing.assert_allclose(y.ravel(), [
        0.400804, -0.122831, 0.010023, -0.48931, 0.461452, -0.639217, -0.208366, 0.559734, -0.548926, -0.218377,
        0.339192, -0.495812, -1.196815, 0.80395, -1.639903, 0.445082, 0.280971, 0.566281], atol=2e-6)
    np.testing.assert_allclose(dx.ravel()[:12], [
        0.25, 0.5, 0.75, 1.166667, 0.5, 0.666667, 1.75, 0.916667, 1.25, 0.25, 0.583333, 1.], atol=2e-6)
    y, dx = fwd_bwd(kernel=(2, 2), stride=(1, 2), pool_type='max')
    np.testing.assert_allclose(y.ravel(), [1.690526, 0.407516, 0.55458, 0.123881, 1.6507, 2.029072, 0.55458,
                                           0.123881, 1.6507, 2.029072, -0.045386, 1.461976], atol=2e-6)
    np.testing.assert_array_equal(dx.ravel()[16:24], [5, 7, 0, 0, 9, 0, 0, 6])
    y, dx = fwd_bwd(kernel=(2, 3), pool_type='lp', p_value=2, pooling_convention='full', stride=(2, 2))
    np.testing.assert_allclose(y.ravel(), [2.04616, 1.610223, 1.449083, 2.810195, 3.227381, 2.849694, 3.177858,
                                           3.193532], atol=2e-6)
    np.testing.assert_allclose(dx.ravel()[:8], [0.826194, -0.578724, 0.01604, 0.506161, -2.01885, 0.005506,
                                                -0.001843, -2.497655], atol=2e-5)
    y = mx.nd.Pooling(mx.nd.array(x1), kernel=(2,), layout='NWC', pool_type='max').asnumpy()
    np.testing.assert_allclose(y.ravel()[:9], [0.840733, -0.179986, 0.568062, 0.383122, 2.247595, 0.269412,
                                               0.383122, 2.247595, 0.269412], atol=2e-6)


def test_conv_values_of_mxnet_channel_first_op():
    """MXNet 1.9.1's CPU cannot run channel-last Convolution / Deconvolution: these values were
    printed by its channel-first op on the transposed inputs (what cuDNN's NHWC computes)."""
    rs = np.random.RandomState(3)
    x = rs.randn(1, 4, 5, 2).astype('f4')   # NHWC
    w = rs.randn(3, 3, 2, 2).astype('f4')   # (num_filter, kh, kw, C)
    b = rs.randn(3).astype('f4')
    w2 = rs.randn(2, 3, 3, 3).astype('f4')  # Deconvolution (C, kh, kw, num_filter)
    X, W, B = mx.nd.array(x), mx.nd.array(w), mx.nd.array(b)
    for a in (X, W, B):
        a.attach_grad()
    with autograd.record():
        y = mx.nd.Convolution(X, W, B, kernel=(3, 2), num_filter=3, stride=(1, 2), pad=(1, 0), layout='NHWC')
        head = to_cl(np.arange(y.size).reshape(1, 3, 4, 2) % 3 - 1.0)
        loss = (y * mx.nd.array(head)).sum()
    loss.backward()
    assert y.shape == (1, 4, 2, 3)
    np.testing.assert_allclose(y.asnumpy().ravel()[:12], [
        4.247248, 7.12173, 1.809995, -0.804362, -1.199189, -4.717647, 5.20677, -3.004109, 1.933307, 5.614673,
        1.775215, -3.111644], atol=1e-5)
    np.testing.assert_allclose(X.grad.asnumpy().ravel()[:12], [
        0.493925, -0.776237, -0.238219, -2.623132, 2.323586, 4.272583, 1.421768, 3.438651, 0., 0.,
        0.478894, -1.894847], atol=1e-5)
    np.testing.assert_allclose(W.grad.asnumpy().ravel()[:12], [
        3.301097, 0.592241, -1.852269, -3.019686, -4.921368, -1.836314, 3.199549, 5.585447, 0.348837, -2.796362,
        -0.944207, -2.336219], atol=1e-5)
    np.testing.assert_allclose(B.grad.asnumpy(), [-1., 0., 1.])
    y = mx.nd.Deconvolution(X, mx.nd.array(w2), kernel=(3, 3), num_filter=3, stride=(2, 2), pad=(1, 1),
                            layout='NHWC')
    assert y.shape == (1, 7, 9, 3)
    np.testing.assert_allclose(y.asnumpy()[0, :2].ravel()[:12], [
        -1.287833, -1.129974, 0.378794, -2.029588, -2.205191, -0.509874, 1.504767, -2.599021, 1.300252,
        -0.213885, 1.360765, 3.307122], atol=1e-5)


@pytest.mark.parametrize('op,dshape,attrs,params,out', [
    # argument and output shapes printed by MXNet 1.9.1's infer_shape
    ('Convolution', (2, 6, 7, 3), dict(kernel=(3, 3), num_filter=4, layout='NHWC'),
     [(4, 3, 3, 3), (4,)], (2, 4, 5, 4)),
    ('Convolution', (2, 6, 7, 4), dict(kernel=(3, 2), num_filter=6, num_group=2, stride=(2, 1), pad=(1, 0),
                                       layout='NHWC'), [(6, 3, 2, 2), (6,)], (2, 3, 6, 6)),
    ('Convolution', (2, 5, 6, 7, 3), dict(kernel=(2, 3, 3), num_filter=4, dilate=(1, 2, 1), layout='NDHWC'),
     [(4, 2, 3, 3, 3), (4,)], (2, 4, 2, 5, 4)),
    ('Deconvolution', (2, 6, 7, 3), dict(kernel=(3, 3), num_filter=4, layout='NHWC'), [(3, 3, 3, 4)], (2, 8, 9, 4)),
    ('Deconvolution', (2, 6, 7, 4), dict(kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 2), adj=(1, 0),
                                         pad=(1, 1), layout='NHWC'), [(4, 3, 3, 3)], (2, 12, 13, 6)),
    ('Deconvolution', (2, 5, 6, 7, 3), dict(kernel=(2, 3, 3), num_filter=4, layout='NDHWC'),
     [(3, 2, 3, 3, 4)], (2, 6, 8, 9, 4)),
    ('Pooling', (2, 6, 7, 3), dict(kernel=(3, 3), stride=(2, 2), pooling_convention='full', layout='NHWC'),
     [], (2, 3, 3, 3)),
    ('Pooling', (2, 7, 3), dict(kernel=(3,), global_pool=True, layout='NWC'), [], (2, 1, 3)),
])
def test_symbol_infer_shape_matches_mxnet(op, dshape, attrs, params, out):
    s = getattr(mx.sym, op)(mx.sym.var('data'), name='op', **attrs)
    args, outs, _ = s.infer_shape(data=dshape)
    assert [tuple(a) for a in args[1:]] == params
    assert [tuple(o) for o in outs] == [out]


def test_gluon_parameter_shapes_and_repr():
    """Parameter shapes and reprs as MXNet 1.9.1's Gluon prints them."""
    cases = [
        (nn.Conv2D(4, 3, layout='NHWC'), (2, 6, 7, 3), [(4, 3, 3, 3), (4,)], (2, 4, 5, 4),
         'Conv2D(3 -> 4, kernel_size=(3, 3), stride=(1, 1))'),
        (nn.Conv2D(4, 3, layout='NHWC', groups=2), (2, 6, 7, 4), [(4, 3, 3, 2), (4,)], (2, 4, 5, 4),
         'Conv2D(3 -> 4, kernel_size=(3, 3), stride=(1, 1), groups=2)'),
        (nn.Conv3D(4, 3, layout='NDHWC'), (2, 5, 6, 7, 3), [(4, 3, 3, 3, 3), (4,)], (2, 3, 4, 5, 4),
         'Conv3D(3 -> 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))'),
        (nn.Conv2DTranspose(4, 3, layout='NHWC'), (2, 6, 7, 3), [(3, 3, 3, 4), (4,)], (2, 8, 9, 4),
         'Conv2DTranspose(3 -> 3, kernel_size=(3, 3), stride=(1, 1))'),
        (nn.Conv3DTranspose(4, 3, layout='NDHWC'), (2, 5, 6, 7, 3), [(3, 3, 3, 3, 4), (4,)], (2, 7, 8, 9, 4),
         'Conv3DTranspose(3 -> 3, kernel_size=(3, 3, 3), stride=(1, 1, 1))'),
    ]
    for blk, dshape, pshapes, oshape, text in cases:
        blk.initialize()
        assert blk(mx.nd.ones(dshape)).shape == oshape
        assert [p.shape for p in blk.collect_params().values()] == pshapes
        assert repr(blk) == text
    # in_channels given: the shape is known before the first call
    assert nn.Conv2D(4, 3, layout='NHWC', in_channels=6, groups=2).weight.shape == (4, 3, 3, 3)
    assert nn.Conv2DTranspose(4, 3, layout='NHWC', in_channels=6, groups=2).weight.shape == (6, 3, 3, 2)
    assert nn.Conv2D(4, 3, layout='NHWC').weight.shape == (4, 3, 3, 0)
    for blk, dshape, oshape in [(nn.MaxPool1D(layout='NWC'), (2, 7, 3), (2, 3, 3)),
                                (nn.AvgPool2D(count_include_pad=False, padding=1, layout='NHWC'), (2, 6, 7, 3),
                                 (2, 4, 4, 3)),
                                (nn.AvgPool3D(layout='NDHWC'), (2, 6, 7, 5, 3), (2, 3, 3, 2, 3)),
                                (nn.GlobalAvgPool2D(layout='NHWC'), (2, 6, 7, 3), (2, 1, 1, 3)),
                                (nn.GlobalMaxPool3D(layout='NDHWC'), (2, 5, 6, 7, 3), (2, 1, 1, 1, 3))]:
        assert blk(mx.nd.ones(dshape)).shape == oshape


def _net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, layout='NHWC', activation='relu'),
            nn.MaxPool2D(layout='NHWC'),
            nn.Conv2DTranspose(6, 3, strides=2, groups=2, layout='NHWC'),
            nn.AvgPool2D(pool_size=3, strides=1, padding=1, count_include_pad=False, layout='NHWC'),
            nn.GlobalMaxPool2D(layout='NHWC'), nn.Dense(3))
    return net


def test_gluon_hybridize_equals_eager_and_channel_first():
    x = np.random.RandomState(11).randn(2, 6, 7, 3)
    mx.random.seed(1)
    net = _net()
    net.initialize(mx.init.Xavier())
    res = []
    for hyb in (False, True):
        if hyb:
            net.hybridize()
        X = mx.nd.array(x)
        X.attach_grad()
        with autograd.record():
            y = net(X)
        y.backward()
        res.append([y.asnumpy(), X.grad.asnumpy()] + [p.grad().asnumpy() for p in net.collect_params().values()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the same weights in a channel-first net give the same values
    ref = nn.HybridSequential()
    ref.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.MaxPool2D(),
            nn.Conv2DTranspose(6, 3, strides=2, groups=2),
            nn.AvgPool2D(pool_size=3, strides=1, padding=1, count_include_pad=False), nn.GlobalMaxPool2D(),
            nn.Dense(3))
    ref.initialize()
    ref(mx.nd.array(to_cf(x)))
    for p, q in zip(net.collect_params().values(), ref.collect_params().values()):
        v = p.data().asnumpy()
        q.set_data(mx.nd.array(to_cf(v) if v.ndim == 4 else v))
    np.testing.assert_allclose(ref(mx.nd.array(to_cf(x))).asnumpy(), res[0][0], rtol=1e-5, atol=1e-6)


def test_gluon_export_and_symbolblock_imports(tmp_path):
    x = mx.nd.array(np.random.RandomState(12).randn(2, 6, 7, 3))
    net = _net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    y = net(x).asnumpy()
    prefix = os.path.join(str(tmp_path), 'nhwc')
    net.export(prefix)
    text = open(prefix + '-symbol.json').read()
    assert text.count('"layout":"NHWC"') + text.count('"layout": "NHWC"') == 5
    sb = nn.SymbolBlock.imports(prefix + '-symbol.json', ['data'], prefix + '-0000.params')
    np.testing.assert_allclose(sb(x).asnumpy(), y, rtol=1e-6, atol=1e-6)


# The nodes MXNet 1.9.1 exports for Conv2D(4, 3, layout='NHWC', in_channels=3), MaxPool2D(layout='NHWC'),
# GlobalAvgPool2D(layout='NHWC') (attrs of the parameter nodes trimmed)
MXNET_JSON = '''{"nodes": [
 {"op": "null", "name": "data", "inputs": []},
 {"op": "null", "name": "conv2_weight", "attrs": {"__shape__": "(4, 3, 3, 3)"}, "inputs": []},
 {"op": "null", "name": "conv2_bias", "attrs": {"__shape__": "(4,)"}, "inputs": []},
 {"op": "Convolution", "name": "conv2_fwd", "attrs": {"dilate": "(1, 1)", "kernel": "(3, 3)", "layout": "NHWC",
  "no_bias": "False", "num_filter": "4", "num_group": "1", "pad": "(0, 0)", "stride": "(1, 1)"},
  "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
 {"op": "Pooling", "name": "pool2_fwd", "attrs": {"global_pool": "False", "kernel": "(2, 2)", "layout": "NHWC",
  "pad": "(0, 0)", "pool_type": "max", "pooling_convention": "valid", "stride": "(2, 2)"}, "inputs": [[3, 0, 0]]},
 {"op": "Pooling", "name": "pool3_fwd", "attrs": {"global_pool": "True", "kernel": "(1, 1)", "layout": "NHWC",
  "pad": "(0, 0)", "pool_type": "avg", "pooling_convention": "full", "stride": "(1, 1)"}, "inputs": [[4, 0, 0]]}],
 "arg_nodes": [0, 1, 2], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6], "heads": [[5, 0, 0]],
 "attrs": {"mxnet_version": ["int", 10901]}}'''


def test_mxnet_symbol_json_runs(tmp_path):
    sym = mx.sym.load_json(MXNET_JSON)
    args, outs, _ = sym.infer_shape(data=(2, 8, 9, 3))
    assert [tuple(a) for a in args] == [(2, 8, 9, 3), (4, 3, 3, 3), (4,)]
    assert [tuple(o) for o in outs] == [(2, 1, 1, 4)]
    rs = np.random.RandomState(13)
    x, w, b = rs.randn(2, 8, 9, 3), rs.randn(4, 3, 3, 3), rs.randn(4)
    blk = nn.SymbolBlock(sym, [mx.sym.var('data')])
    blk.collect_params()['conv2_weight'].shape = w.shape
    blk.collect_params()['conv2_bias'].shape = b.shape
    blk.initialize()
    blk.collect_params()['conv2_weight'].set_data(mx.nd.array(w))
    blk.collect_params()['conv2_bias'].set_data(mx.nd.array(b))
    y = blk(mx.nd.array(x)).asnumpy()
    c = mx.nd.Convolution(mx.nd.array(to_cf(x)), mx.nd.array(to_cf(w)), mx.nd.array(b), kernel=(3, 3),
                          num_filter=4)
    ref = mx.nd.Pooling(mx.nd.Pooling(c, kernel=(2, 2), stride=(2, 2)), global_pool=True, pool_type='avg')
    np.testing.assert_allclose(y, to_cl(ref.asnumpy()), rtol=1e-5, atol=1e-6)


def test_gluon_layout_errors_match_mxnet():
    for make, msg in [
        (lambda: nn.Conv1D(4, 3, layout='NWC'), "Only supports 'NCW' layout for now"),
        (lambda: nn.Conv1DTranspose(4, 3, layout='NWC'), "Only supports 'NCW' layout for now"),
        (lambda: nn.Conv2D(4, 3, layout='NWC'), "Only supports 'NCHW' and 'NHWC' layout for now"),
        (lambda: nn.Conv2DTranspose(4, 3, layout='NDHWC'), "Only supports 'NCHW' and 'NHWC' layout for now"),
        (lambda: nn.Conv3D(4, 3, layout='NHWC'), "Only supports 'NCDHW' and 'NDHWC' layout for now"),
        (lambda: nn.MaxPool1D(layout='NHWC'), 'Only NCW and NWC layouts are valid for 1D Pooling'),
        (lambda: nn.GlobalMaxPool2D(layout='NWC'), 'Only NCHW and NHWC layouts are valid for 2D Pooling'),
        (lambda: nn.AvgPool3D(layout='NCHW'), 'Only NCDHW and NDHWC layouts are valid for 3D Pooling'),
    ]:
        with pytest.raises(AssertionError, match=msg):
            make()


def test_op_errors():
    x4, w = mx.nd.ones((2, 6, 7, 3)), mx.nd.ones((4, 3, 3, 3))
    # NWC is no Convolution / Deconvolution layout in MXNet 1.9.1
    for op in ('Convolution', 'Deconvolution'):
        with pytest.raises(mx.MXNetError, match='NWC'):
            getattr(mx.nd, op)(mx.nd.ones((2, 7, 3)), mx.nd.ones((4, 3, 3)), kernel=(3,), num_filter=4,
                               layout='NWC', no_bias=True)
    with pytest.raises(mx.MXNetError, match=r'Convolution.*layout NDHWC does not match a 2-d kernel'):
        mx.nd.Convolution(x4, w, kernel=(3, 3), num_filter=4, layout='NDHWC', no_bias=True)
    with pytest.raises(mx.MXNetError, match=r'Convolution.*data must be 4-d \(batch, spatial dims, channel\)'):
        mx.nd.Convolution(mx.nd.ones((2, 6, 3)), w, kernel=(3, 3), num_filter=4, layout='NHWC', no_bias=True)
    # a channel-first weight with channel-last data
    with pytest.raises(mx.MXNetError, match=r'Convolution.*weight must have shape \(4,3,3,2\)'):
        mx.nd.Convolution(mx.nd.ones((2, 6, 7, 2)), mx.nd.ones((4, 2, 3, 3)), kernel=(3, 3), num_filter=4,
                          layout='NHWC', no_bias=True)
    with pytest.raises(mx.MXNetError, match=r'Deconvolution.*weight must have shape \(3,3,3,4\)'):
        mx.nd.Deconvolution(x4, mx.nd.ones((3, 4, 3, 3)), kernel=(3, 3), num_filter=4, layout='NHWC')
    with pytest.raises(mx.MXNetError, match=r'Pooling.*layout NWC does not fit 4-d data \(expected NCHW or NHWC\)'):
        mx.nd.Pooling(x4, kernel=(2, 2), layout='NWC')
    with pytest.raises(mx.MXNetError, match=r'Pooling.*layout NHWC does not fit 3-d data'):
        mx.nd.Pooling(mx.nd.ones((2, 7, 3)), kernel=(2,), layout='NHWC')
