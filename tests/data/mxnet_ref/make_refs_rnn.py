"""Generates the MXNet 1.9.1 reference files of the fused RNN layers' newer
options (run ONCE with MXNet itself, like make_refs.py; never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_rnn.py

  lstmp-*       rnn.LSTM(6, num_layers=2, bidirectional=True, projection_size=3,
                input_size=4), hybridized and called with data only, exported: MXNet's
                graph inputs are data0 (data), data1, data2 (the begin states);
                lstmp-io.params holds x, h0, c0 and y = the imported graph's output
                for them; lstmp-gluon.params is save_parameters() of the layer
  lstm_len-*    rnn.LSTM(5, bidirectional=True, use_sequence_length=True,
                input_size=3) exported the same way (inputs data0, data1, data2 = the
                states, data3 = sequence_length); io: x, h0, c0, len (full lengths:
                MXNet 1.9.1's CPU kernel ignores sequence_length, so only full lengths
                give values that its GPU kernel, and mxcore, agree with) and y.
                (A GRU with use_sequence_length cannot be hybridized in MXNet 1.9.1:
                its symbol call passes the lengths where RNN's state_cell would be.)
"""
import os

import mxnet as mx
import numpy as np
from mxnet import gluon, nd
from mxnet.gluon import rnn

HERE = os.path.dirname(os.path.abspath(__file__))
mx.random.seed(2)
np.random.seed(2)


def p(name):
    return os.path.join(HERE, name)


lstm = rnn.LSTM(6, num_layers=2, bidirectional=True, projection_size=3, input_size=4)
lstm.initialize(mx.init.Uniform(0.4))
lstm.hybridize()
x = nd.random.uniform(-1, 1, shape=(5, 2, 4))
lstm(x)
lstm.export(p("lstmp"), 0)
lstm.save_parameters(p("lstmp-gluon.params"))
h0 = nd.random.uniform(-0.5, 0.5, shape=(4, 2, 3))
c0 = nd.random.uniform(-0.5, 0.5, shape=(4, 2, 6))
net = gluon.SymbolBlock.imports(p("lstmp-symbol.json"), ["data0", "data1", "data2"], p("lstmp-0000.params"))
nd.save(p("lstmp-io.params"), {"x": x, "h0": h0, "c0": c0, "y": net(x, h0, c0)})

seq = rnn.LSTM(5, bidirectional=True, use_sequence_length=True, input_size=3)
seq.initialize(mx.init.Uniform(0.4))
seq.hybridize()
xs = nd.random.uniform(-1, 1, shape=(4, 3, 3))
lens = nd.array([4, 4, 4])
seq(xs, sequence_length=lens)
seq.export(p("lstm_len"), 0)
hs = nd.random.uniform(-0.5, 0.5, shape=(2, 3, 5))
cs = nd.random.uniform(-0.5, 0.5, shape=(2, 3, 5))
net = gluon.SymbolBlock.imports(p("lstm_len-symbol.json"), ["data0", "data1", "data2", "data3"],
                                p("lstm_len-0000.params"))
nd.save(p("lstm_len-io.params"), {"x": xs, "h0": hs, "c0": cs, "len": lens, "y": net(xs, hs, cs, lens)})
print("written to", HERE)
