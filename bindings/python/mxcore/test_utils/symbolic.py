"""Checking symbols through executors: forward and backward against expected values,
backward against finite differences, one symbol across devices/dtypes, and timing."""
from __future__ import annotations

import time
import traceback

import numpy as np

from .compare import assert_almost_equal
from .tolerances import default_context, default_dtype, default_numeric_eps, get_tolerance, get_tols

_FLOATS = (np.float16, np.float32, np.float64)


def _nd():
    from .. import ndarray
    return ndarray


def _check_dtype(dtype, allow_asnumpy=True):
    assert (allow_asnumpy and dtype == "asnumpy") or dtype in _FLOATS, f"unsupported dtype {dtype}"


def _to_nd(value, ctx, dtype):
    """numpy -> NDArray on ``ctx`` (dtype ``dtype``, or the array's own for 'asnumpy');
    anything else (an NDArray) is used as it is."""
    if isinstance(value, np.ndarray):
        return _nd().array(value, ctx=ctx, dtype=value.dtype if dtype == "asnumpy" else dtype)
    return value


def _by_name(names, values, what):
    """A list/tuple (in ``names`` order) or a dict that must name exactly ``names``."""
    if isinstance(values, dict):
        if set(values) != set(names):
            raise ValueError(f"Symbol {what} and the keys given do not match: symbol has {sorted(names)}, "
                             f"given {sorted(values)}")
        return dict(values)
    assert isinstance(values, (list, tuple)), f"{what}: expected a list, tuple or dict"
    return dict(zip(names, values))


def _parse_location(sym, location, ctx, dtype=default_dtype()):
    """Argument name -> NDArray (sorted by name) from a list in list_arguments() order or a dict."""
    _check_dtype(dtype)
    parsed = _by_name(sym.list_arguments(), location, "arguments")
    return {k: _to_nd(parsed[k], ctx, dtype) for k in sorted(parsed)}


def _parse_aux_states(sym, aux_states, ctx, dtype=default_dtype()):
    """Aux-state name -> NDArray, or None when no aux states are given."""
    _check_dtype(dtype)
    if aux_states is None:
        return None
    parsed = _by_name(sym.list_auxiliary_states(), aux_states, "aux_states")
    return {k: _nd().array(v, ctx=ctx, dtype=np.asarray(v).dtype if dtype == "asnumpy" else dtype)
            for k, v in parsed.items()}


def simple_forward(sym, ctx=None, is_train=False, **inputs):
    """Bind ``sym`` to the numpy ``inputs`` (by argument name), run forward and return the
    output as numpy (a list when there are several)."""
    nd = _nd()
    exe = sym.bind(ctx or default_context(), args={k: nd.array(v) for k, v in inputs.items()})
    exe.forward(is_train=is_train)
    outs = [o.asnumpy() for o in exe.outputs]
    return outs[0] if len(outs) == 1 else outs


def numeric_grad(executor, location, aux_states=None, eps=1e-4, use_forward_train=True, dtype=default_dtype()):
    """Central finite differences of sum(executor.outputs[0]) for each float argument.

    ``location`` maps argument names to numpy arrays (the point); ``aux_states`` (name ->
    array) is restored before every forward, so ops that update them (BatchNorm) are
    evaluated at the same state. Returns name -> numpy gradient of ``dtype``."""
    _check_dtype(dtype, allow_asnumpy=False)
    nd = _nd()

    def put(name, value):
        executor.arg_dict[name][:] = nd.array(value, dtype=dtype)

    def loss_at(name, value):
        put(name, value)
        for key, val in (aux_states or {}).items():
            executor.aux_dict[key][:] = nd.array(val, dtype=dtype)
        executor.forward(is_train=use_forward_train)
        return executor.outputs[0].asnumpy().astype(np.float64).sum()

    points = {k: np.array(v, order="C") for k, v in location.items()}
    for k, v in points.items():
        put(k, v)
    grads = {k: np.zeros(v.shape, dtype=dtype) for k, v in points.items()}
    for name, point in points.items():
        if point.dtype.kind != "f":
            continue
        flat = point.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps / 2.0
            f_plus = loss_at(name, point)
            flat[i] = orig - eps / 2.0
            f_minus = loss_at(name, point)
            flat[i] = orig
            grads[name].reshape(-1)[i] = (f_plus - f_minus) / eps
        put(name, point)
    return grads


def _grad_nodes(sym, grad_nodes):
    """(names to check, their grad_req) from None, a list or a name -> grad_req dict."""
    if grad_nodes is None:
        names = sym.list_arguments()
        return names, {k: "write" for k in names}
    if isinstance(grad_nodes, (list, tuple)):
        return list(grad_nodes), {k: "write" for k in grad_nodes}
    if isinstance(grad_nodes, dict):
        return list(grad_nodes), dict(grad_nodes)
    raise ValueError(f"grad_nodes must be None, a list or a dict, got {type(grad_nodes).__name__}")


def _check_grad(name, req, expected, got, start, rtol, atol, names, equal_nan=False):
    """Compare one argument's gradient under its grad_req ('add' subtracts the start value,
    'null' expects the start value untouched)."""
    got = got.asnumpy() if hasattr(got, "asnumpy") else got
    if req == "write":
        assert_almost_equal(expected, got, rtol, atol, names, equal_nan=equal_nan)
    elif req == "add":
        assert_almost_equal(expected, got - start, rtol, atol, names, equal_nan=equal_nan)
    elif req == "null":
        assert_almost_equal(start, got, rtol, atol, names, equal_nan=equal_nan)
    else:
        raise ValueError(f"Invalid grad_req {req} for argument {name}")


def check_numeric_gradient(sym, location, aux_states=None, numeric_eps=None, rtol=None, atol=None,
                           grad_nodes=None, use_forward_train=True, ctx=None, grad_stype_dict=None,
                           dtype=default_dtype()):
    """Check ``sym``'s backward against finite differences at ``location``.

    The output is multiplied by a fixed random projection and summed, so every output
    element contributes; the symbolic gradient of that scalar must match the numeric
    one within rtol/atol (per-dtype defaults), else AssertionError names the argument
    (NUMERICAL_x vs BACKWARD_x) and the worst element."""
    _check_dtype(dtype, allow_asnumpy=False)
    if grad_stype_dict and any(v != "default" for v in grad_stype_dict.values()):
        raise NotImplementedError("check_numeric_gradient: sparse gradient storage is not supported by mxcore")
    from .. import symbol as S
    nd = _nd()
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    location_np = {k: v.asnumpy() for k, v in location.items()}
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    aux_np = None if aux is None else {k: v.asnumpy() for k, v in aux.items()}
    names, grad_req = _grad_nodes(sym, grad_nodes)

    _, out_shapes, _ = sym.infer_shape(**{k: v.shape for k, v in location.items()})
    proj_name = "__random_proj"
    loss = S.make_loss(sym * S.Variable(proj_name))
    # elements near zero would lose too many digits in the finite differences
    location[proj_name] = nd.array(np.random.rand(*out_shapes[0]) + 0.1, ctx=ctx, dtype=dtype)
    start = {k: np.random.normal(0, 0.01, size=location[k].shape) for k in list(names) + [proj_name]}
    args_grad = {k: nd.array(v, ctx=ctx, dtype=dtype) for k, v in start.items()}
    req = {k: grad_req.get(k, "null") for k in loss.list_arguments()}
    exe = loss.bind(ctx, args=location, args_grad=args_grad, grad_req=req, aux_states=aux)
    if len(exe.arg_arrays) != len(location):
        raise ValueError(f"executor has {len(exe.arg_arrays)} arguments, location gives {len(location)}")
    exe.forward(is_train=True)
    assert len(exe.outputs) == 1, "check_numeric_gradient needs a single-output symbol"
    eps = get_tolerance(exe.outputs[0], numeric_eps, default_numeric_eps())
    if dtype in (np.float16, np.float32):
        assert eps >= 1e-5, "finite differences need eps >= 1e-5 below float64"
    exe.backward()
    symbolic = exe.grad_dict
    numeric = numeric_grad(exe, location_np, aux_np, eps=eps, use_forward_train=use_forward_train, dtype=dtype)
    for name in names:
        _check_grad(name, grad_req[name], numeric[name], symbolic[name], start[name], rtol, atol,
                    ("NUMERICAL_%s" % name, "BACKWARD_%s" % name))


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None, ctx=None,
                           equal_nan=False, dtype=default_dtype()):
    """Run ``sym`` forward (inference mode) at ``location`` and compare every output with
    ``expected`` (a list in output order or a dict by output name). Returns the outputs."""
    _check_dtype(dtype)
    nd = _nd()
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, dict):
        expected = [expected[k] for k in sym.list_outputs()]
    grads = {k: nd.zeros(v.shape, ctx=ctx, dtype=v.dtype if dtype == "asnumpy" else dtype)
             for k, v in location.items()}
    exe = sym.bind(ctx=ctx, args=location, args_grad=grads, aux_states=aux)
    outputs = exe.forward(is_train=False)
    for name, want, got in zip(sym.list_outputs(), expected, outputs):
        assert_almost_equal(want, got, rtol, atol, ("EXPECTED_%s" % name, "FORWARD_%s" % name), equal_nan=equal_nan)
    return exe.outputs


def _head_grads(sym, out_grads, ctx, dtype):
    """Head gradients as a list in output order (numpy entries become NDArrays)."""
    if out_grads is None:
        return None
    if isinstance(out_grads, dict):
        out_grads = [out_grads.get(k) for k in sym.list_outputs()]
    return [_to_nd(g, ctx, dtype) for g in out_grads]


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None, aux_states=None,
                            grad_req="write", ctx=None, grad_stypes=None, equal_nan=False,
                            dtype=default_dtype()):
    """Run forward (training mode) and backward with head gradients ``out_grads`` and
    compare the argument gradients with ``expected`` (list in argument order or dict).
    Gradient buffers start random, so 'add' and 'null' are checked for real. Returns
    name -> gradient NDArray."""
    _check_dtype(dtype)
    if grad_stypes and any(v not in (None, "default") for v in grad_stypes.values()):
        raise NotImplementedError("check_symbolic_backward: sparse gradient storage is not supported by mxcore")
    nd = _nd()
    ctx = ctx or default_context()
    location = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    if isinstance(expected, (list, tuple)):
        expected = dict(zip(sym.list_arguments(), expected))
    start = {k: np.random.normal(size=np.shape(expected[k])) for k in sorted(expected)}
    grads = {k: nd.array(v, ctx=ctx, dtype=np.asarray(expected[k]).dtype if dtype == "asnumpy" else dtype)
             for k, v in start.items()}
    if isinstance(grad_req, str):
        grad_req = {k: grad_req for k in sym.list_arguments()}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(sym.list_arguments(), grad_req))
    exe = sym.bind(ctx=ctx, args=location, args_grad=grads, aux_states=aux, grad_req=grad_req)
    exe.forward(is_train=True)
    exe.backward(_head_grads(sym, out_grads, ctx, dtype))
    for name in expected:
        _check_grad(name, grad_req.get(name, "null"), expected[name], grads[name], start[name], rtol, atol,
                    ("EXPECTED_%s" % name, "BACKWARD_%s" % name), equal_nan=equal_nan)
    return grads


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ="whole", **kwargs):  # noqa: N803
    """Seconds per iteration of forward+backward (typ='whole') or forward ('forward'),
    averaged over ``N`` runs after one warm-up; ``kwargs`` give input shapes when
    ``location`` (name -> numpy) is None."""
    from .. import ndarray as nd
    ctx = ctx or default_context()
    grad_req = grad_req or "write"
    if location is None:
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx, **kwargs)
        location = {k: np.random.normal(size=a.shape, scale=1.0) for k, a in exe.arg_dict.items()}
    else:
        assert isinstance(location, dict), f'Expect dict, get "location"={location}'
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx, **{k: v.shape for k, v in location.items()})
    for name, value in location.items():
        exe.arg_dict[name][:] = value.astype(exe.arg_dict[name].dtype)
    if typ == "whole":
        def step():
            exe.forward(is_train=True)
            exe.backward(out_grads=exe.outputs)
    elif typ == "forward":
        def step():
            exe.forward(is_train=False)
    else:
        raise ValueError('typ can only be "whole" or "forward".')
    step()
    nd.waitall()
    tic = time.time()
    for _ in range(N):
        step()
    nd.waitall()
    return (time.time() - tic) / N


def _smaller_dtype(dt1, dt2):
    return dt1 if dt2 is None or np.dtype(dt1).itemsize < np.dtype(dt2).itemsize else dt2


def _compare_or_report(arr, gtarr, rt, at, equal_nan, raise_on_err, what):
    try:
        assert_almost_equal(arr, gtarr, rtol=rt, atol=at, equal_nan=equal_nan)
    except AssertionError as err:
        print(what)
        traceback.print_exc()
        if raise_on_err:
            raise
        print(str(err))


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write", arg_params=None, aux_params=None,
                      rtol=None, atol=None, raise_on_err=True, ground_truth=None, equal_nan=False,
                      use_uniform=False, rand_type=np.float64):
    """Check that ``sym`` (or one symbol per entry) gives the same outputs and gradients
    for every entry of ``ctx_list`` -- dicts of simple_bind arguments: 'ctx', input
    shapes, 'type_dict'. The most precise output dtype is the reference unless
    ``ground_truth`` (name -> array) is given; returns the reference arrays."""
    from .. import ndarray as nd
    from ..symbol import Symbol
    assert len(ctx_list) > 1
    syms = [sym] * len(ctx_list) if isinstance(sym, Symbol) else list(sym)
    assert len(syms) == len(ctx_list)
    out_names, arg_names = syms[0].list_outputs(), syms[0].list_arguments()
    exes = []
    for s, spec in zip(syms, ctx_list):
        assert s.list_arguments() == arg_names and s.list_outputs() == out_names
        exes.append(s.simple_bind(grad_req=grad_req, **spec))
    arg_params = {} if arg_params is None else arg_params
    aux_params = {} if aux_params is None else aux_params
    for name in sorted(exes[0].arg_dict):
        if name not in arg_params:
            shape = exes[0].arg_dict[name].shape
            if use_uniform:
                value = np.random.uniform(-0.92 * scale, 0.92 * scale, size=shape)
            else:
                value = np.random.normal(size=shape, scale=scale)
            arg_params[name] = value.astype(rand_type)
    for name in exes[0].aux_dict:
        aux_params.setdefault(name, 0)
    for exe in exes:
        for name, arr in exe.arg_dict.items():
            arr[:] = arg_params[name]
        for name, arr in exe.aux_dict.items():
            arr[:] = aux_params[name]
        if grad_req == "add":
            for arr in exe.grad_arrays:
                if arr is not None:
                    arr[:] = 0
    for exe in exes:
        exe.forward(is_train=False)
    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exes]
    gt_idx = int(np.argmax([d.itemsize for d in dtypes]))
    gt = dict(ground_truth) if ground_truth is not None else dict(exes[gt_idx].output_dict)
    for i, exe in enumerate(exes):
        if i == gt_idx:
            continue
        for name, arr in zip(out_names, exe.outputs):
            _compare_or_report(arr, gt[name], rtol, atol, equal_nan, raise_on_err,
                               "Predict Err: ctx %d vs ctx %d at %s" % (i, gt_idx, name))
    if grad_req == "null":
        return gt
    for exe in exes:
        exe.forward(is_train=True)
    least = [o.dtype for o in exes[0].outputs]
    for exe in exes:
        least = [_smaller_dtype(o.dtype, d) for o, d in zip(exe.outputs, least)]
    heads = [o.astype(d).asnumpy() for o, d in zip(exes[0].outputs, least)]
    for exe in exes:
        exe.backward([nd.array(h, ctx=exe._ctx, dtype=o.dtype) for h, o in zip(heads, exe.outputs)])
    if ground_truth is None:
        gt = dict(exes[gt_idx].output_dict)
        gt.update(exes[gt_idx].grad_dict)
    for i, exe in enumerate(exes):
        if i == gt_idx:
            continue
        for name, arr in zip(out_names + arg_names, exe.outputs + exe.grad_arrays):
            gtarr = gt.get(name)
            if gtarr is None:
                assert arr is None, f"{name}: the reference has no gradient but ctx {i} does"
                continue
            rt, at = rtol, atol
            arr_dt, gt_dt = _smaller_dtype(arr.dtype, dtypes[i]), _smaller_dtype(gtarr.dtype, dtypes[gt_idx])
            if np.dtype(arr_dt) != np.dtype(arr.dtype) or np.dtype(gt_dt) != np.dtype(gtarr.dtype):
                rt, at = get_tols(np.empty(0, arr_dt), np.empty(0, gt_dt), rtol, atol)
            _compare_or_report(arr, gtarr, rt, at, equal_nan, raise_on_err,
                               "Train Err: %s %s ctx %d vs %s %s ctx %d at %s" % (
                                   np.dtype(arr.dtype).name, arr.context, i, np.dtype(gtarr.dtype).name,
                                   getattr(gtarr, "context", "numpy"), gt_idx, name))
    return gt


def same_symbol_structure(sym1, sym2) -> bool:
    """True when the two graphs have the same op at every node position."""
    import json
    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(n1["op"] == n2["op"] for n1, n2 in zip(nodes1, nodes2))
