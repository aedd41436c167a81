"""Generates the sparse reference files with MXNet 1.9.1 (run ONCE with MXNet itself, never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_sparse.py

sparse_ref.params: nd.save of a dict holding csr and row_sparse arrays (float32/float64,
an empty one, one with empty rows) and a dense array; tests/python/sparse/test_sparse_io.py
rebuilds the same arrays with numpy (the seed below) and compares.
sparse_embedding_ref.params: save_parameters of a contrib SparseEmbedding (its row_sparse
weight, written by MXNet with an empty storage-shape field), and
sparse_embedding_ref.npy: that weight's values."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def arrays(rs):
    """The reference arrays as dense numpy (stype, array) pairs; shared recipe with the test."""
    a = rs.rand(5, 7)
    a[a < 0.6] = 0
    a[1] = 0
    b = rs.rand(6, 3).astype(np.float32)
    b[[0, 2, 3]] = 0
    return {"csr_f64": ("csr", a), "csr_f32": ("csr", a.astype(np.float32)), "csr_empty": ("csr", np.zeros((3, 4), np.float32)),
            "rsp_f32": ("row_sparse", b), "rsp_empty": ("row_sparse", np.zeros((4, 2), np.float32)),
            "dense": ("default", rs.rand(2, 3).astype(np.float32))}


if __name__ == "__main__":
    from mxnet import nd
    out = {k: nd.array(v, dtype=v.dtype).tostype(st) for k, (st, v) in arrays(np.random.RandomState(3)).items()}
    nd.save(os.path.join(HERE, "sparse_ref.params"), out)
    back = nd.load(os.path.join(HERE, "sparse_ref.params"))
    print({k: (v.stype, v.shape, v.dtype) for k, v in back.items()})
    import mxnet as mx
    from mxnet import gluon
    mx.random.seed(3)
    emb = gluon.contrib.nn.SparseEmbedding(10, 4)
    emb.initialize(mx.init.Uniform(1))
    gluon.Trainer(emb.collect_params(), "sgd")  # MXNet saves a row_sparse parameter through its Trainer
    emb.save_parameters(os.path.join(HERE, "sparse_embedding_ref.params"))
    np.save(os.path.join(HERE, "sparse_embedding_ref.npy"), emb.weight.row_sparse_data(nd.arange(10)).asnumpy())
