"""mx.io.LibSVMIter (values, pads and epoch starts, label files and num_parts as MXNet 1.9.1 gives
them for the same files, checked by hand in MXNet) and KVStore.row_sparse_pull."""
import mxcore as mx
import numpy as np
import pytest
from mxcore import nd
from mxcore.base import MXNetError

DATA = "1.0 0:0.5 2:1.2\n-2.0\n-3.0 0:0.6 1:2.4 2:1.2\n4 2:-1.2\n5 1:1\n"
LABEL = "1 0:1 2:3\n2 1:2\n3 0:5\n4 2:1\n5 1:1\n"


@pytest.fixture
def files(tmp_path):
    d, lab = tmp_path / "d.t", tmp_path / "l.t"
    d.write_text(DATA)
    lab.write_text(LABEL)
    return str(d), str(lab)


def test_batches_pads_and_epochs(files):
    it = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), batch_size=2)
    assert it.provide_data[0].shape == (2, 3) and it.provide_label[0].shape == (2,)
    assert it.provide_label[0].name == "softmax_label"
    batches = list(it)
    assert [b.data[0].stype for b in batches] == ["csr"] * 3
    np.testing.assert_allclose(batches[0].data[0].asnumpy(), [[0.5, 0, 1.2], [0, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(batches[2].data[0].asnumpy(), [[0, 1, 0], [0.5, 0, 1.2]], rtol=1e-6)
    # MXNet 1.9.1: labels and pads per epoch; the second epoch starts after the sample that padded the first
    assert [(b.label[0].asnumpy().tolist(), b.pad) for b in batches] == [([1, -2], 0), ([-3, 4], 0), ([5, 1], 1)]
    it.reset()
    assert [(b.label[0].asnumpy().tolist(), b.pad) for b in it] == [([-2, -3], 0), ([4, 5], 0)]
    it.reset()
    assert [b.pad for b in it] == [0, 0, 1]


def test_label_file_and_parts(files):
    it = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), label_libsvm=files[1], label_shape=(3,),
                          batch_size=3)
    b = next(it)
    assert b.label[0].stype == "csr"
    np.testing.assert_array_equal(b.label[0].asnumpy(), [[1, 0, 3], [0, 2, 0], [5, 0, 0]])
    want = {(2, 0): [1, -2, -3], (2, 1): [4, 5], (3, 0): [1, -2], (3, 2): [4, 5]}  # MXNet 1.9.1
    for (n, i), labels in want.items():
        it = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), batch_size=1, num_parts=n, part_index=i)
        assert [b.label[0].asnumpy().tolist() for b in it] == [[v] for v in labels]


def test_libsvm_errors(files, tmp_path):
    with pytest.raises(MXNetError, match=r"feature id 2 out of range \[0, 2\)"):
        mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(2,), batch_size=2)
    bad = tmp_path / "bad.t"
    bad.write_text("1 0:1\n2 x\n")
    with pytest.raises(MXNetError, match=r"bad.t:2: expected 'label idx:value"):
        mx.io.LibSVMIter(data_libsvm=str(bad), data_shape=(3,))
    with pytest.raises(MXNetError, match="round_batch=False"):
        mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), round_batch=False)


def test_row_sparse_pull():
    kv = mx.kv.create("local")
    w = np.arange(12, dtype=np.float32).reshape(6, 2)
    kv.init("w", nd.array(w).tostype("row_sparse"))
    out = nd.sparse.zeros("row_sparse", (6, 2))
    kv.row_sparse_pull("w", out=out, row_ids=nd.array([4, 1, 4]))
    assert out.stype == "row_sparse"
    np.testing.assert_array_equal(out.indices.asnumpy(), [1, 4])
    want = np.zeros_like(w)
    want[[1, 4]] = w[[1, 4]]
    np.testing.assert_array_equal(out.asnumpy(), want)
    kv.init("d", nd.ones((2, 2)))
    with pytest.raises(MXNetError, match="row_sparse_pull: key 'd' holds a dense array"):
        kv.row_sparse_pull("d", out=nd.zeros((2, 2)), row_ids=nd.array([0]))


def test_sparse_linear_model_matches_mxnet(tmp_path):
    """LibSVMIter batches -> dot(csr, w) -> squared loss -> SGD on w, two epochs; MXNet 1.9.1 ran the same
    program (resetting the iterator after each epoch) and gave these losses and weights."""
    from mxcore import autograd
    rs = np.random.RandomState(5)
    lines = []
    for _ in range(10):
        ids = sorted(rs.choice(8, size=rs.randint(0, 4), replace=False))
        label = rs.randint(0, 3)  # the draw order MXNet's run used: label, then each value
        lines.append(f"{label:g} " + " ".join(f"{j}:{rs.rand():.3f}" for j in ids))
    path = tmp_path / "train.libsvm"
    path.write_text("\n".join(lines) + "\n")
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(8,), batch_size=4)
    w = nd.array(np.linspace(-1, 1, 16).reshape(8, 2))
    w.attach_grad()
    losses = []
    for _ in range(2):
        for b in it:
            with autograd.record():
                loss = ((nd.sparse.dot(b.data[0], w) - b.label[0].reshape((-1, 1))) ** 2).sum()
            loss.backward()
            w[:] = w - 0.05 * w.grad
            losses.append(float(loss.asscalar()))
        it.reset()
    np.testing.assert_allclose(losses, [27.864006, 13.270393, 17.505136, 20.827888, 9.255056], rtol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), [[-0.8664823, -0.7420915], [-0.613965, -0.4952163], [0.673445, 0.710866], [0.0765115, 0.1898388], [0.2704052, 0.3620087], [0.4240294, 0.5510279], [0.6768671, 0.8089609], [1.1414394, 1.2376089]], rtol=1e-5, atol=1e-6)
