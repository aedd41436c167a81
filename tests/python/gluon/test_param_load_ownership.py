"""Loading parameters keeps the arrays nd.load read from a file (no copy), never
arrays a caller still holds: each Block's parameters stay independent."""
import numpy as np

import mxcore as mx
from mxcore import gluon, nd


def _net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4), gluon.nn.Dense(2, in_units=3))
    return net


def test_two_blocks_loading_one_file_do_not_share_arrays(tmp_path):
    src = _net()
    src.initialize(mx.init.Uniform(1))
    f = str(tmp_path / "p.params")
    src.save_parameters(f)
    a, b = _net(), _net()
    a.load_parameters(f)
    b.load_parameters(f)
    w_b = b[0].weight.data().asnumpy().copy()
    a[0].weight.data()[:] = 7
    np.testing.assert_array_equal(b[0].weight.data().asnumpy(), w_b)
    np.testing.assert_array_equal(src[0].weight.data().asnumpy(), w_b)


def test_symbolblock_imports_twice_independent(tmp_path):
    src = _net()
    src.initialize(mx.init.Uniform(1))
    src.hybridize()
    x = nd.array(np.random.rand(2, 4))
    y = src(x).asnumpy()
    src.export(str(tmp_path / "m"), 0)
    a = gluon.SymbolBlock.imports(str(tmp_path / "m-symbol.json"), ["data"], str(tmp_path / "m-0000.params"))
    b = gluon.SymbolBlock.imports(str(tmp_path / "m-symbol.json"), ["data"], str(tmp_path / "m-0000.params"))
    for p in a.collect_params().values():
        p.data()[:] = 0
    np.testing.assert_allclose(b(x).asnumpy(), y, rtol=1e-6)


def test_parameter_dict_load_from_a_dict_copies_the_callers_arrays():
    pd = gluon.ParameterDict()
    p = pd.get("w", shape=(2, 2))
    mine = nd.ones((2, 2))
    pd.load({"w": mine})
    mine[:] = 5
    np.testing.assert_array_equal(p.data().asnumpy(), np.ones((2, 2)))
