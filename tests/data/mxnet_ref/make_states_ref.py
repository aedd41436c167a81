"""Generates trainer_{sgd,adam}.states with MXNet 1.9.1 itself (ONCE, never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_states_ref.py

A Dense(2, in_units=3) at Constant(0.5), 3 Trainer steps on sum(net(x)**2) with
x = arange(12).reshape(4, 3) / 10, then save_states: MXNet's pickle of
(states, optimizer). states_ref.json holds the update counts, the states and the
weight after one more step from a fresh net that loaded the file.
Read by tests/python/test_compat6_optimizers.py.
"""
import json
import os

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd

here = os.path.dirname(os.path.abspath(__file__))
CFG = {'sgd': {'learning_rate': 0.1, 'momentum': 0.9}, 'adam': {'learning_rate': 0.1}}
x = nd.array(np.arange(12).reshape(4, 3) / 10.0)


def trainer(name):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    return net, gluon.Trainer(net.collect_params(), name, dict(CFG[name]))


def step(net, tr):
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    tr.step(4)


ref = {}
for name in CFG:
    net, tr = trainer(name)
    for _ in range(3):
        step(net, tr)
    path = os.path.join(here, 'trainer_%s.states' % name)
    tr.save_states(path)
    net, tr = trainer(name)
    tr.load_states(path)
    st = tr._updaters[0].states
    ref[name] = {'counts': {str(k): v for k, v in tr._optimizer._index_update_count.items()},
                 'states': {str(k): [a.asnumpy().tolist() for a in (v if isinstance(v, tuple) else (v,))]
                            for k, v in st.items()}}
    step(net, tr)
    ref[name]['weight'] = net.weight.data().asnumpy().tolist()
    ref[name]['bias'] = net.bias.data().asnumpy().tolist()
json.dump(ref, open(os.path.join(here, 'states_ref.json'), 'w'), indent=1)
