"""Graph executor (C ABI) on models exported by MXNet 1.9.1: load the symbol
JSON and the .params file, run, and compare with MXNet's own output."""
import os
import sys

import numpy as np
import pytest
from harness import MXError, check, ffi, from_mx, lib, to_mx

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")
sys.path.insert(0, REF)
from regen import read_params_txt  # noqa: E402


def load_params(path):
    return dict(load_items(path))


def load_items(path):
    """(name, array) pairs of a .params file; names are "" in list files."""
    res = ffi.new("mx_load_result *")
    n = ffi.new("int *")
    check(lib.mx_load(path.encode(), res, n))
    out = []
    try:
        for i in range(n[0]):
            t = ffi.new("mx_tensor *")
            name = ffi.new("const char **")
            check(lib.mx_load_get(res[0], i, t, name))
            out.append((ffi.string(name[0]).decode(), from_mx(ffi.gc(t[0], lib.mx_tensor_release))))
    finally:
        lib.mx_load_release(res[0])
    return out


class Graph:
    def __init__(self, json_text):
        g = ffi.new("mx_graph *")
        check(lib.mx_graph_from_json(json_text.encode(), g))
        self.g = ffi.gc(g[0], lib.mx_graph_release)

    def names(self, what):
        n = ffi.new("int *")
        names = ffi.new("const char *const **")
        check(lib.mx_graph_list(self.g, what, n, names))
        return [ffi.string(names[0][i]).decode() for i in range(n[0])]

    def run(self, values, is_train=False):
        args = [to_mx(values[k]) for k in self.names(0)]
        aux = [to_mx(values[k]) for k in self.names(1)]
        outs = ffi.new("mx_tensor[8]")
        n = ffi.new("int *")
        check(lib.mx_graph_run(self.g, ffi.new("mx_tensor[]", args or [ffi.NULL]), len(args),
                               ffi.new("mx_tensor[]", aux or [ffi.NULL]), len(aux), is_train, outs, 8, n))
        return [from_mx(ffi.gc(outs[i], lib.mx_tensor_release)) for i in range(n[0])]


@pytest.mark.parametrize("model", ["mlp", "cnn_bn", "lstm_lm", "bert_block", "det_head", "syncbn"])
def test_exported_gluon_models(model):
    g = Graph(open(os.path.join(REF, f"{model}-symbol.json")).read())
    params = {k.split(":", 1)[1]: v for k, v in load_params(os.path.join(REF, f"{model}-0000.params")).items()}
    io = load_params(os.path.join(REF, f"{model}-io.params"))
    data_name = [a for a in g.names(0) if a not in params]
    assert len(data_name) == 1, data_name
    params[data_name[0]] = io["x"]
    out = g.run(params)[0]
    np.testing.assert_allclose(out, io["y"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("model", ["resnet18_v1", "mobilenet0.25"])
def test_model_zoo_symbols(model):
    g = Graph(open(os.path.join(REF, f"{model}-symbol.json")).read())
    params = read_params_txt(os.path.join(REF, f"{model}-params.txt"))
    io = load_params(os.path.join(REF, f"{model}-io.params"))
    params["data"] = io["x"]
    out = g.run(params)[0]
    np.testing.assert_allclose(out, io["y"], rtol=1e-4, atol=1e-4)


def test_nd_save_files_from_mxnet():
    lst = load_items(os.path.join(REF, "nd_list.params"))
    assert len(lst) == 7 and all(name == "" for name, _ in lst)
    vals = [v for _, v in lst]
    np.testing.assert_array_equal(vals[0], np.arange(6, dtype=np.float32).reshape(2, 3))
    assert vals[1].dtype == np.float64 and vals[4].dtype == np.int64 and vals[4][0] == 2 ** 40
    assert vals[5].dtype == np.float16 and vals[5][1] == -1.25
    d = load_params(os.path.join(REF, "nd_dict.params"))
    assert set(d) == {"weight", "bias", "counts"}


def test_bad_graph_json_names_node():
    with pytest.raises(MXError, match="mystery"):
        Graph('{"nodes":[{"op":"null","name":"x","inputs":[]},'
              '{"op":"NoSuchOp","name":"mystery","inputs":[[0,0,0]]}],"heads":[[1,0,0]]}')
