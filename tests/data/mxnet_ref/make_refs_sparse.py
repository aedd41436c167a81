"""Generates sparse_ref.params with MXNet 1.9.1 (run ONCE with MXNet itself, never in CI):

    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs_sparse.py

nd.save of a dict holding csr and row_sparse arrays (float32/float64, an empty one,
one with empty rows) and a dense array; tests/python/sparse/test_sparse_io.py
rebuilds the same arrays with numpy (the seed below) and compares."""
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
