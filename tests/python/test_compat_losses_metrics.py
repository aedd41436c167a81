"""MXNet 1.9.1 compatibility of gluon losses, metrics, Trainer, optimizers and Parameters.

Every expected number below was printed by MXNet 1.9.1 (pip mxnet==1.9.1, numpy 1.23.5)
running the same code on the same numpy.random.RandomState inputs."""
import os
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd as ag
from mxcore import gluon, nd


def _inputs():
    rs = np.random.RandomState(0)
    return rs.randn(4, 5).astype('f'), rs.randn(4, 5).astype('f')


def test_kldiv_sums_over_classes():
    p, l = _inputs()
    x = nd.array(p)
    x.attach_grad()
    with ag.record():
        out = gluon.loss.KLDivLoss()(nd.log_softmax(x), nd.softmax(nd.array(l)))
    out.backward()
    # MXNet 1.9.1 values
    np.testing.assert_allclose(out.asnumpy(), [0.7387033, 0.4241177, 0.1774492, 0.2767518],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), [
        [0.2202891, -0.0746479, -0.0605055, 0.3307418, -0.4158803],
        [0.0393279, 0.3205639, 0.0631382, -0.2729557, -0.1500729],
        [-0.1881905, 0.0411825, 0.102531, 0.0744941, -0.0300158],
        [0.0398198, 0.1601734, -0.2601277, 0.0889695, -0.0288352]], rtol=1e-4, atol=1e-6)
    # SDMLLoss builds on KLDivLoss (MXNet 1.9.1 values)
    np.testing.assert_allclose(gluon.loss.SDMLLoss()(nd.array(p), nd.array(l)).asnumpy(),
                               [11.707158, 0.7920078, 6.401193, 2.2586327], rtol=1e-4)


def test_cosine_embedding_shape_and_grad():
    p, l = _inputs()
    x = nd.array(p)
    x.attach_grad()
    with ag.record():
        out = gluon.loss.CosineEmbeddingLoss(margin=0.2)(x, nd.array(l), nd.array([1, -1, 1, -1]))
    out.backward()
    assert out.shape == (4, 1)   # MXNet 1.9.1
    np.testing.assert_allclose(out.asnumpy().ravel(), [1.0627894, 0.3232651, 1.1303979, 0.3531151],
                               rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), [
        [0.1867428, -0.0520083, -0.0709986, 0.0457696, -0.1829599],
        [-0.1443827, -0.2289929, -0.0120856, 0.4400254, 0.2923812],
        [-0.0469243, -0.1636548, 0.1981767, 0.5123985, 0.0711747],
        [-0.0088704, 0.1249858, 0.4088203, -0.1742094, 0.0531164]], rtol=1e-4, atol=1e-6)
    # 3-D inputs: one row per vector pair, as MXNet's reshape((-1, 1))
    rs = np.random.RandomState(1)
    lf = gluon.loss.CosineEmbeddingLoss()
    assert lf(nd.array(rs.randn(2, 3, 4)), nd.array(rs.randn(2, 3, 4)),
              nd.array([1, -1, 1, 1, -1, 1])).shape == (6, 1)
    lf.hybridize()
    assert lf(nd.array(p), nd.array(l), nd.array([1, -1, 1, -1])).shape == (4, 1)


def _batches(kind, rs):
    res = []
    for b in range(3):
        n = 6 + b
        if kind == 'bin':
            lab, pred = rs.randint(0, 2, n).astype('f'), rs.rand(n, 2).astype('f')
        elif kind == 'multi':
            lab, pred = rs.randint(0, 3 + b, n).astype('f'), rs.rand(n, 3 + b).astype('f')
        else:
            lab = rs.randn(n).astype('f')
            pred = (lab + rs.randn(n)).astype('f')
        res.append(([nd.array(lab)], [nd.array(pred)]))
    return res


def _trace(metric, kind, rs):
    """(local, global) after each of 3 updates (reset_local after the 2nd), after reset,
    and after one more update."""
    bs = _batches(kind, rs)
    rec = []
    for i, (lab, pred) in enumerate(bs):
        metric.update(lab, pred)
        rec.append((metric.get()[1], metric.get_global()[1]))
        if i == 1:
            metric.reset_local()
            rec.append((metric.get()[1], metric.get_global()[1]))
    metric.reset()
    rec.append((metric.get()[1], metric.get_global()[1]))
    metric.update(*bs[0])
    rec.append((metric.get()[1], metric.get_global()[1]))
    return np.array(rec, dtype='float64')


NAN = float('nan')
# MXNet 1.9.1 traces; the RandomState(1) stream is consumed in this order
_METRIC_CASES = [
    (lambda: mx.metric.MCC(average='macro'), 'bin',
     [[-0.25, -0.25], [-0.079356, -0.079356], [NAN, -0.079356], [-0.066667, -0.075127], [NAN, NAN], [-0.25, -0.25]]),
    (lambda: mx.metric.F1(average='macro'), 'bin',
     [[0.571429, 0.571429], [0.685714, 0.685714], [NAN, 0.685714], [0.333333, 0.568254], [NAN, NAN], [0.571429, 0.571429]]),
    (lambda: mx.metric.PearsonCorrelation(average='macro'), 'reg',
     [[0.240811, 0.240811], [0.516871, 0.516871], [NAN, 0.516871], [0.638884, 0.557542], [NAN, NAN], [0.240811, 0.240811]]),
    (lambda: mx.metric.MCC(average='micro'), 'bin',
     [[0.0, 0.0], [0.09759, 0.09759], [NAN, 0.09759], [0.6, 0.236364], [NAN, NAN], [0.0, 0.0]]),
    (lambda: mx.metric.F1(average='micro'), 'bin',
     [[0.666667, 0.666667], [0.666667, 0.666667], [NAN, 0.666667], [0.727273, 0.692308], [NAN, NAN], [0.666667, 0.666667]]),
    # MXNet's micro Pearson reports 0.0 from get_global (its global sum is never filled)
    (lambda: mx.metric.PearsonCorrelation(average='micro'), 'reg',
     [[0.886895, 0.0], [0.857719, 0.0], [NAN, 0.0], [0.850967, 0.0], [NAN, NAN], [0.886895, 0.0]]),
    (lambda: mx.metric.PCC(), 'bin',
     [[0.25, 0.25], [-0.140859, -0.140859], [NAN, -0.140859], [-0.333333, -0.193649], [NAN, NAN], [0.25, 0.25]]),
    (lambda: mx.metric.PCC(), 'multi',
     [[0.181818, 0.181818], [0.176777, 0.176777], [NAN, 0.176777], [0.083333, 0.167668], [NAN, NAN], [0.181818, 0.181818]]),
    (lambda: mx.metric.create('pcc'), 'multi',
     [[0.533002, 0.533002], [0.033898, 0.033898], [NAN, 0.033898], [0.044721, 0.034972], [NAN, NAN], [0.533002, 0.533002]]),
    (lambda: mx.metric.create('mcc'), 'bin',
     [[0.447214, 0.447214], [0.140273, 0.140273], [NAN, 0.140273], [-0.258199, 0.007449], [NAN, NAN], [0.447214, 0.447214]]),
    (lambda: mx.metric.create('pearsonr'), 'reg',
     [[0.039565, 0.039565], [0.477475, 0.477475], [NAN, 0.477475], [0.921819, 0.625589], [NAN, NAN], [0.039565, 0.039565]]),
    (lambda: mx.metric.create('nll_loss'), 'multi',
     [[0.599202, 0.599202], [0.662007, 0.662007], [NAN, 0.662007], [1.253209, 0.887226], [NAN, NAN], [0.599202, 0.599202]]),
]


def test_metric_local_global_traces():
    rs = np.random.RandomState(1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for make, kind, want in _METRIC_CASES:
            got = _trace(make(), kind, rs)
            np.testing.assert_allclose(got, np.array(want), atol=2e-6, equal_nan=True)


def test_metric_names_and_np_factory():
    names = [mx.metric.create(n).name for n in
             ['acc', 'f1', 'mcc', 'pcc', 'pearsonr', 'nll_loss', 'ce', 'mae', 'torch', 'caffe']]
    assert names == ['accuracy', 'f1', 'mcc', 'pcc', 'pearsonr', 'nll-loss', 'cross-entropy',
                     'mae', 'torch', 'caffe']
    assert isinstance(mx.metric.create('nll_loss'), mx.metric.NegativeLogLikelihood)
    m = mx.metric.np(lambda a, b: float((a == b.argmax(1)).mean()))
    assert isinstance(m, mx.metric.CustomMetric) and m.name == 'custom(<lambda>)'
    m.update([nd.array([0, 1, 1])], [nd.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])])
    assert abs(m.get()[1] - 2 / 3) < 1e-12
    assert str(m) == "EvalMetric: {'custom(<lambda>)': 0.6666666666666666}"

    def myfn(label, pred):
        return (1.0, 2)
    m = mx.metric.np(myfn)
    m.update([nd.array([0, 1])], [nd.array([[1, 0], [0, 1]])])
    assert m.get() == ('myfn', 0.5)
    with pytest.raises(NotImplementedError):
        m.get_config()
    # MXNet docstring example: MCC (and PCC) 0.01917751877733392, F1 0.95233560306652054
    fp, fn, tp, tn = 1000, 1, 10000, 1
    pred = [nd.array([[.3, .7]] * fp + [[.7, .3]] * tn + [[.7, .3]] * fn + [[.3, .7]] * tp)]
    lab = [nd.array([0.] * (fp + tn) + [1.] * (fn + tp))]
    for cls, want in ((mx.metric.MCC, 0.01917751877733392), (mx.metric.PCC, 0.01917751877733392),
                      (mx.metric.F1, 0.95233560306652054)):
        m = cls()
        m.update(lab, pred)
        assert abs(m.get()[1] - want) < 1e-9


def _net():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.One())
    return net


def _fwd_bwd(net, x, bias=True):
    with ag.record():
        y = net(x) if bias else nd.dot(x, net.weight.data().T)
    y.backward()


def test_trainer_stale_gradients():
    x = nd.ones((2, 3))
    net = _net()
    tr = gluon.Trainer(net.collect_params(), 'sgd')
    # MXNet 1.9.1: sorted parameter names, so the bias is reported first
    with pytest.raises(UserWarning, match=r'Gradient of Parameter `.*_bias` on context cpu\(0\) '
                                          r'has not been updated by backward since last `step`'):
        tr.step(1)
    tr.step(1, ignore_stale_grad=True)
    assert (net.weight.data().asnumpy() == 1).all()
    _fwd_bwd(net, x)
    tr.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), 0.98)   # MXNet 1.9.1
    with pytest.raises(UserWarning):
        tr.step(1)               # no backward since the last step
    tr.step(1, ignore_stale_grad=True)
    np.testing.assert_allclose(net.weight.data().asnumpy(), 0.98)
    _fwd_bwd(net, x, bias=False)  # the bias is not in the graph
    with pytest.raises(UserWarning, match='_bias'):
        tr.step(1)
    tr.step(1, ignore_stale_grad=True)
    np.testing.assert_allclose(net.weight.data().asnumpy(), 0.96, rtol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), [-0.02, -0.02], rtol=1e-6)
    # used, then unused: the bias keeps its value
    _fwd_bwd(net, x)
    tr.step(1)
    _fwd_bwd(net, x, bias=False)
    tr.step(1, ignore_stale_grad=True)
    np.testing.assert_allclose(net.bias.data().asnumpy(), [-0.04, -0.04], rtol=1e-6)
    # two backward passes between steps, gradient accumulation, update()
    _fwd_bwd(net, x)
    _fwd_bwd(net, x)
    tr.step(1)
    net.collect_params().setattr('grad_req', 'add')
    tr2 = gluon.Trainer(net.collect_params(), 'sgd')
    _fwd_bwd(net, x)
    _fwd_bwd(net, x)
    tr2.step(1)
    _fwd_bwd(net, x, bias=False)
    with pytest.raises(UserWarning, match='_bias'):
        tr2.step(1)
    net = _net()
    tr = gluon.Trainer(net.collect_params(), 'sgd')
    with pytest.raises(UserWarning):
        tr.update(1)
    _fwd_bwd(net, x)
    tr.allreduce_grads()
    tr.update(1)


def _lr_run(opt, params, steps=5, bs=2):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(4, in_units=3, activation='tanh'), gluon.nn.Dense(2, in_units=4))
    net.initialize()
    rs = np.random.RandomState(3)
    order = [net[0].bias, net[0].weight, net[1].bias, net[1].weight]   # sorted names
    for q in order:
        q.set_data(nd.array(rs.uniform(-1, 1, q.shape)))
    tr = gluon.Trainer(net.collect_params(), opt, params)
    x, y = nd.array(rs.randn(bs, 3)), nd.array(rs.randn(bs, 2))
    lrs = [tr.learning_rate]
    for _ in range(steps):
        with ag.record():
            loss = ((net(x) - y) ** 2).sum()
        loss.backward()
        tr.step(bs)
        lrs.append(tr.learning_rate)
    return lrs, [q.data().asnumpy().ravel() for q in order]


def test_lr_scheduler_base_lr(capsys):
    fs = mx.lr_scheduler.FactorScheduler
    # MXNet 1.9.1: the scheduler's base_lr is the rate when learning_rate is not given
    lrs, _ = _lr_run('sgd', {'lr_scheduler': fs(2, 0.5, base_lr=0.3)})
    np.testing.assert_allclose(lrs, [0.3, 0.3, 0.3, 0.15, 0.15, 0.075])
    lrs, _ = _lr_run('sgd', {'lr_scheduler': fs(2, 0.5, base_lr=0.3), 'learning_rate': 0.1})
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    assert 'learning rate from ``lr_scheduler`` has been overwritten' in capsys.readouterr().out
    opt = mx.optimizer.SGD(lr_scheduler=fs(2, 0.5, base_lr=0.3))
    assert opt.learning_rate == 0.3 and opt.lr is None
    assert mx.optimizer.SGD().learning_rate == 0.01


_LARS = [
    ({'momentum': 0.9, 'wd': 0.01, 'learning_rate': 0.5, 'eta': 0.01}, [0.5] * 6,
     [[0.1031249, 0.4096869, -0.4211871, 0.0601432],
      [0.7912866, 0.7890553, -0.7555119, -0.5683967, -0.8864807, -0.1293541, -0.9242891,
       -0.081926, 0.2855495, -0.540562, 0.2927302, 0.2456275],
      [-0.9210107, 0.172082],
      [-0.5076134, -0.1476834, -0.4098084, 0.3992882, -0.1589379, -0.648059, 0.1182992, 0.5765103]]),
    ({'momentum': 0.9, 'sched': True, 'eta': 0.1}, [0.3, 0.3, 0.3, 0.15, 0.15, 0.075],
     [[0.117966, 0.3929438, -0.4250003, 0.1406519],
      [0.8065956, 0.7703483, -0.7797738, -0.5255992, -0.8649969, -0.1597936, -0.891365,
       -0.0773872, 0.2559039, -0.7581048, 0.1821048, 0.3986285],
      [-0.8559033, 0.2913834],
      [-0.5639282, -0.1031775, -0.3580457, 0.4358218, -0.244477, -0.5696486, 0.182899, 0.6229393]]),
    ({'sched': True, 'eta': 0.1, 'eps': 0.1, 'clip_gradient': 0.5}, [0.3, 0.3, 0.3, 0.15, 0.15, 0.075],
     [[0.1038654, 0.4070231, -0.4224334, 0.0417521],
      [0.7941444, 0.7880734, -0.75899, -0.5610019, -0.8823327, -0.1345179, -0.9184295,
       -0.0802634, 0.2804075, -0.4884011, 0.3071341, 0.2271013],
      [-0.9324971, 0.1372474],
      [-0.4966491, -0.1546436, -0.4177959, 0.4014298, -0.1342465, -0.6711105, 0.104452, 0.5757836]]),
]


@pytest.mark.parametrize('cfg,want_lrs,want', _LARS)
def test_lars_matches_mxnet(cfg, want_lrs, want):
    cfg = dict(cfg)
    if cfg.pop('sched', False):
        cfg['lr_scheduler'] = mx.lr_scheduler.FactorScheduler(2, 0.5, base_lr=0.3)
    lrs, ws = _lr_run('lars', cfg)   # MXNet 1.9.1 values after 5 steps
    np.testing.assert_allclose(lrs, want_lrs)
    for w, ref in zip(ws, want):
        np.testing.assert_allclose(w, ref, rtol=2e-5, atol=2e-6)
    assert isinstance(mx.optimizer.create('lars'), mx.optimizer.LARS)


def test_load_parameters_dtype(tmp_path):
    f32 = str(tmp_path / 'a.params')
    net = gluon.nn.Dense(3, in_units=2)
    net.initialize()
    net.save_parameters(f32)
    n2 = gluon.nn.Dense(3, in_units=2)
    n2.initialize()
    n2.cast('float64')
    # MXNet 1.9.1 message
    with pytest.raises(AssertionError, match=r"dtype incompatible expected float64 vs saved "
                                             r"<class 'numpy.float32'>. Set cast_dtype=True"):
        n2.load_parameters(f32)
    n2.load_parameters(f32, cast_dtype=True)
    assert n2.weight.dtype == 'float64' and n2.weight.data().dtype == np.float64
    np.testing.assert_allclose(n2.weight.data().asnumpy(), net.weight.data().asnumpy())
    n3 = gluon.nn.Dense(3, in_units=2)
    n3.initialize()
    n3.cast('float64')
    n3.load_parameters(f32, cast_dtype=True, dtype_source='saved')
    assert n3.weight.dtype is np.float32 and n3.weight.data().dtype == np.float32
    n4 = gluon.nn.Dense(3, in_units=2)   # not initialized: deferred load
    n4.cast('float64')
    n4.load_parameters(f32, cast_dtype=True)
    assert n4.weight.data().dtype == np.float64
    seq = gluon.nn.Sequential()
    seq.add(gluon.nn.Dense(3, in_units=2), gluon.nn.BatchNorm(in_channels=3))
    seq.initialize()
    fs = str(tmp_path / 's.params')
    seq.save_parameters(fs)
    s2 = gluon.nn.Sequential()
    s2.add(gluon.nn.Dense(3, in_units=2), gluon.nn.BatchNorm(in_channels=3),
           gluon.nn.Dense(2, in_units=3))
    s2.initialize()
    with pytest.raises(AssertionError, match=r"Parameter '2.weight' is missing in file"):
        s2.load_parameters(fs)   # MXNet 1.9.1: AssertionError


def test_parameter_var_and_dtype():
    p = gluon.Parameter('w', shape=(2, 3), lr_mult=2.0, init=mx.init.Zero())
    v = p.var()
    assert p.var() is v and v.name == 'w'
    attrs = v.list_attr()
    # MXNet 1.9.1 attributes (its __shape__ reads '(2, 3)')
    assert attrs['__dtype__'] == '0' and attrs['__lr_mult__'] == '2.0'
    assert attrs['__wd_mult__'] == '1.0' and attrs['__init__'] == '["zero", {}]'
    assert attrs['__storage_type__'] == '0'
    assert gluon.Parameter('b', shape=(4,), dtype='float16').var().list_attr()['__dtype__'] == '2'
    assert gluon.Parameter('q').dtype is np.float32   # MXNet's mx_real_t
    assert gluon.nn.Dense(2, in_units=2).weight.dtype == 'float32'


def test_split_data_uneven():
    # MXNet 1.9.1 sizes
    sizes = lambda n, k, **kw: [s.shape[kw.get('batch_axis', 0)] for s in
                                gluon.utils.split_data(nd.ones((n, 2)) if not kw else
                                                       nd.ones((2, n)), k, even_split=False, **kw)]
    assert sizes(6, 4) == [2, 2, 1, 1]
    assert sizes(10, 4) == [3, 3, 2, 2]
    assert sizes(7, 3) == [3, 2, 2]
    assert sizes(3, 5) == [1, 1, 1, 0, 0]
    assert sizes(6, 4, batch_axis=1) == [2, 2, 1, 1]
    parts = gluon.utils.split_data(nd.arange(6), 4, even_split=False)
    assert [q.asnumpy().tolist() for q in parts] == [[0, 1], [2, 3], [4], [5]]
    ctxs = [mx.cpu(i) for i in range(4)]
    assert [q.shape[0] for q in gluon.utils.split_and_load(nd.ones((6, 2)), ctxs,
                                                           even_split=False)] == [2, 2, 1, 1]
    with pytest.raises(ValueError):
        gluon.utils.split_data(nd.ones((6, 2)), 4)


def test_metric_create_from_json_config_round_trips():
    """mx.metric.create(json.dumps(m.get_config())) rebuilds the metric, composites
    included (their config lists the children, as MXNet 1.9.1's does)."""
    import json
    comp = mx.metric.create(["acc", "f1"])
    # json.dumps(get_config()) printed by MXNet 1.9.1
    want = ('{"metric": "CompositeEvalMetric", "name": "composite", "output_names": null, "label_names": null, '
            '"metrics": [{"axis": 1, "metric": "Accuracy", "name": "accuracy", "output_names": null, '
            '"label_names": null}, {"metric": "F1", "name": "f1", "output_names": null, "label_names": null}]}')
    assert json.loads(json.dumps(comp.get_config())) == json.loads(want)
    again = mx.metric.create(json.dumps(comp.get_config()))
    assert isinstance(again, mx.metric.CompositeEvalMetric) and again.get_config() == comp.get_config()
    acc = mx.metric.create(json.dumps(mx.metric.create("acc", axis=0).get_config()))
    assert acc.get_config() == {"axis": 0, "metric": "Accuracy", "name": "accuracy", "output_names": None,
                                "label_names": None}
    assert mx.metric.create('["acc", {"axis": 0}]').get_config()["axis"] == 0
