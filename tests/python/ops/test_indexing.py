"""indexing family: take, pick, one_hot, where, gather_nd, scatter_nd, topk,
sort, argsort, Sequence*, boolean_mask, _slice_assign(_scalar)."""
import numpy as np
import pytest
from harness import check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(2)


def X(*shape, dtype=np.float64):
    return (rng.standard_normal(shape) * 3).astype(dtype)


@pytest.mark.parametrize("idt", [np.float32, np.int32, np.int64])
def test_take(idt):
    a = X(4, 3, 2)
    idx = np.array([[0, 3], [1, 1]], idt)
    for ax in (0, 1, -1):
        check_op("take", [a, idx], {"axis": ax}, lambda a, i: np.take(a, i.astype(int), axis=ax, mode="clip"))
    big = np.array([5, -1, 2], idt)
    check_op("take", [a, big], {}, lambda a, i: np.take(a, i.astype(int), axis=0, mode="clip"))
    check_op("take", [a, big], {"mode": "wrap"}, lambda a, i: np.take(a, i.astype(int), axis=0, mode="wrap"))
    check_op("take", [a.astype(np.int32), idx], {}, lambda a, i: np.take(a, i.astype(int), axis=0))
    expect_error("take", [a, big], {"mode": "raise"}, contains=("take", "(4,3,2)"))
    check_grad("take", [a, np.array([0, 2, 2], idt)], {"axis": 0}, wrt=[0])
    check_grad("take", [a, np.array([[1, 0]], idt)], {"axis": 1}, wrt=[0])


def test_pick():
    x = X(3, 4)
    idx = np.array([0, 3, 1], np.float32)
    check_op("pick", [x, idx], {}, lambda x, i: x[np.arange(3), i.astype(int)])
    check_op("pick", [x, idx], {"keepdims": True}, lambda x, i: x[np.arange(3), i.astype(int)][:, None])
    check_op("pick", [x, np.array([0, 1, 2, 0], np.int32)], {"axis": 0}, lambda x, i: x[i, np.arange(4)])
    check_op("pick", [x, np.array([5, -5, 1], np.float32)], {"mode": "wrap"},
             lambda x, i: x[np.arange(3), np.array([1, 3, 1])])
    check_grad("pick", [x, np.array([0, 0, 2], np.float64)], wrt=[0])
    expect_error("pick", [x, np.zeros(4)], {}, contains=("pick", "(3,4)", "(4,)"))


def test_one_hot():
    i = np.array([[0, 2], [1, 5]], np.float32)
    check_op("one_hot", [i], {"depth": 4}, lambda i: (np.arange(4) == i[..., None]).astype(np.float32))
    out = check_op("one_hot", [i.astype(np.int32)], {"depth": 3, "on_value": 5, "off_value": -1, "dtype": "int32"},
                   lambda i: np.where(np.arange(3) == i[..., None], 5, -1))[0]
    assert out.dtype == np.int32


def test_where():
    c = (rng.uniform(size=(3, 4)) > 0.5).astype(np.float32)
    x, y = X(3, 4), X(3, 4)
    check_op("where", [c, x, y], {}, lambda c, x, y: np.where(c != 0, x, y))
    c1 = np.array([1, 0, 1], np.int32)
    check_op("where", [c1, x, y], {}, lambda c, x, y: np.where(c[:, None] != 0, x, y))
    check_op("where", [c, x.astype(np.int64), y.astype(np.int64)], {}, lambda c, x, y: np.where(c != 0, x, y))
    check_grad("where", [c.astype(np.float64), x, y], wrt=[1, 2])
    expect_error("where", [c, x, X(4, 3)], {}, contains=("where", "(3,4)", "(4,3)"))
    expect_error("where", [np.ones(4), x, y], {}, contains=("where", "(4,)"))


def test_gather_scatter_nd():
    d = X(3, 4, 2)
    idx = np.array([[0, 2, 1], [3, 0, 1]], np.int32)
    check_op("gather_nd", [d, idx], {}, lambda d, i: d[i[0], i[1]])
    idx1 = np.array([[2, 0]], np.float32)
    check_op("gather_nd", [d, idx1], {}, lambda d, i: d[i[0].astype(int)])
    check_grad("gather_nd", [d, np.array([[0, 0, 2], [1, 1, 3]], np.int64)], wrt=[0])
    v = X(3, 2)
    def sc(v, i):
        o = np.zeros((3, 4, 2))
        o[i[0], i[1]] = v
        return o
    check_op("scatter_nd", [v, idx], {"shape": (3, 4, 2)}, sc)
    check_grad("scatter_nd", [v, idx], {"shape": (3, 4, 2)}, wrt=[0])
    expect_error("gather_nd", [d, np.zeros((4, 2), np.int32)], {}, contains=("gather_nd", "(3,4,2)", "(4,2)"))
    expect_error("scatter_nd", [X(5), idx], {"shape": (3, 4, 2)}, contains=("scatter_nd", "(5,)"))


def test_sort_argsort_topk():
    x = rng.permutation(60).reshape(3, 4, 5).astype(np.float32)
    for ax in (0, 1, -1):
        check_op("sort", [x], {"axis": ax}, lambda a: np.sort(a, axis=ax))
        check_op("sort", [x], {"axis": ax, "is_ascend": False}, lambda a: -np.sort(-a, axis=ax))
        check_op("argsort", [x], {"axis": ax}, lambda a: np.argsort(a, axis=ax).astype(np.float32))
        check_op("argsort", [x.astype(np.int64)], {"axis": ax, "is_ascend": False, "dtype": "int32"},
                 lambda a: np.argsort(-a, axis=ax))
    check_op("sort", [x], {"axis": None}, lambda a: np.sort(a, axis=None))
    k = 2
    desc = np.argsort(-x, axis=-1)[..., :k]
    check_op("topk", [x], {"k": k}, lambda a: desc.astype(np.float32))
    check_op("topk", [x], {"k": k, "ret_typ": "value"}, lambda a: np.take_along_axis(a, desc, -1))
    asc = np.argsort(x, axis=1)[:, :3]
    check_op("topk", [x], {"k": 3, "axis": 1, "is_ascend": True, "ret_typ": "both"},
             lambda a: (np.take_along_axis(a, asc, 1), asc.astype(np.float32)))
    mask = np.zeros_like(x)
    np.put_along_axis(mask, desc, 1, -1)
    check_op("topk", [x], {"k": k, "ret_typ": "mask"}, lambda a: mask)
    xf = x.astype(np.float64) / 7
    check_grad("topk", [xf], {"k": 2, "ret_typ": "value", "axis": 1})
    check_grad("sort", [xf], {"axis": 0, "is_ascend": False})
    expect_error("topk", [x], {"k": 9}, contains=("topk", "(3,4,5)"))


def test_sequence_ops():
    T, B = 4, 3
    x = X(T, B, 2)
    L = np.array([2, 4, 1], np.float32)
    def mask(x, L, axis=0, v=0.0):
        o = x.copy()
        for b in range(B):
            if axis == 0:
                o[int(L[b]):, b] = v
            else:
                o[b, int(L[b]):] = v
        return o
    check_op("SequenceMask", [x, L], {"use_sequence_length": True, "value": -1.0}, lambda x, L: mask(x, L, 0, -1.0))
    check_op("sequence_mask", [x], {}, lambda x: x)
    xb = np.ascontiguousarray(x.transpose(1, 0, 2))
    check_op("SequenceMask", [xb, L], {"use_sequence_length": True, "axis": 1}, lambda x, L: mask(x, L, 1))
    check_grad("SequenceMask", [x, L.astype(np.float64)], {"use_sequence_length": True}, wrt=[0])
    check_op("SequenceLast", [x, L], {"use_sequence_length": True},
             lambda x, L: np.stack([x[int(L[b]) - 1, b] for b in range(B)]))
    check_op("SequenceLast", [x], {}, lambda x: x[-1])
    check_op("SequenceLast", [xb, L], {"use_sequence_length": True, "axis": 1},
             lambda x, L: np.stack([x[b, int(L[b]) - 1] for b in range(B)]))
    check_grad("SequenceLast", [x, L.astype(np.float64)], {"use_sequence_length": True}, wrt=[0])
    check_grad("SequenceLast", [x], {})
    def rev(x, L):
        o = x.copy()
        for b in range(B):
            n = int(L[b])
            o[:n, b] = x[:n, b][::-1]
        return o
    check_op("SequenceReverse", [x, L], {"use_sequence_length": True}, rev)
    check_op("SequenceReverse", [x], {}, lambda x: x[::-1])
    check_grad("SequenceReverse", [x, L.astype(np.float64)], {"use_sequence_length": True}, wrt=[0])
    expect_error("SequenceMask", [x, np.ones(5, np.float32)], {"use_sequence_length": True},
                 contains=("SequenceMask", "(4,3,2)", "(5,)"))


def test_boolean_mask():
    x = X(5, 3)
    m = np.array([1, 0, 1, 1, 0], np.float32)
    check_op("boolean_mask", [x, m], {}, lambda x, m: x[m != 0])
    check_op("_contrib_boolean_mask", [x.astype(np.int32), m.astype(np.int32)], {}, lambda x, m: x[m != 0])
    check_op("boolean_mask", [x, np.zeros(5, np.float32)], {}, lambda x, m: x[:0])
    check_grad("boolean_mask", [x, m.astype(np.float64)], wrt=[0])
    expect_error("boolean_mask", [x, np.ones(4)], {}, contains=("boolean_mask", "(5,3)", "(4,)"))


def test_slice_assign():
    x = X(4, 5)
    def sa(x, v, sl):
        o = x.copy()
        o[sl] = v
        return o
    r = X(2, 3)
    check_op("_slice_assign", [x, r], {"begin": (1, 0), "end": (3, 3)}, lambda x, r: sa(x, r, (slice(1, 3), slice(0, 3))))
    r2 = X(2, 1)
    check_op("_slice_assign", [x, r2], {"begin": (0, None), "end": (4, None), "step": (2, 2)},
             lambda x, r: sa(x, np.broadcast_to(r, (2, 3)), (slice(0, 4, 2), slice(None, None, 2))))
    check_op("_slice_assign", [x, X(4, 5)], {"begin": (None,), "end": (None,), "step": (-1,)},
             lambda x, r: r[::-1].copy())
    check_op("_slice_assign_scalar", [x], {"scalar": 7.5, "begin": (1,), "end": (-1,)},
             lambda x: sa(x, 7.5, (slice(1, -1),)))
    check_op("_slice_assign_scalar", [x.astype(np.int32)], {"scalar": 3, "begin": (None, 2), "end": (None, None)},
             lambda x: sa(x, 3, (slice(None), slice(2, None))))
    check_grad("_slice_assign", [x, r], {"begin": (1, 0), "end": (3, 3)})
    check_grad("_slice_assign", [x, r2], {"begin": (0, None), "end": (4, None), "step": (2, 2)})
    check_grad("_slice_assign_scalar", [x], {"scalar": 1.0, "begin": (0, 1), "end": (2, 4)})
    expect_error("_slice_assign", [x, X(3, 3)], {"begin": (1, 0), "end": (3, 3)},
                 contains=("_slice_assign", "(4,5)", "(3,3)"))
