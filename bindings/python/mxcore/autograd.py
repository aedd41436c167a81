"""mx.autograd: recording scopes, backward/grad, and custom Functions.

The tape lives in the C core (per thread). `Function` (Python-defined
gradients) is layered on top: its forward runs with recording paused and its
outputs become tape leaves; when a backward pass reaches them, the user's
backward runs in Python and the pass continues from the Function's inputs
(see _run_functions). Gradients of leaves reached both through a Function
and through other paths are accumulated correctly for grad_req 'write'."""
from __future__ import annotations

import threading
import weakref

from .base import MXNetError, _raise, check_call, ffi, lib
from .ndarray.ndarray import NDArray, _new

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training", "set_recording",
           "set_training", "backward", "grad", "mark_variables", "Function", "get_symbol"]

_GRAD_REQ = {"null": 0, "write": 1, "add": 3, "inplace": 1, None: 0}
_NULL = ffi.NULL


def set_recording(is_recording: bool) -> bool:
    prev = ffi.new("int *")
    check_call(lib.mx_autograd_set_recording(int(bool(is_recording)), prev))
    return bool(prev[0])


def set_training(train_mode: bool) -> bool:
    prev = ffi.new("int *")
    check_call(lib.mx_autograd_set_training(int(bool(train_mode)), prev))
    return bool(prev[0])


def is_recording() -> bool:
    v = ffi.new("int *")
    check_call(lib.mx_autograd_is_recording(v))
    return bool(v[0])


def is_training() -> bool:
    v = ffi.new("int *")
    check_call(lib.mx_autograd_is_training(v))
    return bool(v[0])


class _RecordingStateScope:
    """Sets recording/training on enter and restores both on exit."""

    def __init__(self, is_record, train_mode):
        self._enter_is_record = is_record
        self._enter_train_mode = train_mode
        self._prev_is_record = None
        self._prev_train_mode = None

    def __enter__(self):
        if self._enter_is_record is not None:
            self._prev_is_record = set_recording(self._enter_is_record)
        if self._enter_train_mode is not None:
            self._prev_train_mode = set_training(self._enter_train_mode)
        return self

    def __exit__(self, *exc):
        if self._enter_is_record is not None and self._prev_is_record != self._enter_is_record:
            set_recording(self._prev_is_record)
        if self._enter_train_mode is not None and self._prev_train_mode != self._enter_train_mode:
            set_training(self._prev_train_mode)


def record(train_mode: bool = True):
    """Scope that records operations for differentiation."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode: bool = False):
    """Scope that stops recording."""
    return _RecordingStateScope(False, train_mode)


def train_mode():
    return _RecordingStateScope(None, True)


def predict_mode():
    return _RecordingStateScope(None, False)


# variables marked from Python, so a Function pass can switch them to 'add'
_vars = threading.local()


def _var_table() -> weakref.WeakValueDictionary:
    t = getattr(_vars, "t", None)
    if t is None:
        t = _vars.t = weakref.WeakValueDictionary()
        _vars.req = {}
    return t


def _track_variable(x: NDArray, req: str) -> None:
    _var_table()[id(x)] = x
    _vars.req[id(x)] = _GRAD_REQ[req]


def mark_variables(variables, gradients, grad_reqs="write") -> None:
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    n = len(variables)
    vs = ffi.new("mx_tensor[]", [v.handle for v in variables])
    gs = ffi.new("mx_tensor[]", [g.handle if g is not None else _NULL for g in gradients])
    rq = ffi.new("int[]", [_GRAD_REQ[r] for r in grad_reqs])
    check_call(lib.mx_autograd_mark_variables(vs, rq, gs, n))
    for v, r in zip(variables, grad_reqs):
        _track_variable(v, r)


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _handles(arrs, allow_none=False):
    return ffi.new("mx_tensor[]", [(_NULL if a is None else a.handle) for a in arrs] or [_NULL])


def backward(heads, head_grads=None, retain_graph=False, train_mode=True) -> None:
    """Compute gradients of heads w.r.t. the marked variables (into .grad)."""
    heads = _as_list(heads)
    head_grads = _as_list(head_grads)
    if head_grads is not None and len(head_grads) != len(heads):
        raise ValueError("heads and head_grads must have the same length")
    funcs = _pending_functions()
    prev = set_training(train_mode)
    try:
        hg = _handles(head_grads) if head_grads is not None else _NULL
        check_call(lib.mx_autograd_backward(_handles(heads), hg, len(heads),
                                            int(bool(retain_graph or funcs)), 0))
        if funcs:
            _run_functions(funcs, retain_graph)
    finally:
        set_training(prev)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Gradients of heads w.r.t. variables, returned (not written to .grad)."""
    heads = _as_list(heads)
    single = isinstance(variables, NDArray)
    variables = _as_list(variables)
    head_grads = _as_list(head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    out = ffi.new("mx_tensor[]", len(variables))
    prev = set_training(train_mode)
    try:
        hg = _handles(head_grads) if head_grads is not None else _NULL
        if lib.mx_autograd_grad(_handles(heads), hg, len(heads), _handles(variables), len(variables),
                                int(bool(retain_graph)), int(bool(create_graph)), out):
            _raise()
    finally:
        set_training(prev)
    res = [_new(out[i]) for i in range(len(variables))]
    return res


def get_symbol(x):
    raise MXNetError("autograd.get_symbol is not supported by mxcore; use HybridBlock.export")


# ---- custom Functions -------------------------------------------------------
_ftape = threading.local()


def _pending_functions() -> list:
    return getattr(_ftape, "nodes", None) or []


class Function:
    """User-defined differentiable function (MXNet's autograd.Function).

    Subclass and implement forward(*inputs) and backward(*output_grads);
    use self.save_for_backward(*arrays) and self.saved_tensors."""

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError("each Function instance can only be called once; create a new instance")
        self._used = True
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if is_recording():
            # fresh handles so marking them as leaves never touches user arrays
            outs = [o.detach() for o in outs]
            reqs = ffi.new("int[]", [1] * len(outs))
            check_call(lib.mx_autograd_mark_variables(_handles(outs), reqs, _NULL, len(outs)))
            nodes = getattr(_ftape, "nodes", None)
            if nodes is None:
                nodes = _ftape.nodes = []
            nodes.append((self, list(inputs), outs))
        return outs[0] if single else outs


def _requires_grad(x: NDArray) -> bool:
    v = ffi.new("int *")
    check_call(lib.mx_tensor_requires_grad(x.handle, v))
    return bool(v[0])


def _run_functions(funcs, retain_graph) -> None:
    """After the core pass has filled the Function outputs' grads, run the
    user backwards (newest first) and continue into their inputs, switching
    'write' variables to 'add' so contributions accumulate."""
    table = _var_table()
    switched = []
    try:
        for vid, v in list(table.items()):
            if _vars.req.get(vid) == 1 and v.grad is not None:
                g = v.grad
                check_call(lib.mx_autograd_mark_variables(_handles([v]), ffi.new("int[]", [3]), _handles([g]), 1))
                switched.append((v, g))
        for fn, inputs, outs in reversed(funcs):
            ograds = [o.grad for o in outs]
            with pause():
                igrads = fn.backward(*ograds)
            igrads = [igrads] if isinstance(igrads, NDArray) else list(igrads)
            pairs = [(x, g) for x, g in zip(inputs, igrads)
                     if isinstance(x, NDArray) and g is not None and _requires_grad(x)]
            if pairs:
                check_call(lib.mx_autograd_backward(_handles([p[0] for p in pairs]), _handles([p[1] for p in pairs]),
                                                    len(pairs), 1, 0))
    finally:
        for v, g in switched:
            lib.mx_autograd_mark_variables(_handles([v]), ffi.new("int[]", [1]), _handles([g]), 1)
        if not retain_graph:
            _ftape.nodes = []
