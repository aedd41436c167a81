"""Gluon child registration, as MXNet 1.9.1 behaves: stale-cache invalidation when
children change, warnings for unregistered containers of Blocks and for all-hybrid
Sequentials, summary() refusing hybridized blocks, Parameter stype validation."""
import warnings

import pytest

from mxcore import gluon, nd
from mxcore.gluon import nn


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        fn()
    return [str(x.message) for x in w]


def test_add_to_hybridized_sequential_retraces():
    net = nn.HybridSequential()
    net.add(nn.Dense(10, weight_initializer='zeros', bias_initializer='ones', flatten=False))
    net.hybridize()
    net.initialize()
    assert net(nd.ones((2, 3, 5))).shape == (2, 3, 10)
    net.add(nn.Flatten())
    assert net(nd.ones((2, 3, 5))).shape == (2, 30)  # MXNet 1.9.1: (2, 30)


def test_replacing_child_attribute_retraces():
    net = nn.HybridSequential()
    with net.name_scope():
        net.fc1 = nn.Dense(10, weight_initializer='zeros', bias_initializer='ones', flatten=False)
        net.fc2 = nn.Dense(10, weight_initializer='zeros', bias_initializer='ones', flatten=False)
    net.hybridize()
    net.initialize()
    assert net(nd.ones((2, 3, 5))).shape == (2, 3, 10)
    net.fc2 = nn.Dense(10, weight_initializer='zeros', bias_initializer='ones', flatten=True)
    net.initialize()
    out = net(nd.ones((2, 3, 5)))
    assert out.shape == (2, 10)  # MXNet 1.9.1: (2, 10), all ones (zero weights, unit bias)
    assert (out.asnumpy() == 1).all()


class _ListModel(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.layers = [nn.Dense(10), nn.Dense(20)]


class _DictModel(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.layers = {'a': [nn.Dense(10)]}


class _PlainDictModel(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data = {'a': '4', 'b': 123}


class _SeqModel(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.layers = nn.Sequential()
        self.layers.add(nn.Dense(10), nn.Dense(20))


def test_unregistered_container_of_blocks_warns():
    msgs = _warnings_of(lambda: _ListModel().collect_params())
    assert len(msgs) == 1 and '_ListModel.layers' in msgs[0] and 'unregistered container' in msgs[0]
    assert len(_warnings_of(lambda: _DictModel().collect_params())) == 1
    assert _warnings_of(lambda: _PlainDictModel().collect_params()) == []
    assert _warnings_of(lambda: _SeqModel().collect_params()) == []


def test_sequential_of_hybrid_blocks_warns_on_hybridize():
    seq = nn.Sequential()
    seq.add(nn.Dense(20))
    msgs = _warnings_of(seq.hybridize)
    assert len(msgs) == 1 and 'HybridSequential' in msgs[0]
    hseq = nn.HybridSequential()
    hseq.add(nn.Dense(20))
    assert _warnings_of(hseq.hybridize) == []
    assert _warnings_of(nn.Sequential().hybridize) == []  # no children: no advice


def test_summary_refuses_hybridized_block():
    net = nn.HybridSequential()
    net.add(nn.Dense(4))
    net.initialize()
    net.summary(nd.ones((2, 3)))
    net.hybridize()
    with pytest.raises(AssertionError, match='must not be hybridized'):
        net.summary(nd.ones((2, 3)))


@pytest.mark.parametrize('kw', ['stype', 'grad_stype'])
def test_parameter_rejects_unknown_stype(kw):
    with pytest.raises(AssertionError, match="must be one of 'default', 'row_sparse', or 'csr'"):
        gluon.Parameter('weight', shape=(10, 10), **{kw: 'invalid'})
    gluon.Parameter('weight', shape=(10, 10), **{kw: 'default'})
