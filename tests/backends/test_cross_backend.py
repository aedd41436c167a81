"""Cross-backend op test (in the spirit of ggml's test-backend-ops): every op
the device module implements (the manifest's per-op "backends" list) is run
on the CPU and on the device on random inputs of several shapes and every
dtype the device supports; forward outputs and autograd gradients must
agree. Forward calls run with MXCORE_STRICT_DEVICE=1, so a silent CPU
fallback fails the test."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import DEVICE, H, device_dtypes, device_of, require_backend, strict_device, to_dev

RNG = np.random.default_rng(1234)

BIN_KERNELS = ["add", "sub", "mul", "div", "mod", "power", "maximum", "minimum", "hypot", "equal", "not_equal",
               "greater", "greater_equal", "lesser", "lesser_equal", "logical_and", "logical_or", "logical_xor"]
EW_NAME = {"add": "elemwise_add", "sub": "elemwise_sub", "mul": "elemwise_mul", "div": "elemwise_div"}
SC_NAME = {"add": "_plus_scalar", "sub": "_minus_scalar", "mul": "_mul_scalar", "div": "_div_scalar"}
NO_GRAD_BIN = {"mod", "equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal", "logical_and",
               "logical_or", "logical_xor"}
UNARY_DOMAIN = {"log": (0.2, 3), "log10": (0.2, 3), "log2": (0.2, 3), "log1p": (-0.5, 3), "sqrt": (0.2, 3),
                "rsqrt": (0.2, 3), "cbrt": (0.2, 3), "rcbrt": (0.2, 3), "reciprocal": (0.3, 3),
                "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "arccosh": (1.2, 3),
                "tan": (-1.2, 1.2)}
SHAPES = [(7,), (3, 4), (2, 3, 5)]
BSHAPES = [((3, 4), (1, 4)), ((2, 3, 4), (3, 1)), ((4, 1, 5), (1, 6, 1)), ((5,), (1,))]


def _rand(shape, dtype, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def _bin_inputs(k, sa, sb, dt):
    if k in NO_GRAD_BIN - {"mod"}:
        return [RNG.integers(-2, 3, size=sa).astype(dt), RNG.integers(-2, 3, size=sb).astype(dt)]
    if k == "power":
        return [_rand(sa, dt, 0.3, 2), _rand(sb, dt, -1.5, 1.5)]
    if k in ("div", "mod"):
        return [_rand(sa, dt), _rand(sb, dt, 0.5, 2) * np.where(RNG.random(sb) < 0.5, -1, 1).astype(dt)]
    return [_rand(sa, dt), _rand(sb, dt)]


# (mode, layers, bidirectional, extra attrs) of the fused RNN cases
RNN_CONFIGS = [("lstm", 2, True, {"state_outputs": True}), ("gru", 2, True, {"state_outputs": True}),
               ("rnn_tanh", 1, False, {"state_outputs": True}), ("rnn_relu", 2, False, {}),
               ("lstm", 1, False, {"lstm_state_clip_min": -0.3, "lstm_state_clip_max": 0.3}),
               ("gru", 1, False, {"p": 0.3}),
               ("lstm", 2, True, {"projection_size": 4, "state_outputs": True}),  # LSTMP: h has 4 elements
               ("lstm", 2, False, {"projection_size": 8, "p": 0.3}),
               # per-sample lengths (given in the data's dtype): 4 = all steps, 0 = none
               ("gru", 2, True, {"use_sequence_length": True, "state_outputs": True}),
               ("lstm", 1, True, {"use_sequence_length": True, "projection_size": 4, "state_outputs": True}),
               ("rnn_tanh", 2, False, {"use_sequence_length": True, "p": 0.3, "state_outputs": True}),
               ("lstm", 2, True, {"use_sequence_length": True, "state_outputs": True})]


def cases(op: str, dt) -> list:
    """(inputs, attrs, wrt) triples for `op`; wrt=None means all float inputs,
    [] means no gradient check."""
    out = []
    for k in BIN_KERNELS:
        names = {EW_NAME.get(k, "_" + k): "ew", "broadcast_" + k: "bc", SC_NAME.get(k, f"_{k}_scalar"): "sc",
                 f"_r{k}_scalar" if k not in ("sub",) else "_rminus_scalar": "rsc"}
        if op in names:
            mode = names[op]
            nog = [] if k in NO_GRAD_BIN else None
            if mode == "ew":
                return [(_bin_inputs(k, s, s, dt), {}, nog) for s in SHAPES]
            if mode == "bc":
                return [(_bin_inputs(k, sa, sb, dt), {}, nog) for sa, sb in BSHAPES]
            scalar = 1.5 if k != "power" else 2.0
            pick = slice(1, 2) if mode == "rsc" else slice(0, 1)
            return [(_bin_inputs(k, s, s, dt)[pick], {"scalar": scalar}, nog) for s in SHAPES]
    unary = op[10:] if op.startswith("_backward_") else op
    if op in ("relu", "sigmoid", "softrelu", "softsign") or unary in UNARY_DOMAIN or op in UNARY_SIMPLE:
        lo, hi = UNARY_DOMAIN.get(op, (-2, 2))
        nog = [] if op in ("sign", "ceil", "floor", "round", "rint", "trunc", "fix", "logical_not") else None
        return [([_rand(s, dt, lo, hi)], {}, nog) for s in SHAPES]
    if op == "Activation":
        return [([_rand((3, 5), dt)], {"act_type": a}, None)
                for a in ("relu", "sigmoid", "tanh", "softrelu", "softsign", "log_sigmoid", "mish")]
    if op in ("gelu", "log_sigmoid", "mish"):
        return [([_rand((4, 5), dt, -3, 3)], {}, None)]
    if op == "hard_sigmoid":
        return [([_rand((4, 5), dt, -4, 4)], {"alpha": 0.3, "beta": 0.4}, None)]
    if op == "swish":
        return [([_rand((4, 5), dt, -3, 3)], {"beta": 1.5}, None)]
    if op == "LeakyReLU":  # rrelu outside training: the mean slope
        return [([_rand((3, 4), dt)], {"act_type": t, "slope": 0.2}, None) for t in ("elu", "gelu", "leaky", "selu")] + \
               [([_rand((3, 4), dt)], {"act_type": "rrelu", "lower_bound": 0.1, "upper_bound": 0.3}, None)]
    if op == "Cast":  # every pair the OpenCL module converts on the device (kernels_cl.h MXCL_CASTS)
        floats = [d for d in ("float16", "float32", "float64") if np.dtype(d) in device_dtypes()]
        out = [([_rand((3, 7), dt)], {"dtype": t}, None) for t in floats if t != np.dtype(dt).name]
        if dt == np.float32:
            # (negative floats to uint8 are undefined in C and OpenCL C alike)
            out += [([_rand((2, 5), dt, -50 if t != "uint8" else 0, 250)], {"dtype": t}, [])
                    for t in ("int32", "int64", "uint8")]
            out += [([RNG.integers(0, 200, size=(4, 3)).astype(t)], {"dtype": d}, [])
                    for t in ("int32", "int64", "uint8") for d in ("float16", "float32")]
        return out
    if op in ("RNN", "_rnn_with_reserve"):
        for mode, L, bidir, extra in RNN_CONFIGS:
            ng, D, T, N, I, H = {"lstm": 4, "gru": 3}.get(mode, 1), 2 if bidir else 1, 4, 3, 5, 6
            P = extra.get("projection_size")
            S = P or H  # h's size
            size = sum(D * (ng * H * (I if l == 0 else D * S) + ng * H * S + 2 * ng * H + (S * H if P else 0))
                       for l in range(L))
            ins = [_rand((T, N, I), dt), _rand((size,), dt, -0.5, 0.5), _rand((L * D, N, S), dt, -0.5, 0.5)]
            if mode == "lstm":
                ins.append(_rand((L * D, N, H), dt, -0.5, 0.5))
            wrt = None
            if extra.get("use_sequence_length"):
                wrt = list(range(len(ins)))  # not the lengths
                ins.append(np.array([4, 1, 0], dtype=dt))
            out.append((ins, dict({"mode": mode, "state_size": H, "num_layers": L, "bidirectional": bidir}, **extra),
                        wrt))
        return out
    if op == "multi_sgd_update":
        ws = [_rand(s, dt) for s in ((3, 4), (5,))]
        return [([ws[0], _rand((3, 4), dt), ws[1], _rand((5,), dt)],
                 {"lrs": (0.1, 0.2), "wds": (0.01, 0.0), "num_weights": 2, "rescale_grad": 0.5}, [])]
    if op == "multi_sgd_mom_update":
        return [([_rand((3, 4), dt), _rand((3, 4), dt), _rand((3, 4), dt), _rand((6,), dt), _rand((6,), dt),
                  _rand((6,), dt)], {"lrs": (0.1, 0.05), "wds": (0.0, 0.01), "momentum": 0.9, "num_weights": 2,
                                     "clip_gradient": 0.5}, [])]
    if op in ("argmax", "argmin"):
        x = _rand((3, 4, 5), dt)
        return [([x], {"axis": 1}, []), ([x], {"axis": -1, "keepdims": True}, []), ([x], {}, [])]
    if op == "clip":
        return [([_rand((4, 5), dt)], {"a_min": -0.5, "a_max": 1.0}, None)]
    if op == "where":
        cond = (RNG.random((3, 4)) < 0.5).astype(dt)
        return [([cond, _rand((3, 4), dt), _rand((3, 4), dt)], {}, [1, 2]),
                ([(RNG.random(3) < 0.5).astype(dt), _rand((3, 2, 2), dt), _rand((3, 2, 2), dt)], {}, [1, 2])]
    if op == "batch_dot":
        return [([_rand((3, 4, 5), dt), _rand((3, 5, 2), dt)], {}, None),
                ([_rand((2, 5, 4), dt), _rand((2, 6, 5), dt)], {"transpose_a": True, "transpose_b": True}, None),
                ([_rand((2, 3, 7, 4), dt), _rand((2, 3, 4, 32), dt)], {}, None)]
    # views: the core plans them, the module gathers (backward: scatters)
    if op == "transpose":
        return [([_rand((2, 3, 4), dt)], {"axes": (2, 0, 1)}, None), ([_rand((3, 5), dt)], {}, None)]
    if op == "swapaxes":
        return [([_rand((2, 3, 4), dt)], {"dim1": 0, "dim2": 2}, None)]
    if op == "slice":
        return [([_rand((4, 5), dt)], {"begin": (1, 0), "end": (3, 4)}, None),
                ([_rand((4, 6, 3), dt)], {"begin": (None, 5), "end": (None, 0), "step": (2, -2)}, None)]
    if op == "slice_axis":
        return [([_rand((3, 6), dt)], {"axis": 1, "begin": 1, "end": 4}, None),
                ([_rand((2, 3, 5), dt)], {"axis": -1, "begin": -3, "end": None}, None)]
    if op == "slice_like":
        return [([_rand((4, 5), dt), _rand((2, 3), dt)], {"axes": (1,)}, [0])]
    if op == "flip":
        return [([_rand((2, 3, 4), dt)], {"axis": (0, 2)}, None)]
    if op == "tile":
        return [([_rand((2, 3), dt)], {"reps": (2, 1, 3)}, None)]
    if op == "repeat":
        return [([_rand((2, 3), dt)], {"repeats": 2, "axis": 1}, None)]
    if op == "depth_to_space":
        return [([_rand((1, 8, 2, 3), dt)], {"block_size": 2}, None)]
    if op == "space_to_depth":
        return [([_rand((1, 2, 4, 6), dt)], {"block_size": 2}, None)]
    if op == "concat":
        return [([_rand((2, 3), dt), _rand((2, 1), dt), _rand((2, 4), dt)], {"dim": 1, "num_args": 3}, None),
                ([_rand((1, 3, 2), dt), _rand((2, 3, 2), dt)], {"dim": 0, "num_args": 2}, None)]
    if op == "stack":
        return [([_rand((2, 3), dt) for _ in range(3)], {"axis": 1, "num_args": 3}, None)]
    if op == "split":
        return [([_rand((4, 6), dt)], {"num_outputs": 3, "axis": 1}, None),
                ([_rand((3, 4), dt)], {"num_outputs": 3, "axis": 0, "squeeze_axis": True}, None)]
    if op == "broadcast_to":
        return [([_rand((3, 1, 4), dt)], {"shape": (2, 3, 5, 4)}, None), ([_rand((1,), dt)], {"shape": (3, 2)}, None)]
    if op == "broadcast_axis":
        return [([_rand((3, 1, 1), dt)], {"axis": (1, 2), "size": (4, 2)}, None)]
    if op == "broadcast_like":
        return [([_rand((7, 1, 1), dt), _rand((7, 4, 1), dt)], {}, [0]),
                ([_rand((2, 1), dt), _rand((5, 2, 3), dt)], {}, [0])]
    if op == "pick":  # float indices, out of range ones clipped or wrapped
        x = _rand((3, 4, 5), dt)
        return [([x, RNG.integers(-1, 6, size=(3, 5)).astype(dt)], {"axis": 1}, [0]),
                ([x, RNG.integers(-7, 9, size=(3, 4)).astype(dt)], {"axis": -1, "mode": "wrap"}, [0]),
                ([x, RNG.integers(0, 3, size=(4, 5)).astype(dt)], {"axis": 0, "keepdims": True}, [0])]
    if op == "_rnn_param_flat":
        return [([_rand((4, 3), dt), _rand((5,), dt), _rand((2, 2, 2), dt)], {"num_args": 3}, None)]
    if op in ("zeros_like", "ones_like"):
        return [([_rand(s, dt)], {}, []) for s in SHAPES]
    if op == "full_like":
        return [([_rand(s, dt)], {"fill_value": 3.5}, []) for s in SHAPES]
    if op == "add_n":
        return [([_rand(s, dt) for _ in range(3)], {"num_args": 3}, None) for s in SHAPES]
    if op in ("sum", "mean", "max", "min", "prod"):
        x = _rand((2, 3, 4), dt, 0.5, 1.5) if op == "prod" else _rand((2, 3, 4), dt)
        for attrs in ({}, {"axis": 1}, {"axis": (0, 2)}, {"axis": -1, "keepdims": True},
                      {"axis": 1, "exclude": True}):
            out.append(([x], attrs, None))
        out.append(([_rand((1000,), dt)], {}, None))
        return out
    if op in ("softmax", "log_softmax", "softmin"):
        return [([_rand((3, 5), dt)], {}, None), ([_rand((2, 3, 4), dt)], {"axis": 1}, None),
                ([_rand((4, 6), dt)], {"axis": 0, "temperature": 2.0}, None)]
    if op == "softmax_cross_entropy":
        return [([_rand((n, c), dt), RNG.integers(0, c, size=(n,)).astype(dt)], {}, [0]) for n, c in ((4, 5), (16, 10))]
    if op == "FullyConnected":
        return [([_rand((4, 6), dt), _rand((3, 6), dt), _rand((3,), dt)], {"num_hidden": 3}, None),
                ([_rand((2, 3, 4), dt), _rand((5, 12), dt), _rand((5,), dt)], {"num_hidden": 5}, None),
                ([_rand((70, 33), dt), _rand((65, 33), dt)], {"num_hidden": 65, "no_bias": True}, None)]
    if op == "dot":
        return [([_rand((3, 4), dt), _rand((4, 5), dt)], {}, None),
                ([_rand((4, 3), dt), _rand((4, 5), dt)], {"transpose_a": True}, None),
                ([_rand((3, 4), dt), _rand((5, 4), dt)], {"transpose_b": True}, None),
                ([_rand((67, 130), dt), _rand((130, 66), dt)], {}, None),
                # N a multiple of every packed-GEMM column block: the unpacked small-product path
                ([_rand((13, 40), dt), _rand((40, 192), dt)], {}, None),
                ([_rand((40, 13), dt), _rand((40, 192), dt)], {"transpose_a": True}, None),
                ([_rand((5, 3), dt), _rand((3, 192), dt)], {}, None),
                ([_rand((7,), dt), _rand((7,), dt)], {}, None)]
    if op == "Embedding":
        return [([RNG.integers(0, 10, size=(2, 3)).astype(dt), _rand((10, 4), dt)],
                 {"input_dim": 10, "output_dim": 4}, [1])]
    if op == "sgd_update":
        return [([_rand((3, 4), dt), _rand((3, 4), dt)], {"lr": 0.1, "wd": 0.01}, []),
                ([_rand((50,), dt), _rand((50,), dt)], {"lr": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.3}, [])]
    if op == "sgd_mom_update":
        return [([_rand((3, 4), dt) for _ in range(3)], {"lr": 0.1, "wd": 0.01, "momentum": 0.9}, [])]
    if op == "adam_update":
        return [([_rand((3, 4), dt), _rand((3, 4), dt), _rand((3, 4), dt), _rand((3, 4), dt, 0.1, 1)],
                 {"lr": 0.01, "wd": 0.01, "clip_gradient": 1.0}, [])]
    if op == "Convolution":
        x = _rand((2, 3, 9, 8), dt)
        return [([x, _rand((4, 3, 3, 3), dt), _rand((4,), dt)], {"kernel": (3, 3), "num_filter": 4}, None),
                ([x, _rand((4, 3, 3, 2), dt)], {"kernel": (3, 2), "num_filter": 4, "stride": (2, 1), "pad": (1, 1),
                                               "no_bias": True}, None),
                ([x, _rand((6, 1, 3, 3), dt), _rand((6,), dt)],
                 {"kernel": (3, 3), "num_filter": 6, "num_group": 3, "dilate": (2, 1)}, None),
                ([_rand((2, 2, 10), dt), _rand((3, 2, 4), dt), _rand((3,), dt)],
                 {"kernel": (4,), "num_filter": 3, "stride": (3,), "pad": (2,)}, None),
                ([_rand((1, 2, 4, 5, 5), dt), _rand((2, 2, 2, 3, 3), dt), _rand((2,), dt)],
                 {"kernel": (2, 3, 3), "num_filter": 2, "pad": (0, 1, 1)}, None)]
    if op == "Pooling":
        x = _rand((2, 3, 9, 8), dt)
        return [([x], {"kernel": (2, 2), "stride": (2, 2)}, None),
                ([x], {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"}, None),
                ([x], {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
                       "count_include_pad": False, "pooling_convention": "full"}, None),
                ([x], {"kernel": (3, 2), "stride": (1, 2), "pool_type": "sum"}, None),
                ([x], {"kernel": (3, 3), "stride": (2, 2), "pooling_convention": "same"}, None),
                ([x], {"global_pool": True, "pool_type": "avg"}, None),
                ([_rand((2, 3, 11), dt)], {"kernel": (3,), "stride": (2,)}, None),
                ([_rand((1, 2, 4, 5, 6), dt)], {"kernel": (2, 2, 3), "stride": (2, 2, 2)}, None)]
    if op == "BatchNorm":
        return [([_rand((4, 3, 5, 5), dt), _rand((3,), dt), _rand((3,), dt), _rand((3,), dt), _rand((3,), dt, 0.5, 2)],
                 {"fix_gamma": False}, [0, 1, 2]),
                ([_rand((6, 4), dt), _rand((4,), dt), _rand((4,), dt), _rand((4,), dt), _rand((4,), dt, 0.5, 2)],
                 {"eps": 1e-5}, [0, 2])]
    if op == "LayerNorm":
        return [([_rand((4, 7), dt), _rand((7,), dt), _rand((7,), dt)], {}, None),
                ([_rand((2, 5, 3), dt), _rand((5,), dt), _rand((5,), dt)], {"axis": 1, "output_mean_var": True}, None),
                ([_rand((3, 2, 4), dt), _rand((3,), dt), _rand((3,), dt)], {"axis": 0, "eps": 1e-3}, None),
                ([_rand((9,), dt), _rand((9,), dt), _rand((9,), dt)], {"axis": -1}, None)]
    if op == "InstanceNorm":
        return [([_rand((2, 3, 5), dt), _rand((3,), dt), _rand((3,), dt)], {}, None),
                ([_rand((3, 4, 3, 2), dt), _rand((4,), dt), _rand((4,), dt)], {"eps": 1e-5}, None)]
    if op == "GroupNorm":
        return [([_rand((2, 6, 4), dt), _rand((6,), dt), _rand((6,), dt)], {"num_groups": 3}, None),
                ([_rand((3, 4, 2, 3), dt), _rand((4,), dt), _rand((4,), dt)],
                 {"num_groups": 2, "output_mean_var": True}, None),
                ([_rand((4, 5), dt), _rand((5,), dt), _rand((5,), dt)], {}, None),
                ([_rand((2, 6, 4), dt), _rand((3,), dt), _rand((3,), dt)], {"num_groups": 3}, None)]  # per group
    if op == "reshape":
        return [([_rand((2, 3, 4), dt)], {"shape": (4, -1)}, None), ([_rand((2, 3, 4), dt)], {"shape": (0, -3)}, None)]
    if op == "reshape_like":
        return [([_rand((2, 6), dt), _rand((3, 4), dt)], {}, [0])]
    if op == "flatten":
        return [([_rand((2, 3, 4), dt)], {}, None)]
    if op == "expand_dims":
        return [([_rand((2, 3), dt)], {"axis": 1}, None)]
    if op == "squeeze":
        return [([_rand((2, 1, 3), dt)], {}, None)]
    if op == "Dropout":
        return [([_rand((4, 5), dt)], {"p": 0.3}, None)]
    return []


UNARY_SIMPLE = {"abs", "sign", "ceil", "floor", "round", "rint", "trunc", "fix", "exp", "expm1", "square",
                "negative", "sin", "cos", "sinh", "cosh", "tanh", "arctan", "arcsinh", "degrees", "radians", "erf",
                "logical_not", "identity", "BlockGrad", "make_loss"}


def device_ops() -> list:
    require_backend()
    return sorted(op["name"] for op in H.manifest()["ops"] if DEVICE in op["backends"])


def _is_helper(name: str) -> bool:
    """Gradient helpers are checked through the gradients of their forward op."""
    return name.startswith("_backward_") or name == "_reduce_to_shape_like"


def _grads(name, inputs, attrs, wrt, head, put, hs=None):
    """Gradients of inputs[wrt] for head; hs: handles to use instead of put(inputs)."""
    hs = hs if hs is not None else [put(x) for x in inputs]
    vars_ = H.ffi.new("mx_tensor[]", [hs[i] for i in wrt])
    H.check(H.lib.mx_autograd_mark_variables(vars_, H.ffi.new("int[]", [1] * len(wrt)), H.ffi.NULL, len(wrt)))
    H.check(H.lib.mx_autograd_set_recording(1, H.ffi.NULL))
    try:
        outs = H.invoke_handles(name, hs, attrs)
    finally:
        H.check(H.lib.mx_autograd_set_recording(0, H.ffi.NULL))
    hg = put(head.astype(H.from_mx(outs[0]).dtype))
    H.check(H.lib.mx_autograd_backward(H.ffi.new("mx_tensor[]", [outs[0]]), H.ffi.new("mx_tensor[]", [hg]), 1, 0, 0))
    res = []
    for i in wrt:
        g = H.ffi.new("mx_tensor *")
        H.check(H.lib.mx_tensor_grad(hs[i], g))
        res.append(H.from_mx(H.ffi.gc(g[0], H._release)))
    return res


def _tol(dt):
    if dt == np.float16:  # computed in float32 on both sides, rounded to half at each op's output
        return dict(rtol=1e-2, atol=1e-2)
    return dict(rtol=1e-4, atol=2e-5) if dt == np.float32 else dict(rtol=1e-9, atol=1e-11)


def _ops_and_dtypes():
    try:
        ops, dts = device_ops(), device_dtypes()
    except BaseException:  # backend missing: one skipped placeholder
        return [pytest.param("none", np.float32, marks=pytest.mark.skip(reason=f"{DEVICE} backend not loaded"))]
    return [pytest.param(op, dt, id=f"{op}-{dt.name}") for op in ops if not _is_helper(op) for dt in dts]


def test_every_device_op_has_cases():
    ops = device_ops()
    missing = [op for op in ops if not _is_helper(op) and not cases(op, np.float32)]
    assert not missing, f"ops with a {DEVICE} kernel but no cross-backend case: {missing}"
    helpers = [op for op in ops if _is_helper(op)]
    assert helpers, "expected gradient helper kernels"


@pytest.mark.parametrize("op,dt", _ops_and_dtypes())
def test_op_matches_cpu(op, dt):
    tol = _tol(dt)
    for inputs, attrs, wrt in cases(op, dt):
        want = H.run_op(op, inputs, attrs)
        with strict_device():
            outs = H.invoke_handles(op, [to_dev(x) for x in inputs], attrs)
        assert device_of(outs[0]) == {"opencl": 10, "cuda": 2}[DEVICE]
        got = [H.from_mx(h) for h in outs]
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype, f"{op} {attrs}: {g.shape} {g.dtype} vs {w.shape} {w.dtype}"
            np.testing.assert_allclose(g, w, err_msg=f"{op} forward {attrs} {[x.shape for x in inputs]}", **tol)
        if wrt == []:
            continue
        if wrt is None:
            wrt = list(range(len(inputs)))
        head = RNG.uniform(-1, 1, size=want[0].shape)
        g_cpu = _grads(op, inputs, attrs, wrt, head, H.to_mx)
        g_dev = _grads(op, inputs, attrs, wrt, head, to_dev)
        for i, a, b in zip(wrt, g_dev, g_cpu):
            np.testing.assert_allclose(a, b, err_msg=f"{op} gradient wrt input {i} {attrs}", **tol)


def test_fallback_runs_on_cpu_and_strict_mode_refuses():
    require_backend()
    x = RNG.uniform(-1, 1, size=(4, 3)).astype(np.float32)
    idx = np.array([2, 0], dtype=np.float32)
    out = H.invoke_handles("take", [to_dev(x), to_dev(idx)])
    assert device_of(out[0]) != 1
    np.testing.assert_array_equal(H.from_mx(out[0]), x[[2, 0]])
    with strict_device():
        with pytest.raises(H.MXError, match="take"):
            H.invoke_handles("take", [to_dev(x), to_dev(idx)])


def test_views_and_copies_round_trip():
    require_backend()
    a = RNG.uniform(-1, 1, size=(5, 6)).astype(np.float32)
    d = to_dev(a)
    np.testing.assert_array_equal(H.from_mx(d), a)
    # non-contiguous device view as a kernel input goes through a device copy
    t = H.invoke_handles("transpose", [d])[0]
    r = H.invoke_handles("_plus_scalar", [t], {"scalar": 1.0})[0]
    np.testing.assert_allclose(H.from_mx(r), a.T + 1, rtol=1e-6)
    # device -> device copy and dtype conversion through the host
    o = H.ffi.new("mx_tensor *")
    H.check(H.lib.mx_tensor_to_device(d, {"type": {"opencl": 10, "cuda": 2}[DEVICE], "id": 0}, o))
    np.testing.assert_array_equal(H.from_mx(H.ffi.gc(o[0], H._release)), a)


@pytest.mark.parametrize("dt", [np.float32, np.float16])
@pytest.mark.parametrize("op,states", [("sgd_mom_update", (2,)), ("adam_update", (2, 3)),
                                       ("multi_sgd_mom_update", (2, 5))])
def test_optimizer_state_updated_in_place(op, states, dt):
    """The state inputs change in place on the device as on the CPU — in
    float16 too, where the core updates float32 copies and writes them back."""
    if op not in device_ops():
        pytest.skip(f"{op} has no {DEVICE} kernel")
    inputs, attrs, _ = cases(op, dt)[0]
    cpu = [H.to_mx(x) for x in inputs]
    dev = [to_dev(x) for x in inputs]
    w_cpu = [H.from_mx(h) for h in H.invoke_handles(op, cpu, attrs)]
    with strict_device():
        w_dev = [H.from_mx(h) for h in H.invoke_handles(op, dev, attrs)]
    tol = _tol(dt) if dt == np.float16 else dict(rtol=1e-5, atol=1e-6)
    for a, b in zip(w_dev, w_cpu):
        np.testing.assert_allclose(a, b, **tol)
    for k in states:
        assert H.from_mx(dev[k]).dtype == dt
        np.testing.assert_allclose(H.from_mx(dev[k]), H.from_mx(cpu[k]), **tol)
        assert not np.allclose(H.from_mx(cpu[k]), inputs[k])  # the state did change


def _training(on: bool):
    prev = H.ffi.new("int *")
    H.check(H.lib.mx_autograd_set_training(1 if on else 0, prev))
    return prev[0]


@pytest.mark.parametrize("attrs", [{"p": 0.3}, {"p": 0.5, "axes": (1,)}, {"p": 0.7, "mode": "always"}, {"p": 1.0}])
def test_dropout_mask_matches_cpu_bit_for_bit(attrs):
    """Training-mode Dropout draws the CPU's Philox stream: same seed, same mask."""
    if "Dropout" not in device_ops():
        pytest.skip(f"Dropout has no {DEVICE} kernel")
    x = _rand((3, 5, 7), np.float32)
    prev = _training(True)
    try:
        H.check(H.lib.mx_random_seed(42))
        want = H.run_op("Dropout", [x], attrs)[0]
        H.check(H.lib.mx_random_seed(42))
        with strict_device():
            got = H.from_mx(H.invoke_handles("Dropout", [to_dev(x)], attrs)[0])
    finally:
        _training(bool(prev))
    np.testing.assert_array_equal(got == 0, want == 0)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if attrs["p"] < 1:
        assert 0 < (got == 0).mean() < 1


def test_batchnorm_moving_stats_update_in_backward_on_device():
    """MXNet 1.x's (CPU build) rule on every backend: a training forward only
    reads moving_mean/moving_var, BatchNorm's backward updates them; on the
    device (strict: no CPU fallback) to the CPU's values."""
    if "BatchNorm" not in device_ops():
        pytest.skip(f"BatchNorm has no {DEVICE} kernel")
    x, ga, be = _rand((4, 3, 5, 5), np.float32), _rand((3,), np.float32), _rand((3,), np.float32)
    mm, mv = _rand((3,), np.float32), _rand((3,), np.float32, 0.5, 2)
    attrs = {"fix_gamma": False, "momentum": 0.8, "output_mean_var": True}
    cpu = [H.to_mx(a) for a in (x, ga, be, mm, mv)]
    dev = [to_dev(a) for a in (x, ga, be, mm, mv)]
    head = RNG.uniform(-1, 1, size=x.shape)
    prev = _training(True)
    try:
        want = [H.from_mx(h) for h in H.invoke_handles("BatchNorm", cpu, attrs)]
        with strict_device():
            got = [H.from_mx(h) for h in H.invoke_handles("BatchNorm", dev, attrs)]
        for hs in (cpu, dev):  # the forward alone leaves them as they were
            np.testing.assert_array_equal(H.from_mx(hs[3]), mm)
            np.testing.assert_array_equal(H.from_mx(hs[4]), mv)
        g_cpu = _grads("BatchNorm", [x, ga, be, mm, mv], attrs, [0, 1, 2], head, H.to_mx, hs=cpu)
        with strict_device():
            g_dev = _grads("BatchNorm", [x, ga, be, mm, mv], attrs, [0, 1, 2], head, to_dev, hs=dev)
    finally:
        _training(bool(prev))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    for k, before in ((3, mm), (4, mv)):
        np.testing.assert_allclose(H.from_mx(dev[k]), H.from_mx(cpu[k]), rtol=1e-6, atol=1e-7)
        # one update (the recorded forward of _grads, then its backward): moving*0.8 + batch*0.2
        batch = x.mean(axis=(0, 2, 3)) if k == 3 else x.var(axis=(0, 2, 3))
        np.testing.assert_allclose(H.from_mx(cpu[k]), before * 0.8 + batch * 0.2, rtol=1e-5)
    for a, b in zip(g_dev, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", ["LayerNorm", "InstanceNorm", "GroupNorm"])
def test_row_norm_gradients_run_on_device(op):
    """The row normalisations' backward kernels run on the device (strict
    mode: no CPU fallback) and match the CPU, for every case and dtype."""
    if op not in device_ops() or f"_backward_{op}" not in device_ops():
        pytest.skip(f"{op} has no {DEVICE} forward and backward kernel")
    for dt in device_dtypes():
        for inputs, attrs, _ in cases(op, dt):
            head = RNG.uniform(-1, 1, size=inputs[0].shape)
            g_cpu = _grads(op, inputs, attrs, [0, 1, 2], head, H.to_mx)
            with strict_device():
                g_dev = _grads(op, inputs, attrs, [0, 1, 2], head, to_dev)
            for i, a, b in zip(range(3), g_dev, g_cpu):
                np.testing.assert_allclose(a, b, err_msg=f"{op} gradient wrt input {i} {attrs}", **_tol(dt))


@pytest.mark.parametrize("op", ["RNN", "_rnn_with_reserve"])
def test_rnn_dropout_in_training_matches_cpu(op):
    """Dropout between stacked RNN layers draws the CPU op's Philox stream on
    the device: same seed, same masks, so outputs and gradients (BPTT through
    the masks, with the reserve or recomputing the forward) match."""
    if op not in device_ops() or "_backward_RNN" not in device_ops():
        pytest.skip(f"{op} has no {DEVICE} kernel")
    ins, attrs, _ = cases("RNN", np.float32)[0]
    attrs = dict(attrs, num_layers=2, p=0.5)
    head = RNG.uniform(-1, 1, size=(4, 3, 12))
    prev = _training(True)
    try:
        H.check(H.lib.mx_random_seed(5))
        want = H.run_op(op, ins, attrs)
        g_cpu = _grads(op, ins, attrs, [0, 1, 2, 3], head, H.to_mx)
        H.check(H.lib.mx_random_seed(5))
        with strict_device():
            got = [H.from_mx(h) for h in H.invoke_handles(op, [to_dev(x) for x in ins], attrs)]
            g_dev = _grads(op, ins, attrs, [0, 1, 2, 3], head, to_dev)
    finally:
        _training(bool(prev))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=2e-5)
    for i, a, b in zip(range(4), g_dev, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5, err_msg=f"{op} gradient wrt input {i}")
    H.check(H.lib.mx_random_seed(6))
    prev = _training(True)
    try:
        other = H.run_op(op, ins, attrs)[0]
    finally:
        _training(bool(prev))
    assert not np.allclose(other, want[0])  # dropout really applies (another seed, other masks)


@pytest.mark.parametrize("attrs", [
    {"mode": "gru", "state_size": 6, "num_layers": 2, "bidirectional": True, "use_sequence_length": True,
     "state_outputs": True},
    {"mode": "lstm", "state_size": 6, "num_layers": 1, "bidirectional": True, "projection_size": 4,
     "use_sequence_length": True, "state_outputs": True}])
@pytest.mark.parametrize("op", ["RNN", "_rnn_with_reserve"])
def test_rnn_integer_sequence_lengths_run_on_cpu_from_device(op, attrs):
    """The device modules' RNN driver reads lengths in the data's dtype: integer
    lengths fall back to the CPU op (tensors copied, results back on the device),
    with the CPU's values and gradients; strict mode refuses them, naming the op."""
    require_backend()
    L, D, H_, P = attrs["num_layers"], 2, attrs["state_size"], attrs.get("projection_size")
    ng = {"lstm": 4, "gru": 3}[attrs["mode"]]
    S, T, N, I = P or H_, 4, 3, 5
    size = sum(D * (ng * H_ * (I if l == 0 else D * S) + ng * H_ * S + 2 * ng * H_ + (S * H_ if P else 0))
               for l in range(L))
    ins = [_rand((T, N, I), np.float32), _rand((size,), np.float32, -0.5, 0.5),
           _rand((L * D, N, S), np.float32, -0.5, 0.5)]
    if attrs["mode"] == "lstm":
        ins.append(_rand((L * D, N, H_), np.float32, -0.5, 0.5))
    if attrs.get("use_sequence_length"):
        ins.append(np.array([4, 1, 3], np.int32))
    want = H.run_op(op, ins, attrs)
    outs = H.invoke_handles(op, [to_dev(x) for x in ins], attrs)
    assert device_of(outs[0]) == {"opencl": 10, "cuda": 2}[DEVICE]
    for g, w in zip([H.from_mx(h) for h in outs], want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    head = RNG.uniform(-1, 1, size=want[0].shape)
    wrt = [0, 1, 2]
    for i, a, b in zip(wrt, _grads(op, ins, attrs, wrt, head, to_dev), _grads(op, ins, attrs, wrt, head, H.to_mx)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{op} gradient wrt input {i} {attrs}")
    with strict_device():
        with pytest.raises(H.MXError, match=op):
            H.invoke_handles(op, [to_dev(x) for x in ins], attrs)


def test_channel_last_layouts_fall_back_to_cpu():
    """The device kernels of Convolution and Pooling are written for NC... data: a channel-last call
    (NHWC) is declined (strict mode refuses it) and the CPU fallback gives the CPU's values and gradients."""
    require_backend()
    x, w, b = _rand((2, 6, 7, 3), np.float32), _rand((4, 3, 3, 3), np.float32), _rand((4,), np.float32)
    for op, inputs, attrs in [
        ("Convolution", [x, w, b], {"kernel": (3, 3), "num_filter": 4, "pad": (1, 0), "layout": "NHWC"}),
        ("Pooling", [x], {"kernel": (2, 2), "stride": (2, 1), "pool_type": "max", "layout": "NHWC"}),
        ("Pooling", [x], {"kernel": (3, 3), "pad": (1, 1), "pool_type": "avg", "layout": "NHWC"}),
    ]:
        want = H.run_op(op, inputs, attrs)
        with strict_device():
            with pytest.raises(H.MXError, match=op):
                H.invoke_handles(op, [to_dev(a) for a in inputs], attrs)
        got = [H.from_mx(h) for h in H.invoke_handles(op, [to_dev(a) for a in inputs], attrs)]
        np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-6)
        head = RNG.uniform(-1, 1, size=want[0].shape)
        wrt = list(range(len(inputs)))
        for a, c in zip(_grads(op, inputs, attrs, wrt, head, to_dev), _grads(op, inputs, attrs, wrt, head, H.to_mx)):
            np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
