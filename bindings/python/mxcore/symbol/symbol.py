"""Symbol: a lazily composed graph of registry ops (MXNet 1.x ``mx.sym``).

A Symbol is a list of output entries ``(node, index)`` over a small Python DAG
of ``_Node`` objects. The DAG exists only to compose graphs cheaply in Python;
everything a graph *means* (argument/aux/output lists, shape and dtype
inference, the JSON format, execution) is answered by the C core: the DAG is
serialised to MXNet symbol JSON and handed to ``mx_graph_from_json``, so the
core stays the single source of truth.

Shapes during tracing: ``hybridize`` gives its input variables known shapes
(``_trace_shape``); ``Symbol.shape`` then runs the core's inference on the
sub-graph, so layer code that reads ``x.shape`` traces like it runs eagerly.
"""
from __future__ import annotations

import json
import numbers
import threading
import warnings
from numbers import Number

import numpy as np

from ..numpy_extension._mode import _state as _np_state
from .. import attribute as _attribute
from ..base import MXNetError, NotImplementedForSymbol, attr_str, check_call, ffi, lib, np_dtype, py_str
from ..ndarray.register import positional_attrs

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "NameManager", "Prefix", "Graph"]


# ---- names --------------------------------------------------------------------
class NameManager:
    """Auto names ``<hint><n>`` for ops created without ``name=`` (MXNet's NameManager)."""

    _current = threading.local()

    def __init__(self):
        self._counter: dict = {}
        self._old = []  # a stack: the same manager may be entered re-entrantly

    def get(self, name, hint):
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return "%s%d" % (hint, n)

    def __enter__(self):
        self._old.append(getattr(NameManager._current, "value", None))
        NameManager._current.value = self
        return self

    def __exit__(self, *exc):
        NameManager._current.value = self._old.pop()


class Prefix(NameManager):
    """Prepends ``prefix`` to every name (explicit or automatic) made in its scope."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


_DEFAULT_NM = NameManager()


def current_name_manager() -> NameManager:
    return getattr(NameManager._current, "value", None) or _DEFAULT_NM


# ---- the DAG ------------------------------------------------------------------
_NODE_SEQ = iter(range(1 << 62))  # creation order: control flow tells its body's nodes from outer ones


class _Node:
    __slots__ = ("op", "name", "attrs", "inputs", "n_vis", "trace_shape", "subgraphs", "seq", "versions",
                 "__weakref__")

    def __init__(self, op, name, attrs=None, inputs=(), n_vis=1):
        self.op = op                      # registry/MXNet op name; None for a variable
        self.name = name
        self.attrs = dict(attrs or {})    # str -> str (MXNet's form)
        self.inputs = list(inputs)        # [(node, output index)]
        self.n_vis = n_vis                # visible outputs
        self.trace_shape = None           # (shape, dtype) of a traced variable
        self.subgraphs = None             # control-flow nodes: [Symbol] (MXNet's "subgraphs")
        self.seq = next(_NODE_SEQ)
        self.versions = None              # NNVM entry versions read from a JSON file, per input


def _entry_versions(nodes):
    """NNVM's input-entry versions, per node (in topological order): an input read
    from a variable carries the variable's version, and an input the op mutates
    (BatchNorm's moving_mean/moving_var) bumps it first -- so MXNet writes a model's
    aux-state inputs as [id, 0, 1]. Nodes loaded from a JSON file keep the versions
    the file gave them, as MXNet does."""
    var_ver, out = {}, {}
    for n in nodes:
        if n.op is None:
            out[id(n)] = []
            continue
        if n.versions is not None and len(n.versions) == len(n.inputs):
            vers = list(n.versions)
            for (c, _), v in zip(n.inputs, vers):
                if c.op is None and v > var_ver.get(id(c), 0):
                    var_ver[id(c)] = v
        else:
            vers = [var_ver.get(id(c), 0) if c.op is None else 0 for c, _ in n.inputs]
            for k in (_op_info(n.op) or {}).get("mutates_inputs", ()):
                if k < len(n.inputs) and n.inputs[k][0].op is None:
                    c = n.inputs[k][0]
                    var_ver[id(c)] = vers[k] = var_ver.get(id(c), 0) + 1
        out[id(n)] = vers
    return out


def _topo(entries):
    """Nodes reachable from `entries` in DFS post-order (MXNet's node order)."""
    order, seen = [], set()
    for node, _ in entries:
        if id(node) in seen:
            continue
        stack = [(node, 0)]
        while stack:
            n, i = stack.pop()
            if i == 0 and id(n) in seen:
                continue
            if i < len(n.inputs):
                stack.append((n, i + 1))
                child = n.inputs[i][0]
                if id(child) not in seen:
                    stack.append((child, 0))
            else:
                if id(n) not in seen:
                    seen.add(id(n))
                    order.append(n)
    return order


_AMP_CAST_OPS = ("amp_cast", "amp_multicast")


def _without_amp_casts(sym):
    """Copy of `sym`'s DAG with amp_cast / amp_multicast bypassed (output i of a
    cast is its input i); the symbol itself unchanged when it has none."""
    nodes = _topo(sym._outs)
    if not any(n.op in _AMP_CAST_OPS for n in nodes):
        return sym
    copies = {}

    def entry(node, i):
        while node.op in _AMP_CAST_OPS:
            node, i = node.inputs[i]
        return copies[id(node)], i

    for n in nodes:  # post-order: inputs are copied first
        if n.op in _AMP_CAST_OPS:
            continue
        c = _Node(n.op, n.name, n.attrs, [entry(m, i) for m, i in n.inputs], n.n_vis)
        c.trace_shape, c.versions = n.trace_shape, n.versions
        copies[id(n)] = c
    return Symbol([entry(n, i) for n, i in sym._outs])


class Graph:
    """A core graph handle (mx_graph) with the few calls the Python side needs."""

    def __init__(self, json_text: str):
        g = ffi.new("mx_graph *")
        check_call(lib.mx_graph_from_json(json_text.encode(), g))
        self.handle = ffi.gc(g[0], lib.mx_graph_release)

    def names(self, what: int) -> list:
        n = ffi.new("int *")
        names = ffi.new("const char *const **")
        check_call(lib.mx_graph_list(self.handle, what, n, names))
        return [py_str(names[0][i]) for i in range(n[0])]

    def to_json(self) -> str:
        p = ffi.new("const char **")
        check_call(lib.mx_graph_to_json(self.handle, p))
        return py_str(p[0])

    def infer(self, known: dict, partial: bool) -> dict:
        p = ffi.new("const char **")
        check_call(lib.mx_graph_infer(self.handle, json.dumps(known).encode(), int(bool(partial)), p))
        return json.loads(py_str(p[0]))

    def run(self, args, aux, is_train: bool, n_out: int):
        """args/aux: NDArrays in list order. Returns new NDArrays."""
        from ..ndarray.ndarray import _new
        a = ffi.new("mx_tensor[]", [x.handle for x in args] or [ffi.NULL])
        x = ffi.new("mx_tensor[]", [t.handle for t in aux] or [ffi.NULL])
        outs = ffi.new("mx_tensor[]", max(n_out, 1))
        n = ffi.new("int *")
        check_call(lib.mx_graph_run(self.handle, a, len(args), x, len(aux), int(bool(is_train)), outs,
                                    max(n_out, 1), n))
        return [_new(outs[i]) for i in range(n[0])]


# ---- op metadata ----------------------------------------------------------------
_OPS = None


def _op_info(name):
    global _OPS
    if _OPS is None:
        from ..ndarray.register import manifest
        _OPS = {}
        for op in manifest()["ops"]:
            for n in [op["name"]] + list(op.get("aliases") or []):
                _OPS.setdefault(n, op)
    return _OPS.get(name)


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1")


def _n_visible(op: dict, attrs: dict) -> int:
    nv = op.get("num_visible_outputs", op.get("num_outputs", 1))
    if nv and nv > 0 and op.get("num_outputs", 1) != -1:
        return nv
    names = {a["name"] for a in op.get("attrs", [])}
    if "output_mean_var" in names:
        return 3 if _truthy(attrs.get("output_mean_var", "False")) else 1
    if "output_score" in names:  # Proposal / MultiProposal
        return 2 if _truthy(attrs.get("output_score", "False")) else 1
    # ask the core: a one-node graph reports the op's output count for these attrs
    n_in = len(op.get("inputs", [])) or 1
    nodes = [{"op": "null", "name": "i%d" % i, "inputs": []} for i in range(n_in)]
    nodes.append({"op": op["name"], "name": "n", "attrs": attrs, "inputs": [[i, 0, 0] for i in range(n_in)]})
    text = json.dumps({"nodes": nodes, "arg_nodes": list(range(n_in)), "heads": [[n_in, 0, 0]]})
    g = Graph(text)
    row = json.loads(g.to_json())["node_row_ptr"]
    return row[-1] - row[-2]


def _skip_input(opname: str, inp: str, attrs: dict) -> bool:
    """Inputs an op does not take for these attrs (MXNet's per-attr argument lists)."""
    if inp == "bias":
        op = _op_info(opname) or {}
        dflt = next((a.get("default") for a in op.get("attrs", []) if a["name"] == "no_bias"), False)
        if _truthy(attrs.get("no_bias", dflt)):
            return True
    if opname.endswith("BilinearResize2D") and inp == "like":
        return attrs.get("mode", "size") != "like"
    if opname.endswith("DeformablePSROIPooling") and inp == "trans":
        return _truthy(attrs.get("no_trans", "False"))
    if opname == "_histogram" and inp == "bins":  # edges come from bin_cnt + range instead
        return attrs.get("bin_cnt", "None") not in (None, "None")
    if opname == "LeakyReLU" and inp == "gamma":
        return attrs.get("act_type", "leaky") != "prelu"
    if opname == "RNN":
        if inp == "state_cell":
            return attrs.get("mode") != "lstm"
        if inp == "sequence_length":
            return not _truthy(attrs.get("use_sequence_length", "False"))
    if inp == "sequence_length":
        return not _truthy(attrs.get("use_sequence_length", "False"))
    if inp == "length" and opname in ("softmax", "log_softmax", "softmin"):
        return not _truthy(attrs.get("use_length", "False"))
    if opname == "CTCLoss" and inp in ("data_lengths", "label_lengths"):
        return not _truthy(attrs.get("use_" + inp, "False"))
    return False


# MXNet 1.9.1's own name for registry ops whose canonical name differs from ours
# (each is one of our aliases; read from MXNet's registry): graph nodes record it, so
# the JSON we write names ops as MXNet's does (Flatten, Reshape, SliceChannel, ...)
_MXNET_OP_NAMES = {
    "BilinearResize2D": "_contrib_BilinearResize2D", "adagrad_update": "_sparse_adagrad_update",
    "adamw_update": "_adamw_update", "arange": "_arange", "boolean_mask": "_contrib_boolean_mask", "concat": "Concat",
    "eye": "_eye", "flatten": "Flatten", "flip": "reverse", "full": "_full", "identity": "_copy",
    "linalg_det": "_linalg_det", "linalg_extractdiag": "_linalg_extractdiag",
    "linalg_extracttrian": "_linalg_extracttrian", "linalg_gelqf": "_linalg_gelqf", "linalg_gemm": "_linalg_gemm",
    "linalg_gemm2": "_linalg_gemm2", "linalg_inverse": "_linalg_inverse", "linalg_makediag": "_linalg_makediag",
    "linalg_maketrian": "_linalg_maketrian", "linalg_potrf": "_linalg_potrf", "linalg_potri": "_linalg_potri",
    "linalg_slogdet": "_linalg_slogdet", "linalg_sumlogdiag": "_linalg_sumlogdiag", "linalg_syevd": "_linalg_syevd",
    "linalg_syrk": "_linalg_syrk", "linalg_trmm": "_linalg_trmm", "linalg_trsm": "_linalg_trsm",
    "linspace": "_linspace", "ones": "_ones", "pad": "Pad", "random_exponential": "_random_exponential",
    "random_gamma": "_random_gamma", "random_negative_binomial": "_random_negative_binomial",
    "random_normal": "_random_normal", "random_normal_like": "_random_normal_like",
    "random_poisson": "_random_poisson", "random_randint": "_random_randint", "random_uniform": "_random_uniform",
    "random_uniform_like": "_random_uniform_like", "reshape": "Reshape", "sample_multinomial": "_sample_multinomial",
    "sample_normal": "_sample_normal", "sample_uniform": "_sample_uniform", "shuffle": "_shuffle",
    "split": "SliceChannel", "split_v2": "_split_v2", "swapaxes": "SwapAxis", "zeros": "_zeros",
}


def _sym_attr_str(v):
    """An op attribute as MXNet's Symbol API writes it: Python's str() of the value
    ('(3, 3)', '[2, 2]', '1'), dtypes by name."""
    if isinstance(v, (tuple, list)) and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v):
        return str(type(v)(int(x) for x in v))
    return attr_str(v)


def _none_attrs(op: dict, attrs: dict) -> dict:
    """attrs with None values dropped, except where the op's attribute takes None as
    a value (slice_axis end=None, sum axis=None): MXNet writes those as 'None'."""
    takes_none = {a["name"] for a in op.get("attrs", []) if a["type"] in ("shape", "int_or_none", "dtype")}
    return {k: ("None" if v is None else v) for k, v in attrs.items() if v is not None or k in takes_none}


def _make_node(opname: str, inputs, attrs: dict, name=None, attr=None, resolved=False, hint=None, record_as=None):
    """New op node from Symbols (by position) + attrs; returns a Symbol of its visible outputs.
    Unnamed nodes are named as MXNet names them: the called op name, lower-cased
    (``sym.SliceChannel`` -> slicechannel0, ``sym.ones`` -> _ones0), or `hint`."""
    op = _op_info(opname)
    if op is None:
        raise MXNetError("mx.sym: unknown op '%s'" % opname)
    sattrs = {k: _sym_attr_str(v) for k, v in _none_attrs(op, attrs).items()}
    hint = hint or opname.lower()
    if not resolved:
        name = current_name_manager().get(name, hint)
    entries = []
    for s in inputs:
        entries.extend(s._outs)
    if op.get("variadic") and "num_args" in {a["name"] for a in op.get("attrs", [])}:
        sattrs["num_args"] = str(len(entries))
    node = _Node(record_as or _MXNET_OP_NAMES.get(opname, opname), name, sattrs, entries)
    node.attrs.update(_attribute.scoped({k: attr_str(v) for k, v in (attr or {}).items()}))
    node.n_vis = _n_visible(op, sattrs)
    _check_attrs(node)
    return Symbol([(node, i) for i in range(node.n_vis)])


def _check_attrs(node):
    """The core's attribute checks (unknown or missing attributes, bad values) run
    on the new node alone, so that, as in MXNet, the line that built it raises."""
    if node.op in _CONTROL_FLOW_OPS or node.op == "Custom":  # checked with their subgraphs / handler
        return
    ins = [{"op": "null", "name": "_in%d" % i, "inputs": []} for i in range(len(node.inputs))]
    me = {"op": node.op, "name": node.name, "attrs": node.attrs, "inputs": [[i, 0, 0] for i in range(len(ins))]}
    Graph(json.dumps({"nodes": ins + [me], "arg_nodes": list(range(len(ins))), "heads": [[len(ins), 0, 0]]}))


def _make_custom_node(inputs, attrs: dict, n_out: int, name=None, arg_names=()):
    """A Custom (mx.operator) node as MXNet writes it: op "Custom", op_type and
    the property's kwargs as attributes. Missing trailing arguments become
    variables named <node>_<argument>, as in MXNet."""
    name = current_name_manager().get(name, "custom")
    made = [var("%s_%s" % (name, a)) for a in list(arg_names)[len(inputs):]]
    for v in made:  # as MXNet's JSON has them: the variables an op creates carry its attributes
        v._outs[0][0].attrs.update({k: attr_str(x) for k, x in attrs.items()})
    syms = list(inputs) + made
    entries = []
    for s in syms:
        if len(s._outs) != 1:
            raise MXNetError("mx.sym.Custom: an input has %d outputs; select one with [i]" % len(s._outs))
        entries.extend(s._outs)
    node = _Node("Custom", name, _attribute.scoped({k: attr_str(v) for k, v in attrs.items()}), entries)
    node.n_vis = n_out
    return Symbol([(node, i) for i in range(n_out)])


def _invoke_sym(opname: str, args, kwargs, hint=None, record_as=None):
    """The body of every generated mx.sym.<op>: MXNet's calling conventions. Unnamed
    nodes are named `hint` + a counter (the called function's name)."""
    op = _op_info(opname)
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    kwargs.pop("out", None)
    # MXNet's hidden keys given as op arguments (FullyConnected(..., lr_mult=0.1)) are
    # node hints (__lr_mult__); like attr=, they go to the arguments the op creates too
    hints = _attribute.dunder_hidden({k: attr_str(kwargs.pop(k)) for k in _attribute.HIDDEN_KEYS if k in kwargs})
    if hints:
        attr = dict(attr or {}, **hints)
    kwargs.pop("ctx", None) if "ctx" not in {a["name"] for a in op.get("attrs", [])} else None
    inputs_spec = list(op.get("inputs", []))
    variadic = bool(op.get("variadic"))
    pos = []
    for i, a in enumerate(args):
        if isinstance(a, Symbol):
            pos.append(a)
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, Symbol) for x in a):
            pos.extend(a)
        elif a is None:
            continue
        else:  # sym.clip(x, 0, 1): what follows the inputs are attributes, in order
            positional_attrs("mx.sym." + opname, [t["name"] for t in op.get("attrs", [])], args[i:], kwargs,
                             bool(op.get("variadic")))
            break
    named = {}
    for k in list(kwargs):
        v = kwargs[k]
        if isinstance(v, Symbol) or (isinstance(v, (list, tuple)) and v and all(isinstance(x, Symbol) for x in v)):
            if k not in inputs_spec and not variadic:
                raise TypeError("mx.sym.%s: '%s' is not an input of %s (inputs: %s)"
                                % (opname, k, opname, ", ".join(inputs_spec)))
            named[k] = kwargs.pop(k)
    attrs = kwargs
    if variadic:
        ins = pos + [x for v in named.values() for x in (v if isinstance(v, (list, tuple)) else [v])]
        return _make_node(opname, ins, attrs, name, attr, hint=hint, record_as=record_as)
    for s in pos:
        if len(s._outs) != 1:
            raise MXNetError("mx.sym.%s: an input has %d outputs; select one with [i]" % (opname, len(s._outs)))
    if len(pos) > len(inputs_spec):
        raise TypeError("mx.sym.%s takes at most %d inputs (%s), got %d"
                        % (opname, len(inputs_spec), ", ".join(inputs_spec), len(pos)))
    str_attrs = {k: _sym_attr_str(v) for k, v in _none_attrs(op, attrs).items()}
    # positional inputs fill the inputs these attrs enable, in order (MXNet lists
    # only those: a GRU's RNN(data, parameters, state, sequence_length))
    enabled = [i for i in inputs_spec if not _skip_input(op["name"], i, str_attrs)]
    if len(pos) > len(enabled):
        raise TypeError("mx.sym.%s takes %d inputs with these attributes (%s), got %d"
                        % (opname, len(enabled), ", ".join(enabled), len(pos)))
    slots = dict(zip(enabled, pos))
    for k, v in named.items():
        if k in slots:
            raise TypeError("mx.sym.%s: input '%s' given twice" % (opname, k))
        slots[k] = v
    node_name = current_name_manager().get(name, hint or opname.lower())
    ins = []
    for inp in inputs_spec:
        if inp in slots:
            ins.append(slots[inp])
        elif _skip_input(op["name"], inp, str_attrs):
            continue
        else:  # MXNet creates the missing argument: fc1_weight, bn_moving_mean, softmax_label,
            # carrying the op's attributes (as its JSON shows them)
            v = var("%s_%s" % (node_name, inp), init=_default_input_init(op["name"], inp, str_attrs))
            v._outs[0][0].attrs.update(str_attrs)
            v._outs[0][0].attrs.update(_attribute.dunder_hidden({k: attr_str(x) for k, x in (attr or {}).items()}))
            ins.append(v)
    return _make_node(opname, ins, attrs, node_name, attr, resolved=True, record_as=record_as)


def _listed_attrs(attrs):
    out = dict(attrs)
    for k in _attribute.HIDDEN_KEYS:  # MXNet also lists these without underscores
        if "__%s__" % k in attrs:
            out[k] = attrs["__%s__" % k]
    return out


def _default_input_init(opname, inp, attrs):
    """The initializer MXNet's ops attach to the arguments they create (written as
    the variable's __init__ attribute, so Module.init_params honours it): PReLU's
    gamma starts at 0.25, BatchNorm's moving statistics at 0 and 1."""
    if opname == "LeakyReLU" and inp == "gamma" and attrs.get("act_type") == "prelu":
        return '["Constant", {"value": 0.25}]'
    if opname in ("BatchNorm", "_contrib_SyncBatchNorm") and inp in ("moving_mean", "moving_var"):
        return '["zero", {}]' if inp == "moving_mean" else '["one", {}]'
    return None


# ---- arithmetic -------------------------------------------------------------------
_BIN = {  # kind -> (same-shape op, broadcast op, scalar op, reflected scalar op)
    "add": ("elemwise_add", "broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("elemwise_sub", "broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("elemwise_mul", "broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "div": ("elemwise_div", "broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "broadcast_power", "_power_scalar", "_rpower_scalar"),
    "eq": ("broadcast_equal", "broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("broadcast_greater_equal", "broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": ("broadcast_lesser", "broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("broadcast_lesser_equal", "broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
}
# the names MXNet gives unnamed operator nodes (its Python operators call _Plus,
# _MulScalar, ...): kind -> (symbol operand, scalar, reflected scalar)
_BIN_HINT = {
    "add": ("_plus", "_plusscalar", "_plusscalar"), "sub": ("_minus", "_minusscalar", "_rminusscalar"),
    "mul": ("_mul", "_mulscalar", "_mulscalar"), "div": ("_div", "_divscalar", "_rdivscalar"),
    "mod": ("_mod", "_modscalar", "_rmodscalar"), "pow": ("_power", "_powerscalar", "_rpower_scalar"),
    "eq": ("_equal", "_equal_scalar", "_equal_scalar"), "ne": ("_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "gt": ("_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": ("_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
}


# mx.sym.maximum / minimum / hypot / pow / power: name -> (op for two Symbols, scalar op,
# reflected scalar op, node name hints as MXNet gives them). Two Symbols run the broadcast
# op, which accepts what MXNet's same-shape _maximum/_power/... accept and more.
_SYM_FUNCS = {
    "maximum": ("broadcast_maximum", "_maximum_scalar", "_maximum_scalar", ("_maximum", "_maximumscalar")),
    "minimum": ("broadcast_minimum", "_minimum_scalar", "_minimum_scalar", ("_minimum", "_minimumscalar")),
    "hypot": ("broadcast_hypot", "_hypot_scalar", "_hypot_scalar", ("_hypot", "_hypotscalar")),
    "power": ("broadcast_power", "_power_scalar", "_rpower_scalar", ("_power", "_powerscalar", "_rpowerscalar")),
}
_SYM_FUNC_NUMBERS = {"maximum": max, "minimum": min, "hypot": lambda x, y: float(np.hypot(x, y)),
                     "power": lambda x, y: x ** y}


def sym_binary_func(name: str):
    """MXNet's mx.sym.<name>(lhs, rhs): a Symbol and a number run the scalar op with
    the number as given (MXNet writes scalar=2 as '2'); two numbers give the plain result."""
    both, sc, rsc, hints = _SYM_FUNCS[name]

    def f(lhs, rhs):
        if isinstance(lhs, Symbol) and isinstance(rhs, Symbol):
            return _make_node(both, [lhs, rhs], {}, hint=hints[0])
        if isinstance(lhs, Symbol):
            return _make_node(sc, [lhs], {"scalar": rhs}, hint=hints[1])
        if isinstance(rhs, Symbol):
            return _make_node(rsc, [rhs], {"scalar": lhs}, hint=hints[-1])
        return _SYM_FUNC_NUMBERS[name](lhs, rhs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = "MXNet's mx.sym.%s(lhs, rhs): either operand may be a Symbol or a number." % name
    return f


def _binary(kind, lhs, rhs, reflected=False):
    same, bcast, sc, rsc = _BIN[kind]
    if isinstance(rhs, Symbol):
        a, b = (rhs, lhs) if reflected else (lhs, rhs)
        op = same
        # While tracing, shapes are known: follow nd's choice (broadcast when they differ).
        sa, sb = a._known_shape(), b._known_shape()
        if sa is not None and sb is not None and sa != sb:
            op = bcast
        if _op_info(op) is None or _np_state.array:  # numpy mode: operators always broadcast
            op = bcast
        return _make_node(op, [a, b], {}, hint=_BIN_HINT[kind][0])
    if isinstance(rhs, (Number, np.generic)):
        return _make_node(rsc if reflected else sc, [lhs], {"scalar": rhs}, hint=_BIN_HINT[kind][2 if reflected else 1])
    return NotImplemented


class Symbol:
    """A symbolic output (or group of outputs) of a graph."""

    __slots__ = ("_outs", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, outs):
        self._outs = list(outs)

    # ---- identity ----
    @property
    def name(self):
        if len(self._outs) != 1:
            return None
        return self._outs[0][0].name

    def __repr__(self):
        nodes = {id(n) for n, _ in self._outs}
        if len(nodes) == 1:  # one node (of one or several outputs): MXNet shows its name
            return "<Symbol %s>" % self._outs[0][0].name
        return "<Symbol group [%s]>" % ", ".join(n.name for n, _ in self._outs)

    def __len__(self):
        return len(self._outs)

    def __iter__(self):
        return (Symbol([e]) for e in self._outs)

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            if index not in names:
                raise ValueError("Cannot find output %r in %s" % (index, names))
            index = names.index(index)
        if isinstance(index, slice):
            return Symbol(self._outs[index])
        if not -len(self._outs) <= index < len(self._outs):
            raise IndexError("Symbol has %d outputs, index %d is out of range" % (len(self._outs), index))
        return Symbol([self._outs[index]])

    def __copy__(self):
        return Symbol(self._outs)

    def __deepcopy__(self, memo):
        return load_json(self.tojson())

    def __bool__(self):  # a graph has no truth value, as in MXNet
        raise NotImplementedForSymbol(self.__bool__, "bool")

    __nonzero__ = __bool__

    # in-place arithmetic and value access are NDArray-only (MXNet raises the same)
    def __iadd__(self, o):
        raise NotImplementedForSymbol(self.__iadd__, "+=", o, 1)

    def __isub__(self, o):
        raise NotImplementedForSymbol(self.__isub__, "-=", o)

    def __imul__(self, o):
        raise NotImplementedForSymbol(self.__imul__, "*=", o)

    def __itruediv__(self, o):
        raise NotImplementedForSymbol(self.__itruediv__, "/=", o)

    __idiv__ = __itruediv__

    def wait_to_read(self):
        raise NotImplementedForSymbol(self.wait_to_read, None)

    def asnumpy(self):
        raise NotImplementedForSymbol(self.asnumpy, None)

    def asscalar(self):
        raise NotImplementedForSymbol(self.asscalar, None)

    def copy(self):
        raise NotImplementedForSymbol(self.copy, None)

    def as_in_context(self, context):
        raise NotImplementedForSymbol(self.as_in_context, None)

    def detach(self):
        raise NotImplementedForSymbol(self.detach, None)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        raise NotImplementedForSymbol(self.backward, None)

    def __hash__(self):
        return id(self)

    # ---- attributes ----
    def attr(self, key):
        """The node's attribute `key`; MXNet's hidden keys (lr_mult, ctx_group, ...) are
        also found under their stored name __key__, other keys only as given."""
        if len(self._outs) != 1:
            return None
        attrs = self._outs[0][0].attrs
        if key in attrs or key not in _attribute.HIDDEN_KEYS:
            return attrs.get(key)
        return attrs.get("__%s__" % key)

    def list_attr(self, recursive=False):
        """The attributes of the (first) output's node, as MXNet lists them for a group too."""
        if recursive:
            raise DeprecationWarning("Symbol.list_attr with recursive=True has been deprecated. "
                                     "Please use attr_dict instead.")
        return _listed_attrs(self._outs[0][0].attrs) if self._outs else {}

    def attr_dict(self):
        return {n.name: _listed_attrs(n.attrs) for n in _topo(self._outs) if n.attrs}

    def _set_attr(self, **kwargs):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError("Set Attr only accepts string values (got %s=%r)" % (k, v))
        new = _attribute.dunder_hidden(kwargs)
        for n, _ in self._outs:
            if n.op is not None:  # an op node takes only its own attributes and __x__ ones, as in MXNet
                _check_attrs(_Node(n.op, n.name, dict(n.attrs, **new), n.inputs))
        for n, _ in self._outs:
            n.attrs.update(new)

    # ---- structure ----
    def get_internals(self):
        outs = []
        for n in _topo(self._outs):
            outs.extend((n, i) for i in range(n.n_vis))
        return Symbol(outs)

    def get_children(self):
        # each node's inputs once, however many of its outputs the symbol lists
        nodes = list({id(n): n for n, _ in self._outs}.values())
        kids = [e for n in nodes for e in n.inputs]
        return Symbol(kids) if kids else None

    def _graph(self) -> Graph:
        return Graph(self._raw_json())

    def _raw_json(self, indent=None) -> str:
        nodes = _topo(self._outs)
        index = {id(n): i for i, n in enumerate(nodes)}
        versions = _entry_versions(nodes)
        jn, row = [], [0]
        for n in nodes:
            d = {"op": n.op or "null", "name": n.name}
            if n.attrs:
                d["attrs"] = n.attrs
            d["inputs"] = [[index[id(c)], i, v] for (c, i), v in zip(n.inputs, versions[id(n)])]
            if n.subgraphs:
                d["subgraphs"] = [json.loads(sg._raw_json()) for sg in n.subgraphs]
            jn.append(d)
            row.append(row[-1] + (n.n_vis if n.op else 1))
        return json.dumps({"nodes": jn, "arg_nodes": [i for i, n in enumerate(nodes) if n.op is None],
                           "node_row_ptr": row, "heads": [[index[id(n)], i, 0] for n, i in self._outs],
                           "attrs": {"mxnet_version": ["int", 10901]}}, indent=indent)

    def list_arguments(self):
        return self._graph().names(0)

    def list_auxiliary_states(self):
        return self._graph().names(1)

    def list_outputs(self):
        return self._graph().names(2)

    def list_inputs(self):
        return [n.name for n in _topo(self._outs) if n.op is None]

    # ---- serialisation ----
    def debug_str(self):
        """MXNet's text dump: the outputs, then every node in topological order
        (variables by name; ops with their inputs and attributes)."""
        lines = ["Symbol Outputs:"]
        lines += ["\toutput[%d]=%s(%d)" % (i, n.name, k) for i, (n, k) in enumerate(self._outs)]
        nodes = _topo(self._outs)
        versions = _entry_versions(nodes)
        for n in nodes:
            if n.op is None:
                lines.append("Variable:" + n.name)
                continue
            lines += ["--------------------", "Op:%s, Name=%s" % (n.op, n.name), "Inputs:"]
            lines += ["\targ[%d]=%s(%d)%s" % (i, p.name, k, " version=%d" % v if p.op is None else "")
                      for i, ((p, k), v) in enumerate(zip(n.inputs, versions[id(n)]))]
            if n.attrs:
                lines.append("Attrs:")
                lines += ["\t%s=%s" % kv for kv in n.attrs.items()]
        return "\n".join(lines) + "\n"

    def tojson(self, remove_amp_cast=True) -> str:
        """MXNet's symbol JSON. remove_amp_cast (MXNet's default) writes the graph
        without its amp_cast/amp_multicast nodes: each consumer reads the cast's
        input instead, so the file holds the float32 model."""
        sym = _without_amp_casts(self) if remove_amp_cast else self
        return sym._graph().to_json()

    def save(self, fname, remove_amp_cast=True):
        with open(fname, "w") as f:
            f.write(self.tojson(remove_amp_cast=remove_amp_cast))

    # ---- inference ----
    def _known_spec(self, shapes: dict, dtypes: dict):
        known = {}
        for n in _topo(self._outs):
            if n.op is not None:
                continue
            spec = {}
            if n.name in shapes and shapes[n.name] is not None:
                spec["shape"] = [int(s) for s in shapes[n.name]]
            elif n.trace_shape is not None:
                spec["shape"] = list(n.trace_shape[0])
            elif "__shape__" in n.attrs:
                sh = _parse_tuple(n.attrs["__shape__"])
                if sh is not None and all(s > 0 for s in sh):
                    spec["shape"] = sh
            if n.name in dtypes and dtypes[n.name] is not None:
                spec["dtype"] = np_dtype(dtypes[n.name]).name
            elif n.trace_shape is not None:
                spec["dtype"] = np_dtype(n.trace_shape[1]).name
            elif "__dtype__" in n.attrs:
                spec["dtype"] = _dtype_attr(n.attrs["__dtype__"])
            if "shape" in spec:
                known[n.name] = spec
        return known

    def _infer(self, shapes: dict, dtypes: dict, partial: bool):
        g = self._graph()
        known = self._known_spec(shapes, dtypes)
        if any("dtype" in v for v in known.values()):
            # MXNet infers types over the whole graph: a label or state given only a
            # shape takes the type its op gives it (float64 data -> float64 label)
            types = _infer_types_without_shapes(self, {k: v["dtype"] for k, v in known.items() if "dtype" in v})
            for k, v in known.items():
                if "dtype" not in v and types.get(k) is not None:
                    v["dtype"] = types[k]
        known = _solve_partial_var_shapes(self, known)
        known = _infer_param_shapes(self, g, known)
        known = _with_declared_partial_shapes(self, known)
        try:
            return g, g.infer(known, partial)
        except MXNetError as e:
            retry = self._typed_from_graph(known) if "dtype" in str(e) else None
            if retry is not None:
                try:
                    return g, g.infer(retry, partial)
                except MXNetError:
                    pass
            raise MXNetError("%s\n(known shapes: %s)" % (e, {k: v.get("shape") for k, v in known.items()})) from None

    def _typed_from_graph(self, known):
        """``known`` with the arguments that have no type given typed as the graph types
        them (a float64 constant makes the variable it meets float64), or None when that
        adds nothing: MXNet infers shapes without fixing untyped arguments to float32."""
        types = _infer_types_without_shapes(self, {k: v["dtype"] for k, v in known.items() if "dtype" in v})
        added = {k: types[k] for k, v in known.items() if "dtype" not in v and types.get(k) is not None}
        if not added:
            return None
        return {k: dict(v, dtype=added[k]) if k in added else v for k, v in known.items()}

    def infer_shape(self, *args, **kwargs):
        return self._infer_shape_impl(False, *args, **kwargs)

    def infer_shape_partial(self, *args, **kwargs):
        return self._infer_shape_impl(True, *args, **kwargs)

    def _infer_shape_impl(self, partial, *args, **kwargs):
        kwargs = self._infer_inputs("infer_shape", args, kwargs)
        # conflicts raise; what the given shapes leave undecided is reported as MXNet 1.x
        # does: () in infer_shape_partial, a warning and Nones from infer_shape
        g, res = self._infer(kwargs, {}, True)
        if not partial and (not res["complete"] or any(_undecided_shape(v) for v in res["outputs"])
                            or any(_undecided_shape(v) for v in res["arguments"].values())):
            undecided = [k for k in g.names(0) if _undecided_shape(res["arguments"][k])]
            warnings.warn("Cannot decide shape for the following arguments (0s in shape means unknown "
                          "dimensions). Consider providing them as input:\n\t"
                          + "\n\t".join("%s: ()" % k for k in undecided), stacklevel=3)
            return None, None, None
        shp = lambda v: () if v is None else tuple(v["shape"])  # noqa: E731
        return ([shp(res["arguments"][k]) for k in g.names(0)], [shp(v) for v in res["outputs"]],
                [shp(res["aux_states"][k]) for k in g.names(1)])

    def infer_type_partial(self, *args, **kwargs):
        """infer_type that reports None for what no given type determines (with nothing
        given: every entry None, as MXNet does)."""
        if not any(a is not None for a in args) and not kwargs:
            return ([None] * len(self.list_arguments()), [None] * len(self.list_outputs()),
                    [None] * len(self.list_auxiliary_states()))
        return self._infer_type_impl(True, *args, **kwargs)

    def infer_type(self, *args, **kwargs):
        """(argument, output, aux) types; (None, None, None) with a warning naming the
        undecided arguments when the given types do not determine all (MXNet's rule)."""
        return self._infer_type_impl(False, *args, **kwargs)

    def _infer_inputs(self, what, args, kwargs):
        """{argument name: value} from infer_*'s positional or keyword inputs; a name
        the graph does not have, or too many positions, raise (as in MXNet)."""
        names = self.list_arguments()
        if len(args) > len(names):
            raise MXNetError("%s: got %d positional inputs, the symbol has %d arguments (%s)"
                             % (what, len(args), len(names), ", ".join(names)))
        known = set(names) | set(self.list_auxiliary_states())
        for k in kwargs:
            if k not in known:
                raise MXNetError("%s: keyword argument name %s not found. Candidate arguments: %s"
                                 % (what, k, ", ".join(names)))
        kwargs = dict(kwargs)
        kwargs.update({names[i]: v for i, v in enumerate(args) if v is not None})
        return kwargs

    def _infer_type_impl(self, partial, *args, **kwargs):
        kwargs = self._infer_inputs("infer_type", args, kwargs)
        # types follow shapes in the core: with every shape known, ask it
        g = self._graph()
        known = self._known_spec({}, kwargs)
        for k, v in kwargs.items():
            if k in known:
                known[k]["dtype"] = np_dtype(v).name
        known = _infer_param_shapes(self, g, known)
        if all(n in known for n in g.names(0) + g.names(1)):
            try:
                res = g.infer(known, True)
                dt = lambda v: None if v is None else np.dtype(v["dtype"]).type  # noqa: E731
                outs = [dt(v) for v in res["outputs"]]
                if None not in outs:
                    return ([dt(res["arguments"][k]) for k in g.names(0)], outs,
                            [dt(res["aux_states"][k]) for k in g.names(1)])
            except MXNetError:
                pass
        # shapes unknown (MXNet infers types without shapes): a dtype-only walk
        types = _infer_types_without_shapes(self, {k: np_dtype(v).name for k, v in kwargs.items()}, strict=True)
        dt = lambda v: None if v is None else np.dtype(v).type  # noqa: E731
        args_t = [dt(types.get(k)) for k in g.names(0)]
        outs_t = [dt(types.get((id(n), i))) for n, i in self._outs]
        aux_t = [dt(types.get(k)) for k in g.names(1)]
        if not partial and (None in args_t or None in outs_t):
            undecided = [k for k, t in zip(g.names(0), args_t) if t is None]
            warnings.warn("Cannot decide type for the following arguments. Consider providing them as input:\n\t"
                          + "\n\t".join("%s: None" % k for k in undecided), stacklevel=3)
            return None, None, None
        return args_t, outs_t, aux_t

    # shapes known while tracing (None otherwise)
    def _known_shape(self):
        if len(self._outs) != 1:
            return None
        node, idx = self._outs[0]
        if node.op is None:
            return tuple(node.trace_shape[0]) if node.trace_shape is not None else None
        if not _tracing():
            return None
        try:
            return self.shape
        except (MXNetError, AttributeError):
            return None

    @property
    def shape(self):
        """Shape of this (single) output; only while tracing a hybridized block with known inputs."""
        known = self._known_spec({}, {})
        if not known:
            raise AttributeError("Symbol %s has no shape: symbols are shape-free outside hybridize tracing; "
                                 "use infer_shape" % self.name)
        res = self._graph().infer(_infer_param_shapes(self, self._graph(), known), True)
        out = res["outputs"][0]
        if out is None:
            raise MXNetError("Symbol %s: its shape cannot be inferred from the traced inputs" % self.name)
        return tuple(out["shape"])

    @property
    def ndim(self):
        return len(self.shape)

    # ---- composition / execution ----
    def __call__(self, *args, **kwargs):
        """Replace variables by name with other Symbols (MXNet's compose)."""
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, name=None, **kwargs):
        """Replace arguments (positionally in list_arguments order, or by name) with
        single-output Symbols; `name` renames the head node (MXNet's compose)."""
        if args and kwargs:
            raise TypeError("compose only accept input Symbols either as positional or keyword arguments, not both")
        for v in list(args) + list(kwargs.values()):
            if not isinstance(v, Symbol):
                raise TypeError("Compose expect `Symbol` as arguments, got %s" % type(v).__name__)
            if len(v._outs) != 1:
                raise MXNetError("compose: a replacement has %d outputs; select one with [i]" % len(v._outs))
        names = self.list_arguments()
        if len(args) > len(names):
            raise MXNetError("compose: %d positional Symbols for %d arguments (%s)"
                             % (len(args), len(names), ", ".join(names)))
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            raise MXNetError("compose: keyword argument name %s not found. Candidate arguments: %s"
                             % (", ".join(unknown), ", ".join(names)))
        repl = dict(zip(names, args)) if args else dict(kwargs)
        memo = {}

        def clone(n, i):
            if n.op is None and n.name in repl:
                return repl[n.name]._outs[0]  # the replacement's entry: it may be output k of its node
            if id(n) not in memo:
                c = _Node(n.op, n.name, n.attrs, [], n.n_vis)
                c.trace_shape, c.subgraphs, c.versions = n.trace_shape, n.subgraphs, n.versions
                memo[id(n)] = c
                c.inputs = [clone(p, k) for p, k in n.inputs]
            return (memo[id(n)], i)
        self._outs = [clone(n, i) for n, i in self._outs]
        if name is not None and self._outs and self._outs[0][0].op is not None:
            self._outs[0][0].name = name

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None,
             shared_exec=None):
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None, group2ctx=None,
                    shared_arg_names=None, shared_exec=None, shared_buffer=None, **kwargs):
        from ..executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict or {}, kwargs)

    def eval(self, ctx=None, **kwargs):
        from ..context import current_context
        ex = self.bind(ctx or current_context(), kwargs, grad_req="null")
        return ex.forward()

    # ---- arithmetic ----
    def __add__(self, o):
        return _binary("add", self, o)

    def __radd__(self, o):
        return _binary("add", self, o, True)

    def __sub__(self, o):
        return _binary("sub", self, o)

    def __rsub__(self, o):
        return _binary("sub", self, o, True)

    def __mul__(self, o):
        return _binary("mul", self, o)

    def __rmul__(self, o):
        return _binary("mul", self, o, True)

    def __truediv__(self, o):
        return _binary("div", self, o)

    def __rtruediv__(self, o):
        return _binary("div", self, o, True)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, o):
        return _binary("mod", self, o)

    def __rmod__(self, o):
        return _binary("mod", self, o, True)

    def __pow__(self, o):
        return _binary("pow", self, o)

    def __rpow__(self, o):
        return _binary("pow", self, o, True)

    def __neg__(self):
        return _make_node("_mul_scalar", [self], {"scalar": -1.0}, hint="_mulscalar")

    def __eq__(self, o):
        return _binary("eq", self, o)

    def __ne__(self, o):
        return _binary("ne", self, o)

    def __gt__(self, o):
        return _binary("gt", self, o)

    def __ge__(self, o):
        return _binary("ge", self, o)

    def __lt__(self, o):
        return _binary("lt", self, o)

    def __le__(self, o):
        return _binary("le", self, o)

    def __abs__(self):
        return _invoke_sym("abs", [self], {})

    # ---- fluent helpers that need MXNet's argument forms ----
    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        if shape:  # s.reshape(-1) keeps MXNet's attribute text '-1'
            kwargs["shape"] = shape[0] if len(shape) == 1 and isinstance(shape[0], int) else tuple(shape)
        return _invoke_sym("reshape", [self], kwargs)

    def astype(self, dtype, copy=True):
        return _invoke_sym("Cast", [self], {"dtype": np_dtype(dtype).name})

    def __getattr__(self, name):
        # fluent methods: s.relu(), s.sum(axis=1) ... == mx.sym.<op>(s, ...)
        if name.startswith("__") or _op_info(name) is None:
            raise AttributeError("'Symbol' object has no attribute '%s'" % name)

        def method(*args, **kwargs):
            return _invoke_sym(name, [self] + list(args), kwargs)
        return method


def _undecided_shape(v) -> bool:
    """An inferred shape that is unknown, or has a 0 (in MXNet 1.x: unknown) dim."""
    return v is None or 0 in v["shape"]


def _parse_tuple(s):
    s = s.strip()
    if not s or s == "None":
        return None
    s = s.strip("()[]")
    try:
        return [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        return None


_DTYPE_CODES = {"0": "float32", "1": "float64", "2": "float16", "3": "uint8", "4": "int32", "5": "int8",
                "6": "int64", "7": "bool"}


def _dtype_attr(v):
    return _DTYPE_CODES.get(str(v), str(v))


# ---- shapes of parameters from their consumers ----------------------------------
def _param_shape_rules(op, attrs, dshape):
    """{input name: shape} for the parameter inputs of layer op `op` given its data shape."""
    a = attrs
    if op == "FullyConnected":
        nh = int(a["num_hidden"])
        flat = _truthy(a.get("flatten", "True"))
        k = int(np.prod(dshape[1:])) if flat else dshape[-1]
        return {"weight": (nh, k), "bias": (nh,)}
    if op in ("Convolution", "Deconvolution"):
        kernel = tuple(_parse_tuple(a["kernel"]))
        nf, g = int(a["num_filter"]), int(a.get("num_group", "1"))
        layout = a.get("layout", "None")
        cl = layout not in ("None", "") and layout[1] != "C"
        c = dshape[-1] if cl else dshape[1]
        if op == "Convolution":
            w = (nf,) + kernel + (c // g,) if cl else (nf, c // g) + kernel
        else:
            w = (c,) + kernel + (nf // g,) if cl else (c, nf // g) + kernel
        return {"weight": w, "bias": (nf,)}
    if op == "BatchNorm":
        ax = int(a.get("axis", "1"))
        c = dshape[ax]
        return {k: (c,) for k in ("gamma", "beta", "moving_mean", "moving_var")}
    if op in ("LayerNorm",):
        c = dshape[int(a.get("axis", "-1"))]
        return {"gamma": (c,), "beta": (c,)}
    if op == "InstanceNorm":
        return {"gamma": (dshape[1],), "beta": (dshape[1],)}
    if op == "GroupNorm":  # per group, as MXNet 1.x
        g = int(a.get("num_groups", "1"))
        return {"gamma": (g,), "beta": (g,)}
    if op == "Embedding":
        return {"weight": (int(a["input_dim"]), int(a["output_dim"]))}
    if op == "LeakyReLU":
        return {"gamma": (dshape[1] if len(dshape) > 1 else 1,)}
    if op == "RNN":
        h, layers = int(a["state_size"]), int(a["num_layers"])
        d = 2 if _truthy(a.get("bidirectional", "False")) else 1
        ng = {"lstm": 4, "gru": 3}.get(a.get("mode"), 1)
        size, ni = 0, dshape[2]
        for _ in range(layers):
            size += d * (ng * h * (ni + h) + 2 * ng * h)
            ni = h * d
        st = (layers * d, dshape[1], h)
        return {"parameters": (size,), "state": st, "state_cell": st}
    if op in ("SoftmaxOutput",):
        if _truthy(a.get("preserve_shape", "False")):
            return {"label": tuple(dshape[:-1])}
        return {"label": (dshape[0],) if not _truthy(a.get("multi_output", "False")) else
                (dshape[0],) + tuple(dshape[2:])}
    if op == "SVMOutput":
        return {"label": (dshape[0],)}
    if op in ("LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"):
        return {"label": (dshape[0],) if len(dshape) == 2 and dshape[1] == 1 else tuple(dshape)}
    return {}


def _fill_rnn_param_concat(entry, total, shapes, known, dspec) -> bool:
    """Gluon's RNN layers feed the fused op `_rnn_param_concat` (or concat) of the
    flattened weights; the first layer's i2h weights (one per direction) carry a
    partial `__shape__` such as (64, 0) until the input size is known. Their sizes are
    what the RNN's parameter count leaves, split evenly; the hint's 0 dim follows.
    True when shapes were filled."""
    cat, _ = entry
    if cat.op not in ("_rnn_param_concat", "concat", "Concat"):
        return False
    unknown, used = [], 0
    for q, qi in cat.inputs:
        qs = shapes.get((id(q), qi))
        if qs is not None:
            used += int(np.prod(qs["shape"]))
            continue
        v = q.inputs[0][0] if q.op in ("Reshape", "reshape") and q.inputs else q
        if v.op is not None or v.name in known:
            return False
        unknown.append(v)
    hints = [_parse_tuple(v.attrs.get("__shape__", "")) or [0] for v in unknown]
    if not unknown or any(h != hints[0] for h in hints) or sum(1 for x in hints[0] if x <= 0) != 1:
        return False
    left = total - used
    fixed = int(np.prod([x for x in hints[0] if x > 0] or [1]))
    each = left // len(unknown)
    if left <= 0 or left % len(unknown) or each % fixed:
        return False
    for v in unknown:
        known[v.name] = {"shape": [x if x > 0 else each // fixed for x in hints[0]], "dtype": dspec["dtype"]}
    return True


# inputs that hold indices or labels: their dtype never sets (or follows) the data's
_INDEX_INPUTS = {"Embedding": ("data",), "take": ("indices",), "pick": ("index",), "one_hot": ("indices",),
                 "gather_nd": ("indices",), "scatter_nd": ("indices",), "batch_take": ("indices",),
                 "SequenceMask": ("sequence_length",), "SequenceLast": ("sequence_length",),
                 "SequenceReverse": ("sequence_length",)}


# ops whose inputs must all have one dtype (MXNet's infer_type raises on a mix)
_UNIFORM_TYPE_OPS = ("FullyConnected", "Convolution", "Deconvolution", "dot", "batch_dot", "concat", "add_n")


def _uniform_type_op(name: str, n_in: int) -> bool:
    return ((name.startswith("elemwise_") or name.startswith("broadcast_")) and n_in == 2
            and name not in ("broadcast_like",)) or name in _UNIFORM_TYPE_OPS


def _check_uniform_types(n, opname, spec, in_types) -> None:
    """MXNet's infer_type error for a node whose inputs have different dtypes."""
    named = [(slot or "arg%d" % i, t) for i, (slot, t) in enumerate(zip(spec + [None] * len(in_types), in_types))
             if t is not None]
    if len({t for _, t in named}) > 1:
        raise MXNetError("infer_type: node '%s' (op %s): all inputs must have the same dtype, got %s"
                         % (n.name, opname, ", ".join("%s=%s" % kv for kv in named)))


def _infer_types_without_shapes(sym, given: dict, strict: bool = False) -> dict:
    """MXNet's infer_type needs no shapes; the core's inference does. This walks the
    graph once: an op with a ``dtype`` attribute (casts, creation, Embedding, one_hot,
    argsort, random) outputs that type, other ops their first float input's type,
    and unknown inputs (weights, labels, states) take the type of the node's data.
    `strict`: an op that needs one dtype for all inputs raises on a mix, as MXNet's
    infer_type does (shape inference leaves types alone and does not check).
    Returns {variable name or (id(node), output): dtype name}."""
    types = dict(given)
    for n in _topo(sym._outs):
        if n.op is None:
            if n.name not in types and "__dtype__" in n.attrs:
                types[n.name] = _dtype_attr(n.attrs["__dtype__"])
            if n.name in types:
                types[(id(n), 0)] = types[n.name]
            continue
        if n.op == "Custom":
            _custom_types(n, types)
            continue
        op = _op_info(n.op) or {}
        spec = [x for x in op.get("inputs", []) if not _skip_input(op.get("name", n.op), x, n.attrs)]
        index_slots = _INDEX_INPUTS.get(op.get("name", n.op), ())
        in_types = [types.get((id(p), i)) for p, i in n.inputs]
        if strict and _uniform_type_op(op.get("name", n.op), len(n.inputs)):
            _check_uniform_types(n, n.op, spec, in_types)
        data_t = next((t for t, slot in zip(in_types, spec + [None] * len(in_types))
                       if t is not None and slot not in index_slots and slot != "label"), None)
        attr_names = {a["name"]: a for a in op.get("attrs", [])}
        own = None
        if "dtype" in attr_names and op.get("name") != "topk":
            own = n.attrs.get("dtype", attr_names["dtype"].get("default"))
            own = None if own in (None, "None", "") else _dtype_attr(own)
        if op.get("name") in ("Embedding",) and own is None:
            own = "float32"
        fill = own if op.get("name") == "Embedding" else data_t
        for (p, i), slot in zip(n.inputs, spec + [None] * len(n.inputs)):
            if p.op is None and p.name not in types and fill is not None and slot not in index_slots:
                types[p.name] = fill
                types[(id(p), 0)] = fill
        out_t = own or data_t
        if out_t is not None:
            for k in range(max(n.n_vis, 1)):
                types[(id(n), k)] = out_t
    return types


def _custom_types(n, types: dict) -> None:
    """A Custom node's types from its property's infer_type (unknown inputs take the
    data's type), for _infer_types_without_shapes."""
    from ..operator import node_prop
    prop = node_prop(n)
    n_args = len(prop.list_arguments())
    in_t = [types.get((id(p), i)) for p, i in n.inputs]
    data_t = next((t for t in in_t if t is not None), None)
    if data_t is None:
        return
    res = list(prop.infer_type([np.dtype(t or data_t).type for t in in_t[:n_args]]))
    ins = list(res[0]) + list(res[2] if len(res) > 2 else [])
    for (p, i), t in zip(n.inputs, ins):
        if p.op is None and p.name not in types and t is not None:
            types[p.name] = types[(id(p), 0)] = np.dtype(t).name
    for k, t in enumerate(res[1]):
        types[(id(n), k)] = np.dtype(t if t is not None else data_t).name


# stand-ins for the unknown (0) dims of declared variable shapes, one per axis position
_DIM_MARKS = (1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049)


def _solve_partial_var_shapes(sym, known: dict) -> dict:
    """Variables declared with unknown (0) dims, Variable('a', shape=(0, 10)), get them
    from the same-shape ops (elemwise_*) they reach, as MXNet's two-way inference does:
    each unknown dim at axis i becomes the mark _DIM_MARKS[i], forward inference carries
    the marks through layers that keep those dims (batch, padded spatial dims), and
    an elementwise op whose other operand has a real dim where one has a mark fixes the
    mark. Round by round: an op's operands are used once no elementwise op before them
    still mixes a marked value (an LSTM's h fixes its batch at i2h + h2h, then c's at
    forget * c). Dims no operand fixes stay unknown (the variable is left out)."""
    nodes = _topo(sym._outs)
    partial = {}
    for n in nodes:
        if n.op is None and n.name not in known and "__shape__" in n.attrs:
            sh = _parse_tuple(n.attrs["__shape__"])
            if sh and 0 in sh and len(sh) <= len(_DIM_MARKS) and all(d >= 0 for d in sh):
                partial[n.name] = list(sh)
    same = [n for n in nodes if n.op is not None and len(n.inputs) == 2
            and (_op_info(n.op) or {}).get("name", "").startswith("elemwise_")]
    if not partial or not same:
        return known
    known, marks = dict(known), set(_DIM_MARKS)
    for _ in range(len(partial)):
        # marked: depends on an unsolved variable; blocked: after an elementwise op mixing one
        marked, blocked = set(), set()
        for n in nodes:
            if n.op is None:
                if n.name in partial:
                    marked.add(id(n))
                continue
            ins = [p for p, _ in n.inputs]
            if any(id(p) in marked for p in ins):
                marked.add(id(n))
            if any(id(p) in blocked for p in ins) or (n in same and id(n) in marked):
                blocked.add(id(n))
        pairs = [n.inputs for n in same if not any(id(p) in blocked for p, _ in n.inputs)
                 and any(id(p) in marked for p, _ in n.inputs)]
        if not pairs:
            break
        trial = dict(known)
        for name, sh in partial.items():
            trial[name] = {"shape": [_DIM_MARKS[i] if d == 0 else d for i, d in enumerate(sh)]}
        g = Symbol([e for ins in pairs for e in ins])._graph()
        names = set(g.names(0)) | set(g.names(1))
        try:
            outs = g.infer({k: v for k, v in trial.items() if k in names}, True)["outputs"]
        except MXNetError:
            break
        solved = {}
        for k in range(0, len(outs) - 1, 2):
            a, b = outs[k], outs[k + 1]
            if a is None or b is None or len(a["shape"]) != len(b["shape"]):
                continue
            for x, y in zip(a["shape"], b["shape"]):
                if x in marks and y not in marks:
                    solved[x] = y
                elif y in marks and x not in marks:
                    solved[y] = x
        done = []
        for name, sh in partial.items():
            full = [solved.get(_DIM_MARKS[i], 0) if d == 0 else d for i, d in enumerate(sh)]
            if all(d > 0 for d in full):
                known[name] = {"shape": full}
                done.append(name)
        if not done:
            break
        for name in done:
            del partial[name]
        if not partial:
            break
    return known


def _with_declared_partial_shapes(sym, known: dict) -> dict:
    """``known`` plus the variables declared with unknown (0) dims that nothing solved,
    as declared: partial inference reports them and what follows from them, (0, 3) ->
    FullyConnected (0, 4), as MXNet does."""
    extra = {}
    for n in _topo(sym._outs):
        if n.op is None and n.name not in known and "__shape__" in n.attrs:
            sh = _parse_tuple(n.attrs["__shape__"])
            if sh and all(d >= 0 for d in sh):
                extra[n.name] = {"shape": sh}
    return dict(known, **extra) if extra else known


def _infer_param_shapes(sym, g, known: dict) -> dict:
    """Fill in the argument/aux shapes that the given ones determine. The core infers
    layer parameters (weights, labels, states) from their data input in one pass;
    what it leaves (a fused RNN's partial weights behind _rnn_param_concat, variables
    feeding same-shape binary ops first) is filled here, round by round."""
    nodes = _topo(sym._outs)
    vars_all = {n.name for n in nodes if n.op is None}
    if all(v in known for v in vars_all):
        return known
    known = dict(known)
    try:
        res = g.infer({k: v for k, v in known.items() if k in vars_all}, True)
        for part in ("arguments", "aux_states"):
            for k, v in res[part].items():
                if v is not None and k not in known:
                    known[k] = v
        if all(v in known for v in vars_all):
            return known
    except MXNetError:
        pass  # a conflict: the rounds below (and the caller's inference) report it
    internals = sym.get_internals()
    for _ in range(len(nodes)):
        ig = internals._graph()
        try:
            res = ig.infer({k: v for k, v in known.items() if k in vars_all}, True)
        except MXNetError:
            break  # a conflict (or types the caller retries with): the caller's inference reports it
        shapes = {}
        k = 0
        for n in nodes:
            for i in range(n.n_vis):
                out = res["outputs"][k]
                k += 1
                if out is not None:
                    shapes[(id(n), i)] = out
        progress = False
        for n in nodes:
            if n.op is None or not n.inputs:
                continue
            op = _op_info(n.op)
            if op is None:  # graph-level ops the JSON loader maps (_rnn_param_concat)
                continue
            # same-shape binary ops: an unknown variable takes the other operand's shape; an
            # unknown op operand passes it on through the shape-keeping ops above it
            # (relu(a) + b, (a + b) * c: MXNet infers shapes both ways)
            if op["name"].startswith("elemwise_") and len(n.inputs) == 2:
                for (p, pi), (q, qi) in ((n.inputs[1], n.inputs[0]), (n.inputs[0], n.inputs[1])):
                    qs = shapes.get((id(q), qi))
                    if p.op is None and p.name not in known and qs is not None:
                        known[p.name] = dict(qs)
                        progress = True
                    elif p.op is not None and qs is not None and shapes.get((id(p), pi)) is None:
                        progress |= _push_shape(p, qs["shape"], shapes, known)
            d = shapes.get((id(n.inputs[0][0]), n.inputs[0][1]))
            if d is None:
                continue
            spec = [x for x in op.get("inputs", []) if not _skip_input(op["name"], x, n.attrs)]
            try:
                rules = _param_shape_rules(op["name"], n.attrs, d["shape"])
            except (KeyError, ValueError, IndexError, TypeError):
                rules = {}
            for slot, (p, _) in zip(spec, n.inputs):
                if p.op is None and p.name not in known and slot in rules:
                    known[p.name] = {"shape": list(rules[slot]), "dtype": d["dtype"]}
                    progress = True
            if op["name"] == "RNN" and "parameters" in rules:
                progress |= _fill_rnn_param_concat(n.inputs[1], rules["parameters"][0], shapes, known, d)
        if not progress:
            break
    return known


def _push_shape(node, shape, shapes, known, depth=0) -> bool:
    """Give the undecided output of `node` the `shape` a same-shape consumer fixes: a
    variable takes it; a shape-keeping op (elemwise binary, or one input whose output
    shape is its input's) passes it to its undecided inputs. True when a variable got one."""
    if node.op is None:
        if node.name in known:
            return False
        known[node.name] = {"shape": list(shape)}
        return True
    if depth > 256 or not _keeps_shape(node, len(shape)):
        return False
    got = False
    for p, pi in node.inputs:
        if shapes.get((id(p), pi)) is None:
            got |= _push_shape(p, shape, shapes, known, depth + 1)
    return got


_KEEPS_SHAPE: dict = {}


def _keeps_shape(node, ndim) -> bool:
    """Whether `node` outputs its inputs' shape at rank `ndim`: elemwise binary ops, and
    one-input ops whose inference maps a probe shape to itself (relu, Cast, softmax)."""
    op = _op_info(node.op)
    if op is None or node.n_vis != 1 or node.subgraphs:
        return False
    if op["name"].startswith("elemwise_") and len(node.inputs) == 2:
        return True
    if len(node.inputs) != 1 or ndim > len(_DIM_MARKS):
        return False
    key = (node.op, tuple(sorted(node.attrs.items())), ndim)
    if key not in _KEEPS_SHAPE:
        probe = list(_DIM_MARKS[:ndim])
        me = {"op": node.op, "name": "n", "attrs": {k: v for k, v in node.attrs.items() if not k.startswith("__")},
              "inputs": [[0, 0, 0]]}
        text = json.dumps({"nodes": [{"op": "null", "name": "x", "inputs": []}, me], "arg_nodes": [0],
                           "heads": [[1, 0, 0]]})
        try:
            out = Graph(text).infer({"x": {"shape": probe}}, True)["outputs"][0]
            _KEEPS_SHAPE[key] = out is not None and list(out["shape"]) == probe
        except MXNetError:
            _KEEPS_SHAPE[key] = False
    return _KEEPS_SHAPE[key]


# ---- tracing state ------------------------------------------------------------------
_TRACE = threading.local()


def _tracing() -> bool:
    return getattr(_TRACE, "depth", 0) > 0


class _TraceScope:
    def __enter__(self):
        _TRACE.depth = getattr(_TRACE, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _TRACE.depth -= 1


# ---- constructors ------------------------------------------------------------------
def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None, stype=None, **kwargs):
    """A variable (graph argument) named `name`; hints are stored as MXNet's __x__ attrs."""
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    attrs = {k: attr_str(v) for k, v in (attr or {}).items()}
    if shape is not None:
        # MXNet: str(shape); a bare int (pvanet's shape=(1)) is written '1' and means (1,)
        if isinstance(shape, numbers.Integral):
            attrs["__shape__"] = str(int(shape))
        else:
            attrs["__shape__"] = str(shape if isinstance(shape, (tuple, list)) else tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)  # as MXNet writes it: lr_mult=2 -> '2'
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        from ..base import mx_dtype
        attrs["__dtype__"] = str(mx_dtype(dtype))
    if init is not None:
        if not isinstance(init, str):
            init = init.dumps() if hasattr(init, "dumps") else str(init)
        attrs["__init__"] = init
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}.get(stype, 0))
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            attrs[k] = attr_str(v)
        else:
            raise ValueError("Attribute name=%s is not supported. Additional attributes must start and "
                             "end with double underscores, e.g, __yourattr__" % k)
    return Symbol([(_Node(None, name, _attribute.scoped(attrs)), 0)])


Variable = var


def Group(symbols, create_fn=None):
    """One Symbol whose outputs are the outputs of `symbols`, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([e for s in symbols for e in s._outs])


def load_json(json_str: str) -> Symbol:
    """A Symbol from MXNet symbol JSON. The core reads it first (validation: unknown ops,
    bad references, cycles; and the upgrades MXNet applies to files of older versions,
    core/graph_legacy.c), and the Symbol is built from the core's JSON of the result."""
    return _from_dict(json.loads(Graph(json_str).to_json()))


_CONTROL_FLOW_OPS = ("_foreach", "_while_loop", "_cond")


def _from_dict(d) -> Symbol:
    nodes = []
    for jn in d["nodes"]:
        attrs = {}
        for key in ("attr", "param", "attrs"):
            for k, v in (jn.get(key) or {}).items():
                attrs[k] = v if isinstance(v, str) else attr_str(v)
        op = None if jn["op"] == "null" else jn["op"]
        n = _Node(op, jn["name"], attrs, [(nodes[e[0]], e[1]) for e in jn.get("inputs", [])])
        n.versions = [int(e[2]) if len(e) > 2 else 0 for e in jn.get("inputs", [])]
        if op in _CONTROL_FLOW_OPS:
            n.subgraphs = [_from_dict(sg) for sg in jn.get("subgraphs", [])]
            n.n_vis = int(attrs.get("num_outputs", 1))
        elif op is not None:
            info = _op_info(op)
            if info is None and op == "_rnn_param_concat":
                info = _op_info("concat")
            n.n_vis = _n_visible(info, {k: v for k, v in attrs.items() if not k.startswith("__")}) \
                if info is not None else 1
        nodes.append(n)
    return Symbol([(nodes[h[0]], h[1]) for h in d["heads"]])


def load(fname) -> Symbol:
    with open(fname) as f:
        return load_json(f.read())


def fromjson(json_str):
    return load_json(json_str)
