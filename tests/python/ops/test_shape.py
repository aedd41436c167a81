"""shape family: reshape & co, transpose, slicing, broadcasting, tile/repeat,
concat/stack/split, pad, diag, depth_to_space/space_to_depth, shape_array."""
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
    for k in (0, 1, -2, 6):
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
