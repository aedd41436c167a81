"""Generates one Python function per public registry op from the core's JSON
manifest at import time (no hand-written per-op wrappers), with a docstring
built from the registry's op/attr docs, and forwards fluent NDArray methods
(x.sum(), x.relu(), ...) to them."""
from __future__ import annotations

import json
import keyword
import types

from ..base import check_call, ffi, lib
from . import ndarray as _nd
from .ndarray import NDArray, _get_op, invoke

_MANIFEST = None


def manifest() -> dict:
    global _MANIFEST
    if _MANIFEST is None:
        p = ffi.new("const char **")
        check_call(lib.mx_registry_json(p))
        _MANIFEST = json.loads(ffi.string(p[0]).decode())
    return _MANIFEST


def _doc(op: dict) -> str:
    lines = [op.get("doc") or op["name"], "", "Parameters", "----------"]
    for name in op.get("inputs", []):
        lines.append(f"{name} : NDArray{' (variadic)' if op.get('variadic') else ''}")
    for a in op.get("attrs", []):
        typ = a.get("type", "")
        extra = "required" if a.get("required") else f"optional, default={a.get('default')}"
        if a.get("choices"):
            extra += f", one of {a['choices']}"
        lines.append(f"{a['name']} : {typ}, {extra}")
        if a.get("doc"):
            lines.append(f"    {a['doc']}")
    lines += ["out : NDArray, optional", "    The output array.", "", "Returns", "-------",
              "NDArray or list of NDArrays"]
    return "\n".join(lines)


def _make(op: dict):
    name = op["name"]
    inputs = list(op.get("inputs", []))
    input_set = set(inputs)
    variadic = bool(op.get("variadic"))
    attr_order = [a["name"] for a in op.get("attrs", [])]
    attr_names = set(attr_order)
    has_num_args = "num_args" in attr_names
    ctx_drop = "ctx" not in attr_names
    n_inputs = len(inputs)
    handle = []

    def fn(*args, out=None, name=None, **kwargs):
        if not handle:
            handle.append(_get_op(op["name"]))
        # fast path: NDArray positionals, attributes by keyword (how gluon and
        # most user code call ops); anything else takes the general path below
        if not has_num_args and (variadic or len(args) <= n_inputs) and (not kwargs or not (input_set & kwargs.keys())):
            for a in args:
                if type(a) is not NDArray:
                    break
            else:
                for v in kwargs.values():
                    if v is None:
                        break
                else:
                    if ctx_drop and "ctx" in kwargs:
                        kwargs.pop("ctx")
                    res = invoke(handle[0], args, kwargs, out=out)
                    if out is not None:
                        return out
                    return res[0] if len(res) == 1 else res  # MXNet: one output -> an NDArray
        arrays = []
        for i, a in enumerate(args):
            if isinstance(a, NDArray):
                arrays.append(a)
            elif isinstance(a, (list, tuple)) and a and all(isinstance(x, NDArray) for x in a):
                arrays.extend(a)
            elif a is None:
                continue
            else:  # nd.clip(x, 0, 1): what follows the arrays are attributes, in order
                positional_attrs(op["name"], attr_order, args[i:], kwargs, variadic)
                break
        if input_set and kwargs:
            named = [kwargs.pop(k) for k in inputs if k in kwargs]
            for x in named:
                if x is None:
                    continue
                if isinstance(x, (list, tuple)):
                    arrays.extend(x)
                else:
                    arrays.append(x)
        if variadic:
            for k in ("data", "args", "arrays"):
                if k in kwargs and isinstance(kwargs[k], (list, tuple)):
                    arrays.extend(kwargs.pop(k))
        if (not variadic and out is None and len(arrays) == n_inputs + 1 and args
                and isinstance(args[-1], NDArray) and arrays[-1] is args[-1]):
            out = arrays.pop()  # MXNet's signature: op(inputs..., attrs..., out=None): nd.exp(x, y) writes y
        if has_num_args and "num_args" not in kwargs:
            kwargs["num_args"] = len(arrays)
        kwargs.pop("ctx", None) if "ctx" not in attr_names else None
        for k in [k for k, v in kwargs.items() if v is None and k not in attr_names]:
            kwargs.pop(k)
        res = invoke(handle[0], arrays, kwargs, out=out)
        if out is not None:
            return out
        return res[0] if len(res) == 1 else res  # MXNet: one output -> an NDArray

    pyname = name if not keyword.iskeyword(name) else name + "_"
    fn.__name__ = pyname
    fn.__qualname__ = pyname
    fn.__doc__ = _doc(op)
    return fn


def positional_attrs(opname: str, attr_order: list, values, kwargs: dict, variadic: bool) -> None:
    """MXNet's generated op functions take attributes positionally after the inputs
    (``nd.clip(x, 0, 1)``, ``nd.transpose(x, (1, 0))``, ``nd.topk(x, 1, 3)``), in the
    op's declared attribute order; put them into `kwargs`. Shared by mx.nd and mx.sym."""
    if variadic:
        raise TypeError(f"{opname}: positional arguments must be arrays (it takes any number of them); "
                        f"pass attributes by keyword")
    if len(values) > len(attr_order):
        raise TypeError(f"{opname}: got {len(values)} positional attribute(s) {tuple(values)!r} but it has "
                        f"{len(attr_order)} ({', '.join(attr_order) or 'none'})")
    for k, v in zip(attr_order, values):
        if k in kwargs:
            raise TypeError(f"{opname}: attribute '{k}' given positionally and by keyword")
        kwargs[k] = v


# helpers that must keep their hand-written Python signatures (creation,
# views, MXNet's convenience argument forms)
_KEEP = {"array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace", "concat", "stack",
         "concatenate", "waitall", "from_numpy", "moveaxis"}


def register_ops(namespace: dict, make, keep, per_name=False) -> list:
    """Put make(op) in `namespace` under every public op's name and aliases
    (and under internal "_" names, unlisted), skipping the hand-written names
    in `keep`; returns the public names. Shared by mx.nd and mx.sym (which
    makes one function per name, make(op, name): node names follow the name
    called)."""
    names = []
    for op in manifest()["ops"]:
        fn = make(op)
        is_public = op.get("public", True)
        for n in [op["name"]] + list(op.get("aliases") or []):
            if n in keep:
                continue
            if n.startswith("_") or is_public:
                namespace.setdefault(n, make(op, n) if per_name else fn)
                if not n.startswith("_"):
                    names.append(n)
    return names


def prefixed_namespace(namespace: dict, prefix: str, qualname: str):
    """MXNet's op sub-namespaces: ``_contrib_boolean_mask`` is also
    ``mx.nd.contrib.boolean_mask`` (and ``mx.sym.contrib.boolean_mask``),
    ``_linalg_gemm2`` is ``linalg.gemm2``. Returns a module holding the ops of
    `namespace` whose name starts with ``_<prefix>_``, under the rest of the name."""
    mod = types.ModuleType(qualname, f"MXNet's {prefix} ops ({qualname}), generated from the registry.")
    head = "_" + prefix + "_"
    names = sorted(n for n in namespace if n.startswith(head) and len(n) > len(head))
    for n in names:
        fn = namespace[n]
        short = n[len(head):]
        # mx.sym.contrib.box_iou names its nodes box_iou0, as MXNet
        setattr(mod, short, fn._rehint(short.lower()) if hasattr(fn, "_rehint") else fn)
    mod.__all__ = [n[len(head):] for n in names]
    return mod


def split_namespaces(namespace: dict, op_names, qualname: str):
    """MXNet's ``_internal`` (ops named with a leading underscore, as
    ``mx.nd._internal._plus_scalar``) and ``op`` (the public ones) modules
    over the generated ops in `namespace`; both are put in sys.modules so
    ``from mxnet.ndarray import _internal`` style imports work."""
    import sys
    mods = []
    all_names = {n for op in manifest()["ops"] for n in [op["name"]] + list(op.get("aliases") or [])}
    for sub, private in (("_internal", True), ("op", False)):
        mod = types.ModuleType(qualname + "." + sub, f"MXNet's {sub} op namespace ({qualname}), from the registry.")
        names = sorted(n for n in (all_names if private else op_names) if n in namespace and n.startswith("_") == private)
        for n in names:
            setattr(mod, n, namespace[n])
        mod.__all__ = names
        sys.modules[mod.__name__] = mod
        mods.append(mod)
    return tuple(mods)

def register_all(namespace: dict) -> list:
    """Create every public op (and its aliases) in `namespace`; returns the names."""
    return register_ops(namespace, _make, _KEEP)


# fluent methods: x.op(...) == nd.op(x, ...)
_FLUENT = ["sum", "mean", "max", "min", "prod", "nansum", "nanprod", "norm", "argmax", "argmin", "argmax_channel",
           "exp", "expm1", "log", "log10", "log2", "log1p", "relu", "sigmoid", "softmax", "log_softmax", "softmin",
           "flatten", "expand_dims", "squeeze", "transpose", "swapaxes", "clip", "abs", "sign", "sqrt", "rsqrt",
           "cbrt", "rcbrt", "square", "reciprocal", "one_hot", "topk", "sort", "argsort", "tile", "repeat", "split",
           "slice", "slice_axis", "slice_like", "take", "pick", "round", "rint", "fix", "floor", "ceil", "trunc",
           "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
           "arctanh", "degrees", "radians", "flip", "pad", "diag", "dot", "batch_dot", "where", "nanmean",
           "logsumexp", "broadcast_axes", "broadcast_axis", "shape_array", "size_array", "gamma", "gammaln",
           "erf", "erfinv", "space_to_depth", "depth_to_space", "split_v2", "reverse", "zeros_like", "ones_like",
           "softsign", "log_sigmoid", "mish", "gelu", "selu", "erfc", "sum_axis"]


def attach_fluent(namespace: dict) -> None:
    for name in _FLUENT:
        if hasattr(NDArray, name) and name not in ("zeros_like", "ones_like"):
            continue
        fn = namespace.get(name)
        if fn is None:
            continue

        def method(self, *args, _fn=fn, **kwargs):
            return _fn(self, *args, **kwargs)

        method.__name__ = name
        method.__doc__ = f"Fluent form of :func:`mxcore.nd.{name}` with this array as the first input."
        setattr(NDArray, name, method)
    _nd.NDArray.__abs__ = lambda self: namespace["abs"](self)
