"""MXNet 1.9.1 reference for row_sparse gradients of masked (padding) indices (run ONCE with MXNet):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_sparse_pad.py > tests/data/mxnet_ref/sparse_pad_ref.json

Embedding(sparse_grad=True) with index 0 as padding masked out of the loss: MXNet's gradient rows are
the batch's indices, padding included, so its lazy Adam / momentum-SGD updates still touch row 0.
Records each step's gradient rows and the final weight (tests/python/sparse/test_sparse_training.py)."""
import json

import numpy as np
from mxnet import autograd, gluon, nd

W0 = (np.arange(40, dtype=np.float32).reshape(10, 4) / 40.0 - 0.5)
batches = [np.array([[1, 3, 0], [3, 7, 0]]), np.array([[0, 1, 0], [9, 9, 0]]), np.array([[3, 5, 0], [2, 0, 0]])]
out = {}
for opt, params in [("adam", {"learning_rate": 0.1}), ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.1})]:
    net = gluon.nn.Embedding(10, 4, sparse_grad=True)
    net.initialize()
    net.weight.set_data(nd.array(W0))
    tr = gluon.Trainer(net.collect_params(), opt, params)
    rows = []
    for b in batches:
        x = nd.array(b)
        with autograd.record():
            y = net(x)
            mask = (x != 0).expand_dims(2)  # index 0 is padding: masked out of the loss
            loss = ((y * y).sum(axis=2, keepdims=True) * mask).sum()
        loss.backward()
        rows.append(net.weight.grad().indices.asnumpy().tolist())
        tr.step(2)
    out[opt] = {"rows": rows, "w": net.weight.data().asnumpy().tolist()}
print(json.dumps(out))
