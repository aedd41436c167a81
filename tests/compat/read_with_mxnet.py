"""Step 2 of the MXNet-compatibility check: under MXNet 1.9.1, read what
write_with_mxcore.py wrote and compare. Prints 'N passed, N failed'."""
import json
import os
import sys
import traceback
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import mxnet as mx  # noqa: E402
from mxnet import gluon, nd  # noqa: E402
from mxnet.gluon import nn, rnn  # noqa: E402

d = sys.argv[1]
p = lambda name: os.path.join(d, name)  # noqa: E731
exp = json.load(open(p("expected.json")))
ref = np.load(p("arrays.npz"))
passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print("ok  ", name)
    except Exception:
        failed += 1
        print("FAIL", name)
        traceback.print_exc()


def lists():
    got = nd.load(p("list.params"))
    assert isinstance(got, list) and len(got) == len(exp["arrays"])
    for k, a in zip(exp["arrays"], got):
        assert a.dtype == ref[k].dtype, (k, a.dtype)
        np.testing.assert_array_equal(a.asnumpy(), ref[k])


def dicts():
    got = nd.load(p("dict.params"))
    assert set(got) == set(exp["arrays"])
    for k in exp["arrays"]:
        np.testing.assert_array_equal(got[k].asnumpy(), ref[k])


def model(name):
    def run():
        net = gluon.SymbolBlock.imports(p(name + "-symbol.json"), ["data"], p(name + "-0000.params"))
        y = net(nd.array(np.load(p(name + "-x.npy")))).asnumpy()
        np.testing.assert_allclose(y, np.load(p(name + "-y.npy")), rtol=1e-4, atol=1e-5)
    return run


def multi_input_model(name, input_names):
    def run():
        net = gluon.SymbolBlock.imports(p(name + "-symbol.json"), input_names, p(name + "-0000.params"))
        ins = [nd.array(np.load(p("%s-in%d.npy" % (name, i)))) for i in range(len(input_names))]
        np.testing.assert_allclose(net(*ins).asnumpy(), np.load(p(name + "-y.npy")), rtol=1e-4, atol=1e-5)
    return run


def gluon_params():
    g = nn.HybridSequential()
    g.add(nn.Dense(8, in_units=5), nn.Dense(3, in_units=8))
    g.load_parameters(p("gluon.params"))
    y = g(nd.array(np.load(p("gluon-x.npy")))).asnumpy()
    np.testing.assert_allclose(y, np.load(p("gluon-y.npy")), rtol=1e-5, atol=1e-6)


def gluon_rnn_params():
    g = nn.HybridSequential()
    g.add(rnn.LSTM(5, bidirectional=True, projection_size=2, input_size=4))
    g.load_parameters(p("gluon_rnn.params"))
    y = g(nd.array(np.load(p("lstmp-in0.npy")))).asnumpy()
    np.testing.assert_allclose(y, np.load(p("gluon_rnn-y.npy")), rtol=1e-5, atol=1e-6)


def trainer_states():
    net = nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    tr.load_states(p("trainer.states"))
    with mx.autograd.record():
        loss = (net(nd.array(np.arange(12).reshape(4, 3) / 10.0)) ** 2).sum()
    loss.backward()
    tr.step(4)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.load(p("trainer-w.npy")), rtol=1e-5)


def sparse_arrays():
    got = nd.load(p("sparse.params"))
    ref_sp = np.load(p("sparse.npz"))
    with open(p("sparse.json")) as f:
        stypes = json.load(f)
    assert sorted(got) == sorted(stypes)
    for k, st in stypes.items():
        a = got[k]
        assert a.stype == st and a.dtype == ref_sp[k].dtype, (k, a.stype, a.dtype)
        if st != "default":
            a.check_format(full_check=True)
        np.testing.assert_array_equal(a.asnumpy(), ref_sp[k])


def sparse_embedding():
    net = gluon.contrib.nn.SparseEmbedding(10, 4)
    net.initialize()
    gluon.Trainer(net.collect_params(), "sgd")  # MXNet reads a row_sparse parameter through its Trainer
    net.load_parameters(p("sparse_embedding.params"))
    got = net.weight.row_sparse_data(nd.arange(10)).asnumpy()
    np.testing.assert_array_equal(got, np.load(p("sparse_embedding-w.npy")))


def onnx_model(name):
    def run():
        sym, arg_params, aux_params = mx.contrib.onnx.import_model(p(name + ".onnx"))
        x = np.load(p(name + "-x.npy"))
        data = [n for n in sym.list_inputs() if n not in arg_params and n not in aux_params]
        mod = mx.mod.Module(sym, data_names=data, label_names=None)
        mod.bind(data_shapes=[(data[0], x.shape)], for_training=False)
        mod.set_params(arg_params, aux_params)
        mod.forward(mx.io.DataBatch([nd.array(x)]), is_train=False)
        np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), np.load(p(name + "-y.npy")), rtol=1e-4,
                                   atol=1e-5)
    return run


check("nd.load list written by mxcore", lists)
check("nd.load of csr / row_sparse arrays written by mxcore", sparse_arrays)
check("load_parameters of a mxcore SparseEmbedding (row_sparse weight)", sparse_embedding)
check("Trainer.load_states of a mxcore save_states file", trainer_states)
check("nd.load dict written by mxcore", dicts)
for m in exp["models"]:
    check(f"SymbolBlock.imports of mxcore-exported {m}", model(m))
for m, names in exp.get("multi", {}).items():
    check(f"SymbolBlock.imports of mxcore-exported {m} (inputs {names})", multi_input_model(m, names))
check("load_parameters of a mxcore save_parameters file", gluon_params)
check("load_parameters of a mxcore save_parameters file of a fused LSTM (projection)", gluon_rnn_params)
if os.path.exists(p("onnx_models.json")):
    try:
        import onnx  # noqa: F401
    except ImportError:
        print("skip ONNX checks (no onnx package next to MXNet)")
    else:
        for m in json.load(open(p("onnx_models.json"))):
            check(f"mx.contrib.onnx.import_model of a mxcore-exported {m}.onnx", onnx_model(m))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
