"""mx.autograd: recording scopes, backward/grad, and custom Functions.

The tape lives in the C core (per thread). `Function` (Python-defined
gradients) records a callback-backed node on that same tape
(mx_autograd_record_custom): its forward runs with recording paused, and when
a backward pass reaches the node the core calls back into Function.backward,
so Functions mix freely with ordinary ops, grad_req and create_graph."""
from __future__ import annotations

import threading

from .base import MXNetError, _raise, check_call, ffi, lib
from .ndarray.ndarray import NDArray, _new

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training", "set_recording",
           "set_training", "backward", "grad", "mark_variables", "Function", "get_symbol",
           "NDArray"]  # MXNet's module had no __all__: `from mxnet.autograd import *` gave NDArray too

_GRAD_REQ = {"null": 0, "write": 1, "add": 3, "inplace": 1, None: 0}
_NULL = ffi.NULL


class _Bufs(threading.local):
    """Per-thread out-parameters and a one-head array, allocated once: these calls run
    several times per training step."""

    def __init__(self):
        self.i = ffi.new("int *")
        self.head = ffi.new("mx_tensor[]", 1)
        self.in_backward = False


_bufs = _Bufs()


def set_recording(is_recording: bool) -> bool:
    prev = _bufs.i
    if lib.mx_autograd_set_recording(1 if is_recording else 0, prev):
        _raise()
    return bool(prev[0])


def set_training(train_mode: bool) -> bool:
    prev = _bufs.i
    if lib.mx_autograd_set_training(1 if train_mode else 0, prev):
        _raise()
    return bool(prev[0])


def is_recording() -> bool:
    v = _bufs.i
    if lib.mx_autograd_is_recording(v):
        _raise()
    return bool(v[0])


def is_training() -> bool:
    v = _bufs.i
    if lib.mx_autograd_is_training(v):
        _raise()
    return bool(v[0])


# Count of outermost record() scopes entered: a row_sparse gradient's rows are the indices
# its Embedding forwards noted in the current session (gluon/parameter.py, _note_rows).
RECORD_SESSION = [0]


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
            if self._enter_is_record and not self._prev_is_record:
                RECORD_SESSION[0] += 1
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


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _handles(arrs, allow_none=False):
    return ffi.new("mx_tensor[]", [(_NULL if a is None else a.handle) for a in arrs] or [_NULL])


def backward(heads, head_grads=None, retain_graph=False, train_mode=True) -> None:
    """Compute gradients of heads w.r.t. the marked variables (into .grad)."""
    if head_grads is None:
        # one head without head gradient (loss.backward()): no list or array building
        h = heads[0] if type(heads) is list and len(heads) == 1 else heads
        b = _bufs
        if type(h) is NDArray and not b.in_backward:  # a Function.backward may nest one
            arr = b.head
            arr[0] = h.handle
            b.in_backward = True
            prev = set_training(train_mode)
            try:
                rc = lib.mx_autograd_backward(arr, _NULL, 1, 1 if retain_graph else 0, 0)
            finally:
                b.in_backward = False
                arr[0] = _NULL
                set_training(prev)
            _check_backward(rc)
            return
    heads = _as_list(heads)
    head_grads = _as_list(head_grads)
    if head_grads is not None and len(head_grads) != len(heads):
        raise ValueError("heads and head_grads must have the same length")
    prev = set_training(train_mode)
    try:
        hg = _handles(head_grads) if head_grads is not None else _NULL
        _check_backward(lib.mx_autograd_backward(_handles(heads), hg, len(heads), int(bool(retain_graph)), 0))
    finally:
        set_training(prev)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Gradients of heads w.r.t. variables, returned (not written to .grad)."""
    heads = _as_list(heads)
    variables = _as_list(variables)  # a list back even for one variable, as MXNet
    head_grads = _as_list(head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    out = ffi.new("mx_tensor[]", len(variables))
    prev = set_training(train_mode)
    try:
        hg = _handles(head_grads) if head_grads is not None else _NULL
        _check_backward(lib.mx_autograd_grad(_handles(heads), hg, len(heads), _handles(variables), len(variables),
                                             int(bool(retain_graph)), int(bool(create_graph)), out))
    finally:
        set_training(prev)
    res = [_new(out[i]) for i in range(len(variables))]
    # a gradient has its variable's array type (mx.np.ndarray for an np variable)
    return [r if type(v) is type(r) else _retype(r, type(v)) for r, v in zip(res, variables)]


def _retype(x, cls):
    try:
        x.__class__ = cls  # a fresh handle of ours: only the Python class changes
    except TypeError:  # a class with another layout (not an NDArray subclass): keep NDArray
        pass
    return x


def get_symbol(x):
    """The Symbol of the computation recorded for `x` (MXNet's autograd.get_symbol):
    arrays marked with attach_grad are its arguments var<k>, other arrays fed to
    recorded ops arguments null<k>, op nodes are named node_<k>."""
    import json

    from .base import py_str
    from .symbol.symbol import _MXNET_OP_NAMES, load_json
    if not isinstance(x, NDArray):
        raise TypeError("autograd.get_symbol expects an NDArray, got %s" % type(x).__name__)
    p = ffi.new("const char **")
    check_call(lib.mx_autograd_get_symbol(x.handle, p))
    graph = json.loads(py_str(p[0]))
    for node in graph["nodes"]:  # the op names MXNet's graph records (Reshape, Concat, ...)
        node["op"] = _MXNET_OP_NAMES.get(node["op"], node["op"])
    return load_json(json.dumps(graph))


# ---- custom Functions -------------------------------------------------------
_cb_error = threading.local()  # exception raised inside a Function.backward
_live_functions = {}           # ctx handle -> Function, until the core releases the node


def _check_backward(rc: int) -> None:
    """Raise for a failed backward, preferring the user's own exception from a
    Function.backward over the core's generic message."""
    exc = getattr(_cb_error, "exc", None)
    _cb_error.exc = None
    if exc is not None:
        raise exc
    if rc:
        _raise()


@ffi.callback("mx_custom_backward_fn")
def _function_backward(ctx, ograds, n_out, igrads, n_in):
    try:
        fn = ffi.from_handle(ctx)
        grads = []
        for i in range(n_out):
            check_call(lib.mx_tensor_retain(ograds[i]))  # the NDArray owns one reference
            grads.append(_new(ograds[i]))
        res = fn.backward(*grads)
        res = [res] if isinstance(res, NDArray) or res is None else list(res)
        if len(res) != n_in:
            raise MXNetError(f"{type(fn).__name__}.backward returned {len(res)} gradient(s) for {n_in} input(s)")
        for i, g in enumerate(res):
            if g is None:
                igrads[i] = _NULL
            else:
                check_call(lib.mx_tensor_retain(g.handle))  # ownership passes to the core
                igrads[i] = g.handle
        return 0
    except BaseException as e:  # reported by _check_backward after the core unwinds
        _cb_error.exc = e
        return 1


@ffi.callback("void(void *)")
def _function_release(ctx):
    _live_functions.pop(ctx, None)


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
            # fresh handles: the node's history must not land on user arrays
            outs = [o.detach() for o in outs]
            arrays = [x for x in inputs if isinstance(x, NDArray)]
            ctx = ffi.new_handle(self)
            _live_functions[ctx] = self
            check_call(lib.mx_autograd_record_custom(_handles(arrays), len(arrays), _handles(outs), len(outs),
                                                     _function_backward, ctx, _function_release))
        return outs[0] if single else outs
