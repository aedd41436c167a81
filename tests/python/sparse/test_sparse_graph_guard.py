"""The _sparse_* ops read their inputs' values in inference; in a graph's shape inference
(shape-only tensors) they fail with a message instead of reading memory that is not there."""
import mxcore as mx
import pytest
from mxcore.base import MXNetError

CASES = [
    ("_sparse_csr_to_dense", ["data", "indices", "indptr"], {"shape": (2, 3)}),
    ("_sparse_csr_check", ["data", "indices", "indptr"], {"shape": (2, 3)}),
    ("_sparse_csr_from_dense", ["x"], {}),
    ("_sparse_rsp_from_dense", ["x"], {}),
    ("_sparse_rsp_to_dense", ["data", "indices"], {"shape": (3, 2)}),
    ("_sparse_rsp_elemwise", ["a", "ai", "b", "bi"], {"shape": (3, 2)}),
    ("_sparse_csr_sum", ["data", "indices", "indptr"], {"shape": (2, 3)}),
    ("_sparse_rsp_sgd_update", ["w", "gd", "gi"], {"lr": 0.1}),
]
SHAPES = {"data": (2,), "indices": (2,), "indptr": (3,), "x": (2, 3), "a": (1, 2), "ai": (1,), "b": (1, 2),
          "bi": (1,), "w": (3, 2), "gd": (1, 2), "gi": (1,)}


@pytest.mark.parametrize("op,inputs,attrs", CASES)
def test_graph_shape_inference_refuses_value_dependent_sparse_ops(op, inputs, attrs):
    args = [mx.sym.var(n, dtype="int64" if n in ("indices", "indptr", "ai", "bi", "gi") else "float32")
            for n in inputs]
    s = getattr(mx.sym._internal, op)(*args, **attrs)
    with pytest.raises(MXNetError, match=f"{op}: it (reads|checks) the values"):
        s.infer_shape(**{n: SHAPES[n] for n in inputs})
