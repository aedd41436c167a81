"""CSRNDArray / RowSparseNDArray construction, conversion and properties against numpy and scipy."""
import mxcore as mx
import numpy as np
import pytest
import scipy.sparse as sps
from mxcore import nd
from mxcore.base import MXNetError
from sparse_data import rand_dense

SHAPES = [(5, 4), (1, 7), (6, 1), (8, 8), (3, 0), (0, 3)]
DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("density", [0.0, 0.3, 1.0])
def test_csr_roundtrip_matches_scipy(rs, shape, dtype, density):
    d = rand_dense(rs, shape, density, dtype, empty_rows=[0] if shape[0] > 2 else [])
    a = nd.array(d, dtype=dtype).tostype("csr")
    ref = sps.csr_matrix(d)
    assert isinstance(a, nd.sparse.CSRNDArray) and isinstance(a, nd.NDArray)
    assert a.stype == "csr" and a.shape == shape and a.dtype == dtype
    np.testing.assert_array_equal(a.data.asnumpy(), ref.data)
    np.testing.assert_array_equal(a.indices.asnumpy(), ref.indices)
    np.testing.assert_array_equal(a.indptr.asnumpy(), ref.indptr)
    assert a.indices.dtype == np.int64 and a.indptr.dtype == np.int64
    np.testing.assert_array_equal(a.asnumpy(), d)
    np.testing.assert_array_equal(a.tostype("default").asnumpy(), d)
    assert (a.asscipy() != ref).nnz == 0
    a.check_format()


@pytest.mark.parametrize("shape", [(5, 4), (6,), (4, 2, 3), (0, 3), (3, 0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_sparse_roundtrip(rs, shape, dtype):
    d = rand_dense(rs, shape, 0.4, dtype)
    if shape[0] > 2:
        d[1] = 0
    r = nd.array(d, dtype=dtype).tostype("row_sparse")
    rows = [i for i in range(shape[0]) if np.any(d[i] != 0)]
    assert r.stype == "row_sparse" and r.shape == shape and r.dtype == dtype
    np.testing.assert_array_equal(r.indices.asnumpy(), rows)
    np.testing.assert_array_equal(r.data.asnumpy(), d[rows])
    np.testing.assert_array_equal(r.asnumpy(), d)
    r.check_format()


def test_constructors():
    data, indices, indptr = np.array([1., 2, 3]), np.array([1, 0, 2]), np.array([0, 1, 1, 3])
    a = nd.sparse.csr_matrix((data, indices, indptr), shape=(3, 4))
    np.testing.assert_array_equal(a.asnumpy(), sps.csr_matrix((data, indices, indptr), shape=(3, 4)).toarray())
    assert a.dtype == np.float64  # MXNet 1.9.1: the data's dtype
    # (data, (row, col)) sums duplicates like scipy
    coo = nd.sparse.csr_matrix((np.array([1., 2, 3, 4]), (np.array([2, 0, 2, 0]), np.array([1, 3, 1, 0]))),
                               shape=(3, 4), dtype="float32")
    ref = sps.coo_matrix((np.array([1., 2, 3, 4]), (np.array([2, 0, 2, 0]), np.array([1, 3, 1, 0]))), shape=(3, 4))
    np.testing.assert_array_equal(coo.asnumpy(), ref.toarray())
    assert coo.dtype == np.float32
    m = sps.random(6, 5, density=0.3, format="csr", random_state=1)
    b = nd.sparse.csr_matrix(m)
    np.testing.assert_allclose(b.asnumpy(), m.toarray())
    np.testing.assert_allclose(nd.sparse.array(m).asnumpy(), m.toarray())
    c = nd.sparse.csr_matrix(b)
    assert c is not b and np.array_equal(c.asnumpy(), b.asnumpy())
    assert nd.sparse.csr_matrix((2, 3)).asnumpy().sum() == 0
    r = nd.sparse.row_sparse_array((np.array([[1., 2], [3, 4]]), np.array([0, 2])), shape=(4, 2))
    np.testing.assert_array_equal(r.asnumpy(), [[1, 2], [0, 0], [3, 4], [0, 0]])
    assert nd.sparse.zeros("row_sparse", (3, 2)).data.shape == (0, 2)
    z = nd.zeros((3, 4), stype="csr")
    assert z.stype == "csr" and z.indptr.shape == (4,) and not z.asnumpy().any()
    assert nd.sparse.empty("csr", (2, 2)).stype == "csr"
    assert nd.cast_storage(nd.ones((2, 2)), "row_sparse").stype == "row_sparse"


def test_copy_context_repr_slice(rs):
    d = rand_dense(rs, (6, 5), 0.5, np.float32, empty_rows=[2])
    a = nd.array(d).tostype("csr")
    assert repr(a) == "\n<CSRNDArray 6x5 @cpu(0)>" and str(a) == repr(a)
    assert a.context == mx.cpu() and a.as_in_context(mx.cpu()) is a
    b = a.copy()
    assert b.stype == "csr" and np.array_equal(b.asnumpy(), d)
    c = nd.sparse.zeros("csr", (6, 5))
    a.copyto(c)
    np.testing.assert_array_equal(c.asnumpy(), d)
    dense = nd.zeros((6, 5))
    a.copyto(dense)
    np.testing.assert_array_equal(dense.asnumpy(), d)
    for lo, hi in [(1, 3), (0, 6), (2, 3), (4, 4), (5, 10)]:
        s = a[lo:hi]
        assert s.stype == "csr"
        np.testing.assert_array_equal(s.asnumpy(), d[lo:hi])
        s.check_format()
    np.testing.assert_array_equal(a[3].asnumpy(), d[3:4])
    assert a.astype("float64").dtype == np.float64
    r = nd.array(d).tostype("row_sparse")
    assert repr(r) == "\n<RowSparseNDArray 6x5 @cpu(0)>"
    assert r.copy().stype == "row_sparse" and r.tostype("csr").stype == "csr"


def test_fallback_dense_ops(rs):
    d = rand_dense(rs, (4, 3), 0.5, np.float32)
    a = nd.array(d).tostype("csr")
    # an op without a sparse kernel computes on the dense value (MXNet's storage fallback)
    out = nd.exp(a)
    assert out.stype == "default"
    np.testing.assert_allclose(out.asnumpy(), np.exp(d), rtol=1e-6)
    np.testing.assert_allclose((a + 1).asnumpy(), d + 1)
    assert (a + 1).stype == "default"


def test_check_format_errors():
    bad = [
        ((np.array([1., 2]), np.array([3, 1]), np.array([0, 2, 2])), (2, 4), "sorted and unique"),
        ((np.array([1., 2]), np.array([1, 5]), np.array([0, 1, 2])), (2, 4), "out of range"),
        ((np.array([1., 2]), np.array([1, 2]), np.array([0, 2, 1])), (2, 4), "indptr"),
        ((np.array([1., 2]), np.array([1, 2]), np.array([0, 1, 3])), (2, 4), "end at nnz"),
        ((np.array([1., 2]), np.array([1, 2]), np.array([0, 1])), (2, 4), "rows\\+1"),
    ]
    for comps, shape, msg in bad:
        a = nd.sparse.csr_matrix(comps, shape=shape)
        with pytest.raises(MXNetError, match=msg) as e:
            a.check_format()
        assert "_sparse_csr_check" in str(e.value) and "indptr=" in str(e.value)
        with pytest.raises(MXNetError, match=msg):
            a.asnumpy()
    r = nd.sparse.row_sparse_array((np.ones((2, 2)), np.array([2, 1])), shape=(4, 2))
    with pytest.raises(MXNetError, match="_sparse_rsp_check.*sorted and unique"):
        r.check_format()
    r = nd.sparse.row_sparse_array((np.ones((2, 2)), np.array([1, 4])), shape=(4, 2))
    with pytest.raises(MXNetError, match="out of range"):
        r.asnumpy()
    r = nd.sparse.row_sparse_array((np.ones((2, 3)), np.array([0, 1])), shape=(4, 2))
    with pytest.raises(MXNetError, match=r"row_sparse data \(2,3\)"):
        r.check_format()
    with pytest.raises(MXNetError, match="csr needs a 2-d"):
        nd.ones((2, 2, 2)).tostype("csr")
    with pytest.raises(MXNetError, match="unknown storage type"):
        nd.ones((2, 2)).tostype("coo")
    with pytest.raises(MXNetError, match="csr array must be 2-d"):
        nd.sparse.zeros("csr", (2, 2, 2))
    with pytest.raises(MXNetError, match="1-d int64"):
        nd._internal._sparse_csr_to_dense(nd.ones((2,)), nd.ones((2,)), nd.array([0, 1, 2], dtype="int64"),
                                          shape=(2, 3))


def test_fallback_sees_in_place_component_writes(rs):
    d = rand_dense(rs, (3, 4), 0.6, np.float32)
    a = nd.array(d).tostype("csr")
    before = nd.exp(a).asnumpy()
    a.data[:] = 7.0  # .data is a deep copy, as in MXNet: the array does not change
    np.testing.assert_array_equal(a.asnumpy(), d)
    a._aux[0][:] = 2.0  # a write to the component itself
    after = nd.exp(a).asnumpy()
    np.testing.assert_allclose(before, np.exp(d), rtol=1e-6)
    np.testing.assert_allclose(after, np.exp(np.where(d != 0, 2.0, 0.0)), rtol=1e-6)
    # one array as two inputs of a fallback op
    np.testing.assert_allclose(nd.broadcast_add(a, a).asnumpy(), 2 * a.asnumpy())
    # a sparse input after a dense one: reading its dense value must not disturb the earlier inputs
    dense = nd.array(rs.rand(3, 4).astype(np.float32))
    np.testing.assert_allclose(nd.broadcast_sub(dense, a).asnumpy(), dense.asnumpy() - a.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(nd.concat(dense, a, dense, dim=0).asnumpy(),
                               np.concatenate([dense.asnumpy(), a.asnumpy(), dense.asnumpy()]), rtol=1e-6)


def test_mxnet_191_parity_of_constructors_and_results():
    """What MXNet 1.9.1 gives for the same calls (run by hand in MXNet 1.9.1)."""
    d64 = np.array([[0, 1., 0], [2, 0, 3]])
    a = nd.sparse.csr_matrix(d64)
    assert a.dtype == np.float64 and a.stype == "csr"
    assert nd.sparse.csr_matrix(nd.array(d64)).dtype == np.float32
    assert nd.sparse.row_sparse_array(d64).dtype == np.float64
    assert nd.sparse.zeros("csr", (2, 2)).dtype == np.float32
    assert repr(a[1]).strip() == "<CSRNDArray 1x3 @cpu(0)>" and a[1].asnumpy().tolist() == [[2.0, 0.0, 3.0]]
    coo = (np.array([0, 1]), np.array([1, 0]))
    assert nd.sparse.csr_matrix((np.array([1., 2]), coo), shape=(2, 2)).dtype == np.float64
    assert nd.sparse.csr_matrix(([1, 2], ([0, 1], [1, 0])), shape=(2, 2)).dtype == np.int64
    assert nd.sparse.csr_matrix(([1, 2], [1, 0], [0, 1, 2]), shape=(2, 2)).dtype == np.float32
    assert nd.sum(a, axis=1, keepdims=True).shape == (2, 1) and nd.sum(a, keepdims=True).shape == (1, 1)
    t = nd.sparse.dot(a, nd.ones((2, 2), dtype="float64"), transpose_a=True)
    assert t.indices.asnumpy().tolist() == [0, 1, 2]
    assert nd.sparse.row_sparse_array(d64).indices.dtype == np.int64 and a.indptr.dtype == np.int64
    assert a.astype("float32").stype == "csr" and a.tostype("csr") is not a
