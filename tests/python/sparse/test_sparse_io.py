"""nd.save / nd.load of sparse arrays in MXNet's file format: the file MXNet 1.9.1 wrote
(tests/data/mxnet_ref/sparse_ref.params) loads with its values, ours is byte-identical to it,
and truncated or corrupt sparse records fail with a message."""
import os
import sys

import numpy as np
import pytest
from mxcore import gluon, nd
from mxcore.base import MXNetError

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")
sys.path.insert(0, REF)
from make_refs_sparse import arrays


def expected():
    return arrays(np.random.RandomState(3))


def ours():
    return {k: nd.array(v, dtype=v.dtype).tostype(st) for k, (st, v) in expected().items()}


def test_load_mxnet_file():
    got = nd.load(os.path.join(REF, "sparse_ref.params"))
    exp = expected()
    assert list(got) == list(exp)
    for k, (st, v) in exp.items():
        a = got[k]
        assert a.stype == st and a.shape == v.shape and a.dtype == v.dtype, k
        np.testing.assert_array_equal(a.asnumpy(), v)
        if st != "default":
            a.check_format()


def test_save_is_byte_identical_to_mxnet(tmp_path):
    path = str(tmp_path / "s.params")
    nd.save(path, ours())
    with open(path, "rb") as a, open(os.path.join(REF, "sparse_ref.params"), "rb") as b:
        assert a.read() == b.read()


def test_roundtrip_list_and_gluon_params(tmp_path):
    vals = list(ours().values())
    nd.save(str(tmp_path / "l.params"), vals)
    back = nd.load(str(tmp_path / "l.params"))
    assert [b.stype for b in back] == [v.stype for v in vals]
    for a, b in zip(vals, back):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    net = gluon.nn.Embedding(6, 3)
    net.initialize()
    net.save_parameters(str(tmp_path / "e.params"))
    net.load_parameters(str(tmp_path / "e.params"))


def test_truncated_and_corrupt_sparse_records(tmp_path):
    with open(os.path.join(REF, "sparse_ref.params"), "rb") as f:
        raw = f.read()
    for cut in (40, 60, 100, 200, 500, len(raw) - 30):
        p = tmp_path / f"t{cut}.params"
        p.write_bytes(raw[:cut])
        with pytest.raises(MXNetError, match="truncated|corrupt"):
            nd.load(str(p))
    # storage type 7 is not one MXNet has
    bad = bytearray(raw)
    bad[28:32] = (7).to_bytes(4, "little")
    (tmp_path / "st.params").write_bytes(bytes(bad))
    with pytest.raises(MXNetError, match="unknown storage type 7"):
        nd.load(str(tmp_path / "st.params"))
    # the first record (csr_f64, shape (5, 7)) claiming 9 rows: its indptr no longer fits
    bad = bytearray(raw)
    off = 24 + 4 + 4 + 4 + 8 + 4  # header, magic, stype, storage shape (rank 1 + dim), shape rank
    assert int.from_bytes(raw[off:off + 8], "little") == 5
    bad[off:off + 8] = (9).to_bytes(8, "little")
    (tmp_path / "rows.params").write_bytes(bytes(bad))
    with pytest.raises(MXNetError, match=r"array 0 is a corrupt csr record \(shape \(9,7\)"):
        nd.load(str(tmp_path / "rows.params"))


def test_save_rejects_inconsistent_components(tmp_path):
    from mxcore.ndarray.sparse import CSRNDArray
    bad = CSRNDArray([nd.ones((2,)), nd.array([0, 1], dtype="int64"), nd.array([0, 2], dtype="int64")], (3, 4))
    with pytest.raises(MXNetError, match=r"mx_save_sparse: record 0 \(csr, shape \(3,4\)\)"):
        nd.save(str(tmp_path / "x.params"), [bad])
    assert not (tmp_path / "x.params").exists()


def test_sparse_embedding_parameters_both_ways(tmp_path):
    """MXNet 1.9.1's save_parameters of a SparseEmbedding (a row_sparse record whose storage-shape
    field MXNet left empty) loads; ours writes the weight as row_sparse too."""
    want = np.load(os.path.join(REF, "sparse_embedding_ref.npy"))
    w = nd.load(os.path.join(REF, "sparse_embedding_ref.params"))["weight"]
    assert w.stype == "row_sparse" and w.shape == (10, 4)
    np.testing.assert_array_equal(w.asnumpy(), want)
    net = gluon.contrib.nn.SparseEmbedding(10, 4)
    net.initialize()
    net.load_parameters(os.path.join(REF, "sparse_embedding_ref.params"))
    np.testing.assert_array_equal(net.weight.data().asnumpy(), want)
    net.save_parameters(str(tmp_path / "se.params"))
    back = nd.load(str(tmp_path / "se.params"))["weight"]
    assert back.stype == "row_sparse"
    np.testing.assert_array_equal(back.asnumpy(), want)
