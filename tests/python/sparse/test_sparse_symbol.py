"""MXNet's symbolic sparse programs: mx.sym.sparse ops over a csr `data` Variable train with
Module on LibSVMIter batches (graphs compute on dense values) and give MXNet 1.9.1's weights."""
import mxcore as mx
import numpy as np


def test_module_sparse_linear_classification_matches_mxnet(tmp_path):
    rs = np.random.RandomState(1)
    lines = []
    for _ in range(40):
        ids = sorted(rs.choice(20, size=rs.randint(1, 6), replace=False))
        label = rs.randint(0, 2)  # the draw order MXNet's run used
        lines.append(f"{label} " + " ".join(f"{j}:{rs.rand():.3f}" for j in ids))
    path = tmp_path / "cls.libsvm"
    path.write_text("\n".join(lines) + "\n")
    it = mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(20,), batch_size=8)
    x = mx.sym.Variable("data", stype="csr")
    w = mx.sym.Variable("weight", shape=(20, 2), init=mx.init.Constant(0.01), stype="row_sparse")
    out = mx.sym.SoftmaxOutput(mx.sym.sparse.dot(x, w), mx.sym.Variable("softmax_label"), name="softmax")
    mod = mx.mod.Module(out, data_names=["data"], label_names=["softmax_label"])
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params()
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    for _ in range(2):
        for b in it:
            mod.forward_backward(b)
            mod.update()
        it.reset()
    args, _ = mod.get_params()
    # MXNet 1.9.1, the same program
    want = [[-0.09808, 0.11808], [0.0986, -0.0786], [0.06239, -0.04239], [0.03862, -0.01862], [-0.05851, 0.07851], [-0.10561, 0.12561], [0.07714, -0.05714], [-0.06334, 0.08334], [-0.07796, 0.09796], [-0.17842, 0.19842], [0.06087, -0.04087], [0.07534, -0.05534], [0.04117, -0.02117], [-0.00923, 0.02923], [-0.133, 0.153], [-0.02543, 0.04543], [0.02117, -0.00117], [-0.05467, 0.07467], [0.03815, -0.01815], [-0.07479, 0.09479]]
    np.testing.assert_allclose(args["weight"].tostype("default").asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_sym_sparse_namespace():
    assert mx.sym.sparse.dot is mx.sym.dot and "cast_storage" in mx.sym.sparse.__all__
    x = mx.sym.Variable("x")
    y = mx.sym.sparse.cast_storage(mx.sym.sparse.sqrt(x), "csr")
    ex = y.bind(mx.cpu(), {"x": mx.nd.array([[4.0, 0], [0, 9]])})
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), [[2, 0], [0, 3]])
