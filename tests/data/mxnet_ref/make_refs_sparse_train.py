"""MXNet 1.9.1 reference for sparse-gradient training (run ONCE with MXNet, never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_sparse_train.py tests/data/mxnet_ref/sparse_train_ref.json

Embedding(sparse_grad=True) and contrib SparseEmbedding trained 3 steps with Trainer under several
optimizers (lazy and dense updates); records each step's gradient stype/rows and the final weight.
tests/python/sparse/test_sparse_training.py runs the same program with mxcore."""
import json
import sys

import numpy as np
from mxnet import autograd, gluon, nd

W0 = (np.arange(40, dtype=np.float32).reshape(10, 4) / 40.0 - 0.5)
batches = [np.array([[1, 3], [3, 7]]), np.array([[0, 1], [9, 9]]), np.array([[3, 5], [2, 2]])]
out = {}
for opt, params in [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
                    ("sgd", {"learning_rate": 0.1, "wd": 0.1}),
                    ("adam", {"learning_rate": 0.05, "wd": 0.01}),
                    ("sgd_dense", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "lazy_update": False}),
                    ("ftrl", {"learning_rate": 0.1}),
                    ("adam_dense", {"learning_rate": 0.05, "wd": 0.01, "lazy_update": False}),
                    ("sgd", {"learning_rate": 0.1, "momentum": 0.5, "clip_gradient": 0.5}),
                    ("adagrad", {"learning_rate": 0.1})]:
    for layer in ("emb", "sparse_emb"):
        net = gluon.nn.Embedding(10, 4, sparse_grad=True) if layer == "emb" else gluon.contrib.nn.SparseEmbedding(10, 4)
        net.initialize()
        net.weight.set_data(nd.array(W0))
        tr = gluon.Trainer(net.collect_params(), opt.replace("_dense", ""), params)
        grads = []
        for b in batches:
            x = nd.array(b)
            with autograd.record():
                y = net(x)
                loss = (y * y).sum() + y.sum()
            loss.backward()
            g = net.weight.grad()
            grads.append([g.stype, g.indices.asnumpy().tolist()] if g.stype != 'default' else [g.stype])
            tr.step(2)
        w = net.weight.data() if layer == "emb" else net.weight.row_sparse_data(nd.arange(10))
        out[f"{opt}|{json.dumps(params, sort_keys=True)}|{layer}"] = {"w": w.asnumpy().tolist(), "grads": grads}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=0)
print(len(out))
