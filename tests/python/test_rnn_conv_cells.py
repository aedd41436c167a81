"""mx.rnn's convolutional cells (ConvRNNCell, ConvLSTMCell, ConvGRUCell) against MXNet
1.9.1: parameter and node names, output names, inferred shapes (batch-0 begin states
included), and the values and gradients of a bound 3-step unroll.

Expected values were printed by MXNet 1.9.1 (native CPU convolution) for the same
deterministic arguments (``_det``), each array summarised as [sum, cosine-weighted
sum, first three values] (``_summary``)."""
import json

import numpy as np
import pytest

import mxcore as mx


def _det(shape, seed):
    return (0.5 * np.sin(0.37 * np.arange(int(np.prod(shape))) + seed)).reshape(shape).astype(np.float32)


def _summary(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    return [a.sum(), (a * np.cos(0.11 * np.arange(a.size))).sum()] + list(a[:3])


CASES = [('ConvRNNCell', {}), ('ConvLSTMCell', {}), ('ConvGRUCell', {}),
         ('ConvLSTMCell', dict(activation='tanh', i2h_kernel=(3, 1), i2h_pad=(0, 0), i2h_stride=(1, 2),
                               h2h_dilate=(2, 1))),
         ('ConvGRUCell', dict(activation='tanh', h2h_kernel=(5, 3), i2h_dilate=(1, 2), i2h_pad=(1, 2)))]

# MXNet 1.9.1, input_shape=(2, 3, 5, 6), num_hidden=2, data (2, 3, 3, 5, 6) NTC, merge_outputs=True:
# (values of [output, states...], gradients of data, i2h_weight, h2h_weight, i2h_bias, h2h_bias
#  for head gradients _det(output k shape, 2 + k), parameter shapes)
EXPECTED = [([[-17.01968, -10.33252, -0.02319, 0.2179, 0.31142], [-3.24132, -1.52187, -0.19976, -0.25717, -0.2257]],
  [[-11.49027, 49.61605, 0.08872, 0.24831, 0.39431], [-1.95567, 16.08543, 2.26521, 0.40024, -1.53965],
   [-0.96932, 7.09497, 1.24593, 2.53978, 3.18059], [-10.30465, -10.26788, -4.22097, -6.08368],
   [-10.30465, -10.26788, -4.22097, -6.08368]],
  [(2, 3, 3, 3), (2,), (2, 2, 3, 3), (2,)]),
 ([[4.0516, 0.94139, -0.00756, -0.00913, -0.00754], [0.72015, 0.10868, -0.00046, 0.00841, 0.00132],
   [-3.51931, 0.15366, -0.00389, 0.01253, 0.00195]],
  [[-0.75769, -2.42973, 0.01945, 0.0532, 0.0725], [0.84494, -1.04896, 0.06308, 0.01552, -0.02002],
   [0.13305, -0.09114, -0.00813, -0.01064, -0.00923], [0.38302, 0.36911, 0.13937, -0.23701, -0.24934],
   [0.38302, 0.36911, 0.13937, -0.23701, -0.24934]],
  [(8, 3, 3, 3), (8,), (8, 2, 3, 3), (8,)]),
 ([[-15.20802, 1.4866, -0.13084, -0.15272, -0.12136], [-7.24384, -0.63159, -0.01975, 0.02618, -0.01684]],
  [[-0.97536, -16.4151, 0.00313, 0.05954, 0.12744], [1.1477, -0.95583, 0.03021, -0.00117, -0.03957],
   [-0.19913, 0.35614, -0.02695, -0.0299, -0.02332], [3.21929, 2.86796, 0.27081, 0.14155, -0.76889],
   [0.96889, 0.8354, 0.27081, 0.14155, -0.76889]],
  [(6, 3, 3, 3), (6,), (6, 2, 3, 3), (6,)]),
 ([[-7.6179, 0.95253, -0.03896, -0.0276, -0.04593], [-3.02223, 0.3185, -0.10874, -0.11472, -0.11411],
   [-6.3295, 0.57842, -0.26948, -0.27127, -0.23823]],
  [[18.68796, -0.09164, 0.01802, 0.0, 0.016], [0.32584, 0.2741, -0.32583, 0.25963, 0.0119],
   [-0.9732, -1.73753, 0.00762, 0.00419, -0.00364], [2.3371, 1.91492, 1.42149, -0.71086, 0.55816],
   [2.3371, 1.91492, 1.42149, -0.71086, 0.55816]],
  [(8, 3, 3, 1), (8,), (8, 2, 3, 3), (8,)]),
 ([[-74.80547, 4.2359, -0.4903, -0.44149, -0.45161], [-19.75345, -4.26515, -0.3803, -0.41612, -0.39674]],
  [[-1.55116, -37.53035, 0.26969, 0.28859, 0.28075], [-2.45037, -2.28284, 0.20035, 0.3564, 0.12055],
   [-1.5654, 0.45042, 0.17003, 0.23818, 0.21615], [-2.18949, -2.2491, -0.49413, 0.98182, 0.15344],
   [-2.09551, -2.10299, -0.49413, 0.98182, 0.15344]],
  [(6, 3, 3, 3), (6,), (6, 2, 5, 3), (6,)])]


def _bind(cls, kw, merge):
    cell = getattr(mx.rnn, cls)(input_shape=(2, 3, 5, 6), num_hidden=2, prefix='c_', **kw)
    outs, states = cell.unroll(3, mx.sym.Variable('data'), layout='NTC', merge_outputs=merge)
    # without repeated heads (the last output is also the first state)
    group = mx.sym.Group([outs] + list(states) if merge else list(outs) + list(states[1:]))
    arg_shapes, _, _ = group.infer_shape(data=(2, 3, 3, 5, 6))
    names = group.list_arguments()
    args = {n: mx.nd.array(_det(s, i + 1)) for i, (n, s) in enumerate(zip(names, arg_shapes))}
    args['data'] = mx.nd.array(_det((2, 3, 3, 5, 6), 0.5))
    grads = {n: mx.nd.zeros(a.shape) for n, a in args.items()}
    ex = group.bind(mx.cpu(), args, args_grad=grads)
    outs = ex.forward(is_train=True)
    ex.backward([mx.nd.array(_det(o.shape, 2.0 + k)) for k, o in enumerate(outs)])
    return cell, group, arg_shapes, [o.asnumpy() for o in outs], grads


@pytest.mark.parametrize('case', range(len(CASES)))
def test_unroll_values_and_gradients_match_mxnet(case):
    cls, kw = CASES[case]
    values, grads, shapes = EXPECTED[case]
    _, group, arg_shapes, outs, got = _bind(cls, kw, True)
    assert group.list_arguments() == ['data', 'c_i2h_weight', 'c_i2h_bias', 'c_h2h_weight', 'c_h2h_bias']
    assert sorted(arg_shapes[1:]) == sorted(shapes)
    for k, (o, want) in enumerate(zip(outs, values)):
        np.testing.assert_allclose(_summary(o), want, rtol=1e-4, atol=2e-4, err_msg='output %d' % k)
    for name, want in zip(('data', 'c_i2h_weight', 'c_h2h_weight', 'c_i2h_bias', 'c_h2h_bias'), grads):
        np.testing.assert_allclose(_summary(got[name].asnumpy()), want, rtol=1e-4, atol=2e-4, err_msg=name)
    # the list of steps (merge_outputs=False) holds the same values
    _, _, _, steps, _ = _bind(cls, kw, False)
    np.testing.assert_allclose(np.stack(steps[:3], axis=1), outs[0], rtol=1e-6)


def test_names_and_shapes_as_mxnet_unit_test():
    # MXNet's tests/python/unittest/test_rnn.py::test_convrnn/convlstm/convgru, with its printed results
    for cls, gates, n_states in (('ConvRNNCell', 1, 1), ('ConvLSTMCell', 4, 2), ('ConvGRUCell', 3, 1)):
        cell = getattr(mx.rnn, cls)(input_shape=(1, 3, 16, 10), num_hidden=10, prefix='rnn_')
        outputs, states = cell.unroll(3, [mx.sym.Variable('rnn_t%d_data' % i) for i in range(3)])
        outputs = mx.sym.Group(outputs)
        assert sorted(cell.params._params) == ['rnn_h2h_bias', 'rnn_h2h_weight', 'rnn_i2h_bias', 'rnn_i2h_weight']
        assert outputs.list_outputs() == ['rnn_t0_out_output', 'rnn_t1_out_output', 'rnn_t2_out_output']
        assert cell.state_info == [{'shape': (0, 10, 16, 10), '__layout__': 'NCHW'}] * n_states
        assert [s.list_outputs()[0] for s in states] == ['rnn_t2_out_output', 'rnn_t2_state_output'][:n_states]
        args, outs, _ = outputs.infer_shape(**{'rnn_t%d_data' % i: (1, 3, 16, 10) for i in range(3)})
        assert outs == [(1, 10, 16, 10)] * 3
        assert dict(zip(outputs.list_arguments(), args))['rnn_i2h_weight'] == (10 * gates, 3, 3, 3)
        assert dict(zip(outputs.list_arguments(), args))['rnn_h2h_weight'] == (10 * gates, 10, 3, 3)


@pytest.mark.parametrize('cls,named', [
    ('ConvLSTMCell', [('Convolution', 'c_t0_i2h'), ('_zeros', 'c_begin_state_0'), ('Convolution', 'c_t0_h2h'),
                      ('SliceChannel', 'c_t0_slice'), ('Activation', 'c_t0_o'), ('Activation', 'c_t0_f'),
                      ('_zeros', 'c_begin_state_1'), ('Activation', 'c_t0_i'), ('LeakyReLU', 'c_t0_c'),
                      ('elemwise_add', 'c_t0_state'), ('elemwise_mul', 'c_t0_out')]),
    ('ConvGRUCell', [('Convolution', 'c_t0_i2h'), ('SliceChannel', 'c_t0__i2h_slice'), ('_zeros', 'c_begin_state_0'),
                     ('Convolution', 'c_t0_h2h'), ('SliceChannel', 'c_t0__h2h_slice'), ('Activation', 'c_t0__z_act'),
                     ('Activation', 'c_t0__r_act'), ('LeakyReLU', 'c_t0__h_act'), ('elemwise_add', 'c_t0_out')]),
])
def test_step_nodes_as_mxnet(cls, named):
    """The first step's named nodes in MXNet 1.9.1's symbol JSON, in its order."""
    cell = getattr(mx.rnn, cls)(input_shape=(2, 3, 5, 6), num_hidden=2, prefix='c_')
    outs, _ = cell.unroll(3, mx.sym.Variable('data'), layout='NTC')
    nodes = json.loads(mx.sym.Group(outs).tojson())['nodes']
    assert [(n['op'], n['name']) for n in nodes if n['name'].startswith(('c_t0', 'c_begin'))] == named


def test_unpack_pack_weights_and_bad_arguments():
    cell = mx.rnn.ConvLSTMCell(input_shape=(1, 3, 8, 8), num_hidden=2, prefix='c_')
    args = {'c_i2h_weight': mx.nd.array(_det((8, 3, 3, 3), 1)), 'c_i2h_bias': mx.nd.array(_det((8,), 2)),
            'c_h2h_weight': mx.nd.array(_det((8, 2, 3, 3), 3)), 'c_h2h_bias': mx.nd.array(_det((8,), 4))}
    unpacked = cell.unpack_weights(args)
    assert sorted(unpacked) == sorted('c_%s%s_%s' % (g, s, k) for g in ('i2h', 'h2h') for s in ('_i', '_f', '_c', '_o')
                                      for k in ('weight', 'bias'))
    assert unpacked['c_h2h_f_weight'].shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(unpacked['c_i2h_c_weight'].asnumpy(), args['c_i2h_weight'].asnumpy()[4:6])
    packed = cell.pack_weights(unpacked)
    for k, v in args.items():
        np.testing.assert_array_equal(packed[k].asnumpy(), v.asnumpy())
    with pytest.raises(AssertionError, match='ConvGRUCell: h2h_kernel must be odd'):
        mx.rnn.ConvGRUCell(input_shape=(1, 3, 8, 8), num_hidden=2, h2h_kernel=(2, 3))
    with pytest.raises(ValueError, match=r'ConvRNNCell: input_shape must be one step of data in NCHW, batch '
                                         r'included \(4 values\)'):
        mx.rnn.ConvRNNCell(input_shape=(3, 8, 8), num_hidden=2)
    with pytest.raises(NotImplementedError):
        mx.rnn.BaseConvRNNCell((1, 3, 8, 8), 2, (3, 3), (1, 1), (3, 3), (1, 1), (1, 1), (1, 1), None, None,
                               'zeros', 'zeros', 'tanh')(mx.sym.var('x'), [mx.sym.var('h')])


def test_channel_last_equals_channel_first():
    """MXNet 1.9.1's CPU convolution cannot run NHWC; ours equals the NCHW cell transposed."""
    first = mx.rnn.ConvLSTMCell(input_shape=(2, 3, 5, 6), num_hidden=2, prefix='a_', activation='tanh')
    last = mx.rnn.ConvLSTMCell(input_shape=(2, 5, 6, 3), num_hidden=2, prefix='a_', activation='tanh',
                               conv_layout='NHWC')
    assert last.state_info[0]['shape'] == (0, 5, 6, 2)
    x = _det((2, 3, 3, 5, 6), 0.5)
    res = []
    for cell, data in ((first, x), (last, x.transpose(0, 1, 3, 4, 2))):
        out, states = cell.unroll(3, mx.sym.Variable('data'), layout='NTC', merge_outputs=True)
        group = mx.sym.Group([out, states[1]])
        shapes, _, _ = group.infer_shape(data=data.shape)
        args = {n: mx.nd.array(_det(s, i)) for i, (n, s) in enumerate(zip(group.list_arguments(), shapes))}
        if cell is last:  # the same weights, channel-last
            for n in ('a_i2h_weight', 'a_h2h_weight'):
                args[n] = mx.nd.array(res[1][n].asnumpy().transpose(0, 2, 3, 1))
        args['data'] = mx.nd.array(data)
        res = [group.bind(mx.cpu(), args).forward(), args]
        if cell is first:
            want = [o.asnumpy() for o in res[0]]
    np.testing.assert_allclose(res[0][0].asnumpy().transpose(0, 1, 4, 2, 3), want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[0][1].asnumpy().transpose(0, 3, 1, 2), want[1], rtol=1e-5, atol=1e-6)
