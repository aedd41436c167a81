"""shape family: reshape & co, transpose, slicing, broadcasting, tile/repeat,
concat/stack/split/split_v2, Crop, pad, diag, depth_to_space/space_to_depth,
shape_array."""
import numpy as np
import pytest
from harness import check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(1)
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.uint8, np.float16]


def X(*shape, dtype=np.float64):
    return (rng.standard_normal(shape) * 3).astype(dtype)


@pytest.mark.parametrize("spec,want", [
    ((6, 4), (6, 4)), ((-1,), (24,)), ((0, -1), (2, 12)), ((-2,), (2, 3, 4)), ((-3, 4), (6, 4)),
    ((2, -4, 3, 1, 4), (2, 3, 1, 4)), ((2, -4, -1, 3, 4), (2, 1, 3, 4)), ((0, 0, -1), (2, 3, 4)), ((4, 0, -1), (4, 3, 2)),
])
def test_reshape(spec, want):
    x = X(2, 3, 4)
    check_op("reshape", [x], {"shape": spec}, lambda a: a.reshape(want))
    check_op("Reshape", [x.astype(np.int32)], {"shape": spec}, lambda a: a.reshape(want))


def test_reshape_reverse_and_grad():
    x = X(10, 5, 4)
    check_op("reshape", [x], {"shape": (-1, 0), "reverse": True}, lambda a: a.reshape(50, 4))
    check_grad("reshape", [X(2, 3, 4)], {"shape": (4, -1)})
    check_op("reshape_like", [x, np.zeros((20, 10))], {}, lambda a, b: a.reshape(20, 10))
    check_grad("reshape_like", [X(2, 6), np.zeros((3, 4))], wrt=[0])
    expect_error("reshape", [x], {"shape": (7, -1)}, contains=("reshape", "(10,5,4)"))
    expect_error("reshape", [x], {"shape": (-1, -1)}, contains=("reshape",))
    expect_error("reshape_like", [x, np.zeros(3)], {}, contains=("reshape_like", "(10,5,4)", "(3,)"))


def test_flatten_expand_squeeze():
    for dt in DTYPES:
        x = X(2, 3, 4, dtype=dt)
        check_op("flatten", [x], {}, lambda a: a.reshape(2, 12))
        check_op("Flatten", [X(5, dtype=dt)], {}, lambda a: a.reshape(5, 1))
        check_op("expand_dims", [x], {"axis": 1}, lambda a: np.expand_dims(a, 1))
        check_op("expand_dims", [x], {"axis": -1}, lambda a: np.expand_dims(a, -1))
    y = X(1, 3, 1, 2)
    check_op("squeeze", [y], {}, lambda a: a.squeeze())
    check_op("squeeze", [y], {"axis": (2,)}, lambda a: a.squeeze(2))
    check_op("squeeze", [X(1, 1)], {}, lambda a: a.reshape(1))
    check_grad("flatten", [X(2, 3, 2)])
    check_grad("expand_dims", [X(2, 3)], {"axis": 0})
    check_grad("squeeze", [y])
    expect_error("squeeze", [y], {"axis": (1,)}, contains=("squeeze", "(1,3,1,2)"))
    expect_error("expand_dims", [y], {"axis": 7}, contains=("expand_dims",))


def test_transpose_swapaxes():
    for dt in DTYPES:
        x = X(2, 3, 4, dtype=dt)
        check_op("transpose", [x], {}, lambda a: a.T)
        check_op("transpose", [x], {"axes": (1, 0, 2)}, lambda a: a.transpose(1, 0, 2))
        check_op("swapaxes", [x], {"dim1": 0, "dim2": 2}, lambda a: a.swapaxes(0, 2))
        check_op("SwapAxis", [x], {"dim1": 1, "dim2": -1}, lambda a: a.swapaxes(1, 2))
    big = X(300, 200, dtype=np.float32)
    check_op("transpose", [big], {}, lambda a: a.T)
    check_grad("transpose", [X(2, 3, 4)], {"axes": (2, 0, 1)})
    check_grad("transpose", [X(2, 3)])
    check_grad("swapaxes", [X(2, 3, 4)], {"dim1": 0, "dim2": 1})
    expect_error("transpose", [X(2, 3)], {"axes": (0, 0)}, contains=("transpose", "(2,3)"))
    expect_error("transpose", [X(2, 3)], {"axes": (0, 1, 2)}, contains=("transpose", "(2,3)"))


@pytest.mark.parametrize("b,e,s", [
    ((0,), (2,), None), ((1, 0), (3, 2), None), ((None, 1), (None, 3), None), ((-2,), (None,), None),
    ((None,), (None,), (-1,)), ((3, None), (0, None), (-1, 2)), ((0, 0, 1), (4, 3, 5), (2, 2, 2)),
    ((5,), (1,), None), ((-1, None), (None, None), (-2, -1)),
])
def test_slice(b, e, s):
    x = X(4, 3, 5)
    attrs = {"begin": b, "end": e}
    sl = []
    for i in range(len(b)):
        sl.append(slice(b[i], e[i], s[i] if s else None))
    if s:
        attrs["step"] = s
    check_op("slice", [x], attrs, lambda a: a[tuple(sl)])
    if x[tuple(sl)].size:
        check_grad("slice", [x], attrs)


def test_slice_axis_like():
    x = X(4, 5, 6)
    check_op("slice_axis", [x], {"axis": 1, "begin": 1, "end": 4}, lambda a: a[:, 1:4])
    check_op("slice_axis", [x], {"axis": -1, "begin": -3, "end": None}, lambda a: a[..., -3:])
    check_op("slice_axis", [x.astype(np.int32)], {"axis": 0, "begin": 0, "end": -1}, lambda a: a[:-1])
    check_grad("slice_axis", [x], {"axis": 2, "begin": 1, "end": 3})
    expect_error("slice_axis", [x], {"axis": 1, "begin": 4, "end": 2}, contains=("slice_axis", "(4,5,6)"))
    like = np.zeros((2, 3, 7))
    check_op("slice_like", [x, like], {"axes": (0, 1)}, lambda a, b: a[:2, :3])
    check_op("slice_like", [x, np.zeros((3, 2, 1))], {}, lambda a, b: a[:3, :2, :1])
    check_grad("slice_like", [x, like], {"axes": (0, 1)}, wrt=[0])
    expect_error("slice_like", [x, like], {}, contains=("slice_like", "(4,5,6)", "(2,3,7)"))


def test_flip():
    x = X(3, 4, 2)
    check_op("flip", [x], {"axis": (1,)}, lambda a: a[:, ::-1])
    check_op("reverse", [x.astype(np.uint8)], {"axis": (0, 2)}, lambda a: a[::-1, :, ::-1])
    check_grad("flip", [x], {"axis": (0, 1)})


def test_broadcast():
    x = X(3, 1, 2)
    for dt in (np.float32, np.int32):
        check_op("broadcast_to", [x.astype(dt)], {"shape": (3, 4, 2)}, lambda a: np.broadcast_to(a, (3, 4, 2)))
        check_op("broadcast_to", [x.astype(dt)], {"shape": (0, 5, 0)}, lambda a: np.broadcast_to(a, (3, 5, 2)))
    check_op("broadcast_axis", [x], {"axis": (1,), "size": (4,)}, lambda a: np.broadcast_to(a, (3, 4, 2)))
    check_op("broadcast_axes", [X(1, 2, 1)], {"axis": (0, 2), "size": (2, 3)}, lambda a: np.broadcast_to(a, (2, 2, 3)))
    check_op("broadcast_like", [x, np.zeros((3, 5, 2))], {}, lambda a, b: np.broadcast_to(a, b.shape))
    check_op("broadcast_like", [x, np.zeros((7, 6))], {"lhs_axes": (1,), "rhs_axes": (1,)},
             lambda a, b: np.broadcast_to(a, (3, 6, 2)))
    check_op("broadcast_to", [X(3)], {"shape": (2, 3)}, lambda a: np.broadcast_to(a, (2, 3)))
    check_grad("broadcast_to", [x], {"shape": (3, 4, 2)})
    check_grad("broadcast_axis", [x], {"axis": (1,), "size": (3,)})
    check_grad("broadcast_like", [x, np.zeros((2, 3, 3, 2))], wrt=[0])
    expect_error("broadcast_to", [x], {"shape": (4, 4, 2)}, contains=("broadcast_to", "(3,1,2)", "(4,4,2)"))
    expect_error("broadcast_axis", [x], {"axis": (0,), "size": (4,)}, contains=("broadcast_axis", "(3,1,2)"))


def test_tile_repeat():
    x = X(2, 3)
    for reps in [(2,), (2, 2), (1, 3, 2), (2, 1)]:
        check_op("tile", [x], {"reps": reps}, lambda a: np.tile(a, reps))
        check_grad("tile", [x], {"reps": reps})
    for ax in (None, 0, 1, -1):
        attrs = {"repeats": 3} if ax is None else {"repeats": 3, "axis": ax}
        check_op("repeat", [x.astype(np.int64)], attrs, lambda a: np.repeat(a, 3, axis=ax))
        check_grad("repeat", [x], attrs)


def test_concat_stack_split():
    a, b, c = X(2, 3, 4), X(2, 1, 4), X(2, 2, 4)
    check_op("concat", [a, b, c], {"num_args": 3}, lambda *t: np.concatenate(t, 1))
    check_op("Concat", [a, a], {"num_args": 2, "dim": 0}, lambda *t: np.concatenate(t, 0))
    check_op("concat", [a.astype(np.int32), a.astype(np.int32)], {"num_args": 2, "dim": -1},
             lambda *t: np.concatenate(t, -1))
    check_grad("concat", [a, b, c], {"num_args": 3})
    expect_error("concat", [a, X(3, 3, 4)], {"num_args": 2}, contains=("concat", "(2,3,4)", "(3,3,4)"))
    for ax in (0, 1, 3, -1):
        check_op("stack", [a, a * 2, a * 3], {"num_args": 3, "axis": ax}, lambda *t: np.stack(t, ax))
    check_grad("stack", [a, a * 2], {"num_args": 2, "axis": 1})
    expect_error("stack", [a, b], {"num_args": 2}, contains=("stack", "(2,3,4)", "(2,1,4)"))
    x = X(4, 6, 2)
    outs = run_op("split", [x], {"num_outputs": 3})
    for o, w in zip(outs, np.split(x, 3, 1)):
        np.testing.assert_array_equal(o, w)
    outs = run_op("SliceChannel", [x], {"num_outputs": 4, "axis": 0, "squeeze_axis": True})
    for i, o in enumerate(outs):
        np.testing.assert_array_equal(o, x[i])
    for k in range(3):
        check_grad("split", [x], {"num_outputs": 3, "axis": 1}, out_index=k)
    check_grad("split", [x], {"num_outputs": 2, "axis": 2, "squeeze_axis": True}, out_index=1)
    expect_error("split", [x], {"num_outputs": 4}, contains=("split", "(4,6,2)"))


# split_v2 (MXNet semantics, checked against MXNet 1.9.1): an int is equal
# sections, a tuple is numpy.split points (empty parts allowed)
@pytest.mark.parametrize("ios,axis", [(3, 1), (2, -1), (1, 0), ((1, 3), 2), ((0, 2), 2), ((2, 2), -1), ((), 2),
                                      ((2,), 2), ((4,), 2), ((0,), 0)])
def test_split_v2(ios, axis):
    x = X(2, 3, 4)
    want = np.split(x, list(ios) if isinstance(ios, tuple) else ios, axis)
    outs = check_op("split_v2", [x], {"indices_or_sections": ios, "axis": axis}, lambda a: tuple(want))
    assert len(outs) == len(want)
    for k, w in enumerate(want):
        if w.size:
            check_grad("split_v2", [x], {"indices_or_sections": ios, "axis": axis}, out_index=k)


def test_split_v2_forms_dtypes_and_squeeze():
    x = X(2, 3, 6)
    # a one-element tuple is a split point, an int is a section count
    for text, parts in [("(2,)", [2, 4]), ("[2]", [2, 4]), ("2", [3, 3]), (" 3 ", [2, 2, 2]), ("[1, 4]", [1, 3, 2])]:
        outs = run_op("split_v2", [x], {"indices_or_sections": text, "axis": 2})
        assert [o.shape[2] for o in outs] == parts, text
    for dt in DTYPES:
        xd = X(3, 4, dtype=dt)
        check_op("split_v2", [xd], {"indices_or_sections": (1,)}, lambda a: tuple(np.split(a, [1], 0)))
    want = [np.squeeze(p, 1) for p in np.split(x, 3, 1)]
    check_op("split_v2", [x], {"indices_or_sections": 3, "axis": 1, "squeeze_axis": True}, lambda a: tuple(want))
    want = [np.squeeze(p, 1) for p in np.split(x, [1, 2], 1)]
    check_op("split_v2", [x], {"indices_or_sections": (1, 2), "axis": 1, "squeeze_axis": True}, lambda a: tuple(want))
    check_grad("split_v2", [x], {"indices_or_sections": 3, "axis": 1, "squeeze_axis": True}, out_index=2)
    # MXNet's internal form in symbol files: _split_v2 with part starts (leading 0) or sections
    check_op("_split_v2", [x], {"indices": (0, 1, 3), "sections": 0, "axis": 2},
             lambda a: tuple(np.split(a, [1, 3], 2)))
    check_op("_split_v2", [x], {"indices": "[]", "sections": 3, "axis": -1}, lambda a: tuple(np.split(a, 3, 2)))
    check_op("_split_v2", [x], {"indices": (2, 5), "axis": 2}, lambda a: (a[:, :, 2:5], a[:, :, 5:]))
    check_grad("_split_v2", [x], {"indices": (2, 5), "axis": 2}, out_index=0)
    check_op("split_v2", [np.zeros((0, 4))], {"indices_or_sections": 2, "axis": 1},
             lambda a: tuple(np.split(a, 2, 1)))


def _split_v2_graph(attrs, n_heads):
    """Load an MXNet symbol file holding one _split_v2 node whose outputs
    0..n_heads-1 are the graph's heads; returns the output names."""
    import json
    from harness import check, ffi, lib
    js = json.dumps({"nodes": [{"op": "null", "name": "x", "inputs": []},
                               {"op": "_split_v2", "name": "s", "attrs": attrs, "inputs": [[0, 0, 0]]}],
                     "arg_nodes": [0], "node_row_ptr": [0, 1, 1 + n_heads], "heads": [[1, k, 0] for k in range(n_heads)]})
    g = ffi.new("mx_graph *")
    check(lib.mx_graph_from_json(js.encode(), g))
    g = ffi.gc(g[0], lib.mx_graph_release)
    n, names = ffi.new("int *"), ffi.new("const char *const **")
    check(lib.mx_graph_list(g, 2, n, names))
    return [ffi.string(names[0][i]).decode() for i in range(n[0])]


def test_split_v2_in_symbol_files():
    # what MXNet 1.9.1 writes for split_v2(x, (1, 3), axis=1)
    attrs = {"axis": "1", "indices": "[0, 1, 3]", "sections": "0", "squeeze_axis": "False"}
    assert _split_v2_graph(attrs, 3) == ["s_output0", "s_output1", "s_output2"]
    assert len(_split_v2_graph({"indices": "[]", "sections": "4"}, 4)) == 4
    # output counting runs without inputs: a bad value must not crash it (infer reports it)
    assert len(_split_v2_graph({"indices_or_sections": "oops"}, 1)) == 1


def test_split_v2_errors():
    x = X(2, 3, 4)
    expect_error("split_v2", [x], {"indices_or_sections": 3, "axis": 2}, contains=("split_v2", "(2,3,4)", "3 equal"))
    expect_error("split_v2", [x], {"indices_or_sections": (3, 1), "axis": 2}, contains=("split_v2", "(2,3,4)", "[3, 1)"))
    expect_error("split_v2", [x], {"indices_or_sections": (5,), "axis": 2}, contains=("split_v2", "[0, 4]"))
    expect_error("split_v2", [x], {"indices_or_sections": (-1,), "axis": 2}, contains=("split_v2", "non-decreasing"))
    expect_error("split_v2", [x], {"indices_or_sections": (1,), "axis": 1, "squeeze_axis": True},
                 contains=("split_v2", "squeeze_axis", "size 1"))
    expect_error("split_v2", [x], {"indices_or_sections": 0}, contains=("split_v2", "sections", "got 0"))
    expect_error("split_v2", [x], {"indices_or_sections": "two"}, contains=("split_v2", "'two'"))
    expect_error("split_v2", [x], {}, contains=("split_v2", "indices_or_sections is required"))
    expect_error("split_v2", [x], {"indices_or_sections": 2, "sections": 2}, contains=("split_v2", "not both"))
    expect_error("split_v2", [x], {"indices_or_sections": 2, "axis": 3}, contains=("split_v2", "axis"))
    expect_error("split_v2", [np.float64(1.0)], {"indices_or_sections": 1}, contains=("split_v2", "0-d"))


# Crop (MXNet's legacy NCHW crop): window h_w or crop_like's (H, W); centre
# offsets are floor((size - window) / 2), as MXNet 1.9.1 computes them
def _crop_ref(y, x, h, w):
    return lambda a, *like: a[:, :, y:y + h, x:x + w]


def test_crop():
    d = X(2, 3, 5, 7)
    check_op("Crop", [d], {"num_args": 1, "h_w": (2, 3)}, _crop_ref(0, 0, 2, 3))
    check_op("Crop", [d], {"num_args": 1, "h_w": (2, 3), "offset": (3, 4)}, _crop_ref(3, 4, 2, 3))
    check_op("Crop", [d], {"num_args": 1, "h_w": (2, 3), "center_crop": True}, _crop_ref(1, 2, 2, 3))
    check_op("Crop", [d], {"num_args": 1, "h_w": (3, 4), "center_crop": True, "offset": (0, 3)}, _crop_ref(1, 1, 3, 4))
    check_op("Crop", [d], {"num_args": 1, "h_w": (5, 7)}, _crop_ref(0, 0, 5, 7))
    like = np.zeros((1, 1, 3, 2), np.float32)
    check_op("Crop", [d, like], {"num_args": 2}, _crop_ref(0, 0, 3, 2))
    check_op("Crop", [d, like], {"num_args": 2, "h_w": (1, 1), "offset": (1, 5)}, _crop_ref(1, 5, 3, 2))
    check_op("Crop", [d, like], {"num_args": 2, "center_crop": True}, _crop_ref(1, 2, 3, 2))
    for dt in DTYPES:
        out = check_op("Crop", [d.astype(dt)], {"num_args": 1, "h_w": (2, 2), "offset": (1, 1)}, _crop_ref(1, 1, 2, 2))
        assert out[0].dtype == dt
    check_grad("Crop", [X(2, 2, 4, 5)], {"num_args": 1, "h_w": (2, 3), "offset": (1, 2)})
    check_grad("Crop", [X(1, 2, 5, 4), like], {"num_args": 2, "center_crop": True}, wrt=[0])
    # crop_like only gives a shape: its gradient is zero
    from harness import autograd_grads
    gd, gl = autograd_grads("Crop", [d, like.astype(np.float64)], {"num_args": 2}, [0, 1], np.ones((2, 3, 3, 2)))
    want = np.zeros_like(d)
    want[:, :, :3, :2] = 1
    np.testing.assert_array_equal(gd, want)
    np.testing.assert_array_equal(gl, np.zeros_like(like))


def test_crop_errors():
    d = X(2, 3, 5, 7)
    expect_error("Crop", [d], {"num_args": 1}, contains=("Crop", "h_w", "(2,3,5,7)"))
    expect_error("Crop", [d], {"num_args": 1, "h_w": (6, 7)}, contains=("Crop", "(6,7)", "(2,3,5,7)"))
    expect_error("Crop", [d], {"num_args": 1, "h_w": (2, 3), "offset": (4, 0)}, contains=("Crop", "offset (4,0)"))
    expect_error("Crop", [d], {"num_args": 1, "h_w": (2, 3), "offset": (-1, 0)}, contains=("Crop", "offset (-1,0)"))
    expect_error("Crop", [d], {"num_args": 1, "h_w": (2,)}, contains=("Crop", "h_w must have 2"))
    expect_error("Crop", [d[0]], {"num_args": 1, "h_w": (2, 3)}, contains=("Crop", "4-d", "(3,5,7)"))
    expect_error("Crop", [d, np.zeros((3, 2))], {"num_args": 2}, contains=("Crop", "crop_like", "(3,2)"))
    expect_error("Crop", [d, np.zeros((1, 1, 6, 2))], {"num_args": 2}, contains=("Crop", "(6,2)"))
    expect_error("Crop", [d], {"num_args": 2}, contains=("Crop", "expected 2 input"))
    expect_error("Crop", [d, d, d], {"num_args": 3}, contains=("Crop", "num_args"))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad(mode):
    x = X(2, 3, 4, 5)
    pw = (0, 0, 0, 0, 1, 2, 2, 1)
    npw = [(pw[2 * i], pw[2 * i + 1]) for i in range(4)]
    kw = {"constant_values": 1.5} if mode == "constant" else {}
    attrs = {"mode": mode, "pad_width": pw}
    if mode == "constant":
        attrs["constant_value"] = 1.5
    check_op("pad", [x], attrs, lambda a: np.pad(a, npw, mode=mode, **kw))
    check_op("Pad", [x.astype(np.float32)], attrs, lambda a: np.pad(a, npw, mode=mode, **kw))
    check_grad("pad", [X(1, 2, 3, 3)], attrs)
    expect_error("pad", [x], {"mode": mode, "pad_width": (1, 1)}, contains=("pad", "(2,3,4,5)"))


def test_diag():
    m = X(4, 5)
    for k in (0, 1, -2, 5):  # k=5: just past the edge, empty (beyond that MXNet raises)
        check_op("diag", [m], {"k": k}, lambda a: np.diagonal(a, k))
    check_op("diag", [X(2, 3, 4)], {"k": 1, "axis1": 1, "axis2": 2}, lambda a: np.diagonal(a, 1, 1, 2))
    v = X(3)
    for k in (0, 2, -1):
        check_op("diag", [v], {"k": k}, lambda a: np.diag(a, k))
        check_op("diag", [v.astype(np.int32)], {"k": k}, lambda a: np.diag(a, k))
    check_grad("diag", [m], {"k": 1})
    check_grad("diag", [v], {"k": -1})
    expect_error("diag", [X(2, 3)], {"axis1": 1, "axis2": 1}, contains=("diag", "(2,3)"))


def test_depth_space():
    x = X(2, 8, 3, 2)
    b = 2

    def d2s(a):
        n, c, h, w = a.shape
        t = a.reshape(n, b, b, c // 4, h, w).transpose(0, 3, 4, 1, 5, 2)
        return t.reshape(n, c // 4, h * b, w * b)

    def s2d(a):
        n, c, h, w = a.shape
        t = a.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
        return t.reshape(n, c * 4, h // b, w // b)

    check_op("depth_to_space", [x], {"block_size": 2}, d2s)
    y = X(2, 3, 4, 6)
    check_op("space_to_depth", [y], {"block_size": 2}, s2d)
    np.testing.assert_array_equal(run_op("space_to_depth", [run_op("depth_to_space", [x], {"block_size": 2})[0]],
                                         {"block_size": 2})[0], x)
    check_grad("depth_to_space", [X(1, 4, 2, 2)], {"block_size": 2})
    check_grad("space_to_depth", [X(1, 2, 2, 4)], {"block_size": 2})
    expect_error("depth_to_space", [X(2, 6, 3, 2)], {"block_size": 2}, contains=("depth_to_space", "(2,6,3,2)"))


def test_shape_size_array():
    x = X(2, 3, 4, dtype=np.float32)
    check_op("shape_array", [x], {}, lambda a: np.array(a.shape, np.int64))
    out = check_op("size_array", [x], {}, lambda a: np.array([a.size], np.int64))[0]
    assert out.dtype == np.int64


def test_zero_size():
    z = np.zeros((0, 3), np.float32)
    check_op("transpose", [z], {}, lambda a: a.T)
    check_op("reshape", [z], {"shape": (3, -1)}, lambda a: a.reshape(3, 0))
    check_op("concat", [z, z], {"num_args": 2, "dim": 0}, lambda a, b: np.concatenate([a, b]))
    check_op("tile", [z], {"reps": (2, 2)}, lambda a: np.tile(a, (2, 2)))
    check_op("broadcast_like", [np.zeros((1, 3), np.float32), z], {}, lambda a, b: np.zeros((0, 3)))
