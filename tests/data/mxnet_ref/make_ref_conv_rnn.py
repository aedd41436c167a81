"""Run under MXNet 1.9.1 (MXNET_MKLDNN_ENABLED=0: its oneDNN path rejects some convolutions):
writes conv_rnn-symbol.json / -0000.params, a hybridized Gluon block of a
Conv2DGRUCell unroll feeding a Conv2DLSTMCell unroll (begin states are
``_zeros(shape=(0, C, H, W))`` feeding the h2h Convolution), and conv_rnn-io.params
with an input x and MXNet's output y."""
import os

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class Net(mx.gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.cell = mx.gluon.contrib.rnn.Conv2DGRUCell((2, 4, 4), 3, 3, 3, i2h_pad=1)
            self.cell2 = mx.gluon.contrib.rnn.Conv2DLSTMCell((3, 4, 4), 2, 3, 3, i2h_pad=1)

    def hybrid_forward(self, F, x):
        out, _ = self.cell.unroll(3, x, merge_outputs=True)
        out, states = self.cell2.unroll(3, out, merge_outputs=True)
        return F.broadcast_add(out, F.sum(states[1]))


mx.random.seed(0)
net = Net(prefix='n_')
net.initialize(mx.init.Uniform(0.3))
net.hybridize()
x = mx.nd.array(np.sin(np.arange(2 * 3 * 2 * 4 * 4)).reshape(2, 3, 2, 4, 4))
y = net(x)
net.export(os.path.join(HERE, 'conv_rnn'))
mx.nd.save(os.path.join(HERE, 'conv_rnn-io.params'), {'x': x, 'y': y})
