"""An attribute passed as None is written 'None' where the op takes None as a
value (as MXNet 1.9.1's JSON shows), and dropped elsewhere."""
import json

import mxcore as mx


def _attrs(s):
    return json.loads(s.tojson())["nodes"][-1].get("attrs")


def test_none_attrs_written_as_mxnet_writes_them():
    x = mx.sym.var("x")
    # MXNet 1.9.1: {'axis': '0', 'begin': '0', 'end': 'None'}, {'axis': 'None'}, {'axis': 'None', 'ord': '2'}
    assert _attrs(mx.sym.slice_axis(x, axis=0, begin=0, end=None)) == {"axis": "0", "begin": "0", "end": "None"}
    assert _attrs(mx.sym.sum(x, axis=None)) == {"axis": "None"}
    assert _attrs(mx.sym.norm(x, ord=2, axis=None)) == {"ord": "2", "axis": "None"}
    s = mx.sym.slice_axis(x, axis=0, begin=1, end=None)
    assert s.infer_shape(x=(3, 4))[1] == [(2, 4)]
    # a float attribute has no None value: left out, its default applies
    assert "slope" not in (_attrs(mx.sym.LeakyReLU(x, slope=None)) or {})
