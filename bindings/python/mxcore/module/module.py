"""``Module``: a Symbol bound to one or several devices, trained with an optimizer
(MXNet 1.x ``mx.mod.Module``).

The module keeps two copies of the parameters, as MXNet does: the executors' arrays
(on the module's contexts; the optimizer updates them in place) and CPU arrays returned by
``get_params``. ``_params_dirty`` marks the CPU copies as stale after ``update()`` or a
training forward (BatchNorm moving statistics), and ``get_params`` re-syncs them.

Several contexts (data parallelism, MXNet's DataParallelExecutorGroup): one executor
per context, bound with its slice of the batch (``work_load_list`` sets the shares);
forward splits each batch along its batch axis, ``update`` sums the gradients of
all devices, updates the first device's weights and copies them to the others, and
``get_outputs`` concatenates the devices' outputs. Auxiliary states (BatchNorm's
moving statistics) are averaged over the devices when read, as MXNet does."""
from __future__ import annotations

import logging
import warnings

import numpy as np

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError
from ..context import Context, cpu
from ..executor import Executor, simple_bind
from ..initializer import InitDesc
from ..io import DataDesc
from ..model import load_checkpoint, save_checkpoint
from .base_module import _DEFAULT_INIT, BaseModule, _check_input_names, _parse_data_desc

__all__ = ["Module"]


def _context_list(context):
    if context is None:
        return [cpu()]
    if isinstance(context, Context):
        return [context]
    context = list(context)
    if not context:
        raise ValueError("Module: context is an empty list; pass one context such as mx.cpu()")
    return context


def _split_batch(batch_size, work_load_list):
    """Consecutive slices of the batch, one per device, sized by work_load_list (the
    last takes the rounding remainder)."""
    total = float(sum(work_load_list))
    sizes = [int(round(batch_size * w / total)) for w in work_load_list]
    sizes[-1] += batch_size - sum(sizes)
    slices, begin = [], 0
    for n in sizes:
        if n <= 0:
            raise ValueError("Module: a batch of %d split over %d devices (work_load_list %s) leaves a device "
                             "no samples" % (batch_size, len(sizes), list(work_load_list)))
        slices.append(slice(begin, begin + n))
        begin += n
    return slices


def _take_slice(src, axis, sl):
    """src[sl] along axis (NDArray or numpy)."""
    if isinstance(src, nd.NDArray):
        return src.slice_axis(axis=axis, begin=sl.start, end=sl.stop)
    return np.take(np.asarray(src), range(sl.start, sl.stop), axis=axis)


def _copy_into(src, dst, name):
    """Copy ``src`` (NDArray or numpy) into ``dst`` in place, converting context and dtype."""
    shape = tuple(src.shape)
    if shape != tuple(dst.shape):
        raise ValueError("'%s' has shape %s but the module binds it with shape %s" % (name, shape, tuple(dst.shape)))
    if isinstance(src, nd.NDArray):
        src.copyto(dst)
    else:
        dst[:] = np.asarray(src)


def _batch_axis(desc):
    layout = getattr(desc, "layout", None)
    axis = layout.find("N") if isinstance(layout, str) else 0
    return max(axis, 0)


def _bind_dtype(dtype):
    """dtype to bind an input with, or None to let the graph infer it. Only floating dtypes
    are forced: mxcore's NDArrayIter keeps numpy's integer dtypes (MXNet's yields float32),
    and an integer data input would otherwise make FullyConnected's weights integer too."""
    try:
        return dtype if np.dtype(dtype).kind == "f" else None
    except TypeError:
        return None


class _ExecGroupView:
    """What MXNet programs reach through ``mod._exec_group`` (MXNet's
    DataParallelExecutorGroup), read from the module's executors: example/gan's DCGAN
    adds two backward passes' gradients with ``mod._exec_group.grad_arrays``. The
    arrays are the executors' own buffers, so in-place updates reach ``update()``."""

    def __init__(self, module):
        self._module = module

    @property
    def execs(self):
        return list(self._module._execs)

    @property
    def param_names(self):
        return list(self._module._param_names)

    @property
    def arg_names(self):
        return self._module._symbol.list_arguments()

    @property
    def aux_names(self):
        return self._module._symbol.list_auxiliary_states()

    def _per_param(self, attr, names):
        return [[getattr(ex, attr).get(n) for ex in self._module._execs] for n in names]

    @property
    def param_arrays(self):
        return self._per_param("arg_dict", self._module._param_names)

    @property
    def grad_arrays(self):
        if not self._module.for_training:
            return []
        return self._per_param("grad_dict", self._module._param_names)

    @property
    def aux_arrays(self):
        return self._per_param("aux_dict", self.aux_names)

    @property
    def data_arrays(self):
        return self._per_param("arg_dict", [d.name for d in self._module._data_shapes])

    @property
    def label_arrays(self):
        return self._per_param("arg_dict", [d.name for d in (self._module._label_shapes or [])])

    @property
    def input_grad_arrays(self):
        if not self._module.inputs_need_grad:
            return []
        return self._per_param("grad_dict", [d.name for d in self._module._data_shapes])


class Module(BaseModule):
    """A Symbol trained on one device (MXNet 1.x ``mx.mod.Module``).

    Parameters are the symbol's arguments that are not data, label or state inputs.
    ``context`` is one Context (default ``mx.cpu()``) or a list of them (data
    parallelism; ``work_load_list`` gives each device's share of a batch);
    ``group2ctxs`` and ``compression_params`` are accepted and ignored. Data, state and
    fixed parameter names must be arguments of the symbol (ValueError); a label name that
    is not (a symbol without a loss) only warns."""

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',), logger=logging,
                 context=None, work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        self._contexts = _context_list(context)
        self._context = self._contexts[0]
        if work_load_list is None:
            work_load_list = [1] * len(self._contexts)
        if len(work_load_list) != len(self._contexts) or any(w <= 0 for w in work_load_list):
            raise ValueError("Module: work_load_list %s needs one positive share per context (%d)"
                             % (list(work_load_list), len(self._contexts)))
        self._work_load_list = list(work_load_list)
        self._execs = []
        self._slices = [slice(None)]
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names(symbol, data_names, 'data', True)
        _check_input_names(symbol, label_names, 'label', False)
        _check_input_names(symbol, state_names, 'state', True)
        _check_input_names(symbol, fixed_param_names, 'fixed_param', True)
        inputs = set(data_names + label_names + state_names)
        self._param_names = [n for n in symbol.list_arguments() if n not in inputs]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._updater = None
        self._kvstore = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec = None
        self._last_is_train = None
        self._data_shapes = None
        self._label_shapes = None

    # ---- checkpoints -----------------------------------------------------------------
    @classmethod
    def load(cls, prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module for the checkpoint ``prefix-symbol.json`` + ``prefix-%04d.params``;
        ``kwargs`` go to the constructor. The parameters are applied when the module is
        bound (``params_initialized`` is already True); ``load_optimizer_states`` reads
        ``prefix-%04d.states`` when the optimizer is initialized."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = cls(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = '%s-%04d.states' % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and, with
        ``save_optimizer_states``, ``prefix-%04d.states``."""
        arg_params, aux_params = self.get_params()
        save_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params, remove_amp_cast=remove_amp_cast)
        if save_optimizer_states:
            state_name = '%s-%04d.states' % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    def save_optimizer_states(self, fname):
        """Write the updater's states to ``fname`` (MXNet 1.x's pickle, loadable by MXNet)."""
        self._require_optimizer("save_optimizer_states")
        self._updater.save_states_file(fname)

    def load_optimizer_states(self, fname):
        """Read updater states written by save_optimizer_states."""
        self._require_optimizer("load_optimizer_states")
        self._updater.load_states_file(fname)

    # ---- properties ------------------------------------------------------------------
    @property
    def data_names(self):
        """Names of the data inputs."""
        return self._data_names

    @property
    def label_names(self):
        """Names of the label inputs."""
        return self._label_names

    @property
    def output_names(self):
        """Names of the symbol's outputs."""
        return self._output_names

    @property
    def data_shapes(self):
        """DataDesc of each data input."""
        self._require_bound("data_shapes")
        return self._data_shapes

    @property
    def label_shapes(self):
        """DataDesc of each label input (None when bound without labels)."""
        self._require_bound("label_shapes")
        return self._label_shapes

    @property
    def output_shapes(self):
        """``[(output_name, shape), ...]`` for the bound input shapes. As in MXNet 1.x, each
        output's batch axis (from its ``__layout__``, 0 without one) reports the bound batch
        size, even where the output's own extent there differs (a (batch*T, C) reshape)."""
        self._require_bound("output_shapes")
        _, out_shapes, _ = self._symbol.infer_shape(**self._input_shapes(self._data_shapes, self._label_shapes))
        lead = self._data_shapes[0]
        batch_size = lead.shape[_batch_axis(lead)]
        shapes = []
        for shape, axis in zip(out_shapes, self._output_axes()):
            shape = list(shape)
            if 0 <= axis < len(shape):
                shape[axis] = batch_size
            shapes.append(tuple(shape))
        return list(zip(self._output_names, shapes))

    # ---- state checks ----------------------------------------------------------------
    def _require_bound(self, what):
        if not self.binded:
            raise MXNetError("%s: the module is not bound; call bind(data_shapes=..., label_shapes=...) "
                             "first (fit() binds too)" % what)

    def _require_optimizer(self, what):
        self._require_ready(what)
        if not self.optimizer_initialized:
            raise MXNetError("%s: the optimizer is not initialized; call init_optimizer() first "
                             "(fit() does it)" % what)

    # ---- parameters ------------------------------------------------------------------
    def get_params(self):
        """``(arg_params, aux_params)``: CPU copies of the parameters. As in MXNet the same
        dicts are returned each call and refreshed in place; copy them to keep a snapshot."""
        if not self.params_initialized:
            raise MXNetError("get_params: the parameters are not initialized; call init_params() "
                             "(after bind()) or fit() first")
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=_DEFAULT_INIT, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialize parameters and auxiliary states (after bind).

        A name found in ``arg_params``/``aux_params`` is copied from there. When the dict is
        None every entry comes from ``initializer`` (called as
        ``initializer(InitDesc(name, attrs), array)``, so BatchNorm's ``moving_var`` becomes 1
        and a variable's ``__init__`` attribute wins); when it is given, a name missing from
        it raises RuntimeError unless ``allow_missing`` (then the initializer fills it).
        Names in the dicts that the module does not have are ignored (MXNet does the same
        here; ``allow_extra`` matters for ``set_params(..., allow_missing=True)``). Already
        initialized parameters are kept unless ``force_init``."""
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. init_params call ignored.",
                          stacklevel=2)
            return
        self._require_bound("init_params")
        attrs = self._symbol.attr_dict()
        for name, arr in sorted(self._arg_params.items()):
            self._init_one(name, arr, arg_params, 'arg_params', attrs, initializer, allow_missing)
        for name, arr in sorted(self._aux_params.items()):
            self._init_one(name, arr, aux_params, 'aux_params', attrs, initializer, allow_missing)
        self.params_initialized = True
        self._params_dirty = False
        self._copy_to_exec(self._arg_params, self._aux_params, allow_extra=True)

    @staticmethod
    def _init_one(name, arr, given, what, attrs, initializer, allow_missing):
        if given is not None and name in given:
            if given[name] is not arr:
                _copy_into(given[name], arr, name)
            return
        if given is not None and not allow_missing:
            raise RuntimeError("init_params: '%s' is not presented in %s (it holds %s); pass it, or "
                               "allow_missing=True to initialize it with the initializer"
                               % (name, what, sorted(given)))
        if initializer is None:
            if given is not None:
                return
            raise RuntimeError("init_params: no value for '%s': %s is None and there is no initializer" % (name, what))
        initializer(InitDesc(name, attrs.get(name)), arr)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True, allow_extra=False):
        """Assign parameter values. Without ``allow_missing`` every parameter must be in
        ``arg_params``/``aux_params`` (RuntimeError naming the missing one); with it, only the
        given names are copied, and names the symbol lacks raise ValueError unless
        ``allow_extra``."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init, allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. set_params call ignored.",
                          stacklevel=2)
            return
        self._require_bound("set_params")
        self._copy_to_exec(arg_params or {}, aux_params or {}, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _copy_to_exec(self, arg_params, aux_params, allow_extra=False):
        for ex in self._execs:
            for given, dst_dict, what in ((arg_params, ex.arg_dict, "an argument"),
                                          (aux_params, ex.aux_dict, "an auxiliary state")):
                for name, arr in given.items():
                    if name in dst_dict:
                        _copy_into(arr, dst_dict[name], name)
                    elif not allow_extra:
                        raise ValueError("set_params: '%s' is not %s of the symbol; pass allow_extra=True to "
                                         "ignore it" % (name, what))

    def _sync_params_from_devices(self):
        """Refresh the CPU copies from the executors' arrays: the weights from the first
        device (all devices hold the same), auxiliary states averaged over the devices."""
        for names, attr, dst in ((self._param_names, "arg_dict", self._arg_params),
                                 (self._aux_names, "aux_dict", self._aux_params)):
            for name in names:
                src = getattr(self._exec, attr)[name]
                if attr == "aux_dict" and len(self._execs) > 1:
                    total = src.copyto(cpu())
                    for ex in self._execs[1:]:
                        total += ex.aux_dict[name].copyto(cpu())
                    src = total / len(self._execs)
                if name in dst and tuple(dst[name].shape) == tuple(src.shape):
                    src.copyto(dst[name])
                else:
                    dst[name] = src.copyto(cpu())
        self._params_dirty = False

    # ---- binding ---------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Allocate the executor for ``data_shapes``/``label_shapes`` (DataDesc or
        ``(name, shape)``). Parameters get gradients ``grad_req`` (a str, a list per argument
        or a dict) except fixed ones ('null'); data inputs only with ``inputs_need_grad``.
        With ``shared_module`` (bound and initialized) the parameter arrays are shared.
        Binding again without ``force_rebind`` warns and does nothing; a rebind keeps the
        parameter values."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if inputs_need_grad and not for_training:
            raise ValueError("bind: inputs_need_grad=True needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        data_shapes, label_shapes = _parse_data_desc(self._data_names, self._label_names, data_shapes, label_shapes)
        shared_exec = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded and shared_module.params_initialized):
                raise ValueError("bind: shared_module must be a bound Module with initialized parameters")
            shared_exec = shared_module._execs
        self._set_executors(self._make_executor(data_shapes, label_shapes, shared_exec))
        self._data_shapes, self._label_shapes = data_shapes, label_shapes

        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # values from load(), set_params or a previous bind
            missing = [n for n in self._param_names + self._aux_names
                       if n not in self._arg_params and n not in self._aux_params]
            if missing:
                self.logger.warning("bind: no values for %s in the loaded parameters; they stay zero", missing)
            self._copy_to_exec(self._arg_params, self._aux_params)
        else:
            self._arg_params = {n: nd.zeros(self._exec.arg_dict[n].shape, dtype=self._exec.arg_dict[n].dtype)
                                for n in self._param_names}
            self._aux_params = {n: nd.zeros(self._exec.aux_dict[n].shape, dtype=self._exec.aux_dict[n].dtype)
                                for n in self._aux_names}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def _reset_bind(self):
        if self.binded and self.params_initialized and self._params_dirty:
            self._sync_params_from_devices()  # keep trained values across the rebind
        self.binded = False
        self._exec = None
        self._execs = []
        self._data_shapes = None
        self._label_shapes = None

    def reshape(self, data_shapes, label_shapes=None):
        """Rebind for new input shapes, keeping (sharing) the parameter arrays."""
        self._require_bound("reshape")
        data_shapes, label_shapes = _parse_data_desc(self._data_names, self._label_names, data_shapes, label_shapes)
        self._set_executors(self._make_executor(data_shapes, label_shapes, self._execs))
        self._data_shapes, self._label_shapes = data_shapes, label_shapes

    def _set_executors(self, execs_slices):
        self._execs, self._slices = execs_slices
        self._exec = self._execs[0]

    def _input_shapes(self, data_shapes, label_shapes):
        args = set(self._symbol.list_arguments())
        descs = list(data_shapes) + [d for d in (label_shapes or []) if d.name in args]
        return {d.name: tuple(d.shape) for d in descs}

    def _grad_req_dict(self):
        arg_names = self._symbol.list_arguments()
        if not self.for_training:
            return dict.fromkeys(arg_names, 'null')
        req = self._grad_req
        if isinstance(req, (list, tuple)):
            if len(req) != len(arg_names):
                raise ValueError("bind: grad_req has %d entries, the symbol has %d arguments %s"
                                 % (len(req), len(arg_names), arg_names))
            return dict(zip(arg_names, req))
        if not isinstance(req, (str, dict)):
            raise ValueError("bind: grad_req must be a str, list, tuple or dict, got %r" % (req,))
        base = req if isinstance(req, str) else 'write'
        out = {}
        for n in arg_names:
            if n in self._param_names:
                out[n] = 'null' if n in self._fixed_param_names else base
            elif n in self._data_names:
                out[n] = base if self.inputs_need_grad else 'null'
            else:
                out[n] = 'null'
        if isinstance(req, dict):
            out.update(req)
        return out

    def _make_executor(self, data_shapes, label_shapes, share_from=None):
        """(executors, batch slices): one executor per context, bound with its slice of
        the batch; with share_from (executors per context) the parameter arrays are shared."""
        if len(self._contexts) == 1:
            ex = self._make_one(self._context, data_shapes, label_shapes, share_from[0] if share_from else None)
            return [ex], [slice(None)]
        lead = data_shapes[0]
        slices = _split_batch(lead.shape[_batch_axis(lead)], self._work_load_list)
        execs = []
        for k, (ctx, sl) in enumerate(zip(self._contexts, slices)):
            def cut(descs):
                out = []
                for d in descs or []:
                    shape = list(d.shape)
                    shape[_batch_axis(d)] = sl.stop - sl.start
                    out.append(DataDesc(d.name, tuple(shape), getattr(d, "dtype", np.float32),
                                        getattr(d, "layout", "NCHW")))
                return out
            execs.append(self._make_one(ctx, cut(data_shapes), cut(label_shapes) if label_shapes else label_shapes,
                                        share_from[k] if share_from else None))
        return execs, slices

    def _make_one(self, ctx, data_shapes, label_shapes, share_from=None):
        args = set(self._symbol.list_arguments())
        shapes = self._input_shapes(data_shapes, label_shapes)
        types = {}
        for d in list(data_shapes) + list(label_shapes or []):
            dt = _bind_dtype(getattr(d, "dtype", None))
            if d.name in args and dt is not None:
                types[d.name] = dt
        grad_req = self._grad_req_dict()
        try:
            ex = simple_bind(self._symbol, ctx, grad_req, types, shapes)
        except MXNetError as e:
            raise MXNetError("Module.bind(data_shapes=%s, label_shapes=%s): %s"
                             % (data_shapes, label_shapes, e)) from None
        if share_from is None:
            return ex
        # rebind with the parameter, gradient and aux arrays of share_from so both executors
        # (old/new shapes, or two modules) read and update the same weights
        arg_d, grad_d, aux_d = dict(ex.arg_dict), dict(ex.grad_dict), dict(ex.aux_dict)
        for names, mine, theirs in ((self._param_names, arg_d, share_from.arg_dict),
                                    (self._aux_names, aux_d, share_from.aux_dict)):
            for n in names:
                if n in theirs and n in mine and theirs[n].shape == mine[n].shape and theirs[n].dtype == mine[n].dtype:
                    mine[n] = theirs[n]
                    if mine is arg_d and n in grad_d and share_from.grad_dict.get(n) is not None:
                        grad_d[n] = share_from.grad_dict[n]
        return Executor(self._symbol, ctx, arg_d, grad_d, grad_req, aux_d)

    # ---- optimizer -------------------------------------------------------------------
    def init_optimizer(self, kvstore='local', optimizer='sgd', optimizer_params=(('learning_rate', 0.01),),
                       force_init=False):
        """Create the optimizer (a name plus ``optimizer_params``, or an Optimizer) and its
        Updater. A named optimizer gets ``rescale_grad=1/batch_size`` unless given, the
        parameter index -> name map, and the variables' ``__lr_mult__``/``__wd_mult__``.
        ``kvstore`` is ignored on one device ('dist*' kvstores raise NotImplementedError)."""
        self._require_ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring...')
            return
        kv_type = kvstore if isinstance(kvstore, str) else getattr(kvstore, "type", "")
        if kv_type and "dist" in kv_type:
            raise NotImplementedError("init_optimizer: distributed kvstore '%s' is not supported" % kv_type)
        if self._params_dirty:
            self._sync_params_from_devices()
        lead = self._data_shapes[0]
        batch_size = lead.shape[_batch_axis(lead)]
        rescale_grad = 1.0 / batch_size
        idx2name = dict(enumerate(self._param_names))
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault('rescale_grad', rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name, **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is not normalized "
                              "to 1.0/batch_size (%s vs. %s). Is this intended?"
                              % (optimizer.rescale_grad, rescale_grad),
                              stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise TypeError("init_optimizer: optimizer must be a name or an mx.optimizer.Optimizer, got %r"
                            % (optimizer,))
        self._optimizer = optimizer
        self._updater = opt.get_updater(optimizer)
        # as in MXNet, several devices get a kvstore holding the updater (its states are
        # mod._kvstore._updater.states); one device keeps none. The module still sums and
        # applies the gradients itself.
        self._kvstore = None
        if len(self._contexts) > 1 and kvstore:
            from .. import kvstore as kvs
            self._kvstore = kvs.create(kvstore) if isinstance(kvstore, str) else kvstore
            self._kvstore._set_updater(self._updater)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer and updater."""
        if not shared_module.optimizer_initialized:
            raise MXNetError("borrow_optimizer: the shared module has no optimizer")
        self._optimizer = shared_module._optimizer
        self._updater = shared_module._updater
        self._kvstore = shared_module._kvstore
        self.optimizer_initialized = True

    # ---- computation -----------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Run the symbol on ``data_batch`` (``is_train`` None means ``for_training``). A batch
        whose data shapes differ from the bound ones rebinds (``reshape``) first."""
        self._require_ready("forward")
        if isinstance(data_batch, (list, tuple)) and not hasattr(data_batch, "data"):  # not a namedtuple batch
            if len(data_batch) != 1:
                raise NotImplementedError("forward: a list of %d batches (pre-sliced per device) is not "
                                          "supported; pass one batch, the module splits it over its devices"
                                          % len(data_batch))
            data_batch = data_batch[0]
        data = list(data_batch.data or [])
        if len(data) != len(self._data_shapes):
            raise ValueError("forward: the batch has %d data array(s) but the module takes %d (%s)"
                             % (len(data), len(self._data_shapes), [d.name for d in self._data_shapes]))
        new_shapes = tuple(tuple(d.shape) for d in data)
        if new_shapes != tuple(tuple(d.shape) for d in self._data_shapes):
            self._reshape_for(data_batch, new_shapes)
        inputs = list(zip(self._data_shapes, data))
        if self._label_shapes is not None and data_batch.label:
            inputs += [(d, src) for d, src in zip(self._label_shapes, data_batch.label)
                       if d.name in self._exec.arg_dict]
        for ex, sl in zip(self._execs, self._slices):
            for desc, src in inputs:
                part = src if len(self._execs) == 1 else _take_slice(src, _batch_axis(desc), sl)
                _copy_into(part, ex.arg_dict[desc.name], desc.name)
        if is_train is None:
            is_train = self.for_training
        for ex in self._execs:
            ex.forward(is_train=is_train)
        self._last_is_train = is_train
        if is_train:
            self._params_dirty = True  # BatchNorm moving statistics change in train mode

    def _reshape_for(self, data_batch, new_shapes):
        provide_data = getattr(data_batch, "provide_data", None)
        if provide_data:
            new_dshape = provide_data
        else:
            new_dshape = [DataDesc(d.name, s, d.dtype, d.layout) for d, s in zip(self._data_shapes, new_shapes)]
        provide_label = getattr(data_batch, "provide_label", None)
        if provide_label:
            new_lshape = provide_label
        elif self._label_shapes and data_batch.label:
            new_lshape = [DataDesc(d.name, tuple(lb.shape), d.dtype, d.layout)
                          for d, lb in zip(self._label_shapes, data_batch.label)]
        else:
            new_lshape = None
        self.reshape(new_dshape, new_lshape)

    def backward(self, out_grads=None):
        """Back-propagate from the last ``forward(is_train=True)``; ``out_grads`` are the head
        gradients (ignored by loss outputs such as SoftmaxOutput)."""
        self._require_ready("backward")
        if not self.for_training:
            raise MXNetError("backward: the module was bound with for_training=False; "
                             "bind(..., for_training=True) to compute gradients")
        if not self._last_is_train:
            raise MXNetError("backward: call forward(data_batch, is_train=True) first")
        if len(self._execs) == 1:
            self._exec.backward(out_grads)
            return
        axes = self._output_axes()
        for ex, sl in zip(self._execs, self._slices):
            part = None if out_grads is None else \
                [g if ax < 0 else _take_slice(g, ax, sl).as_in_context(ex._ctx) if isinstance(g, nd.NDArray)
                 else _take_slice(g, ax, sl)
                 for g, ax in zip(out_grads if isinstance(out_grads, (list, tuple)) else [out_grads], axes)]
            ex.backward(part)

    def _output_axes(self):
        """Each output's batch axis, from its ``__layout__`` attribute ('TNC' -> 1; 0 without
        one; -1 for a layout without N: every device has the whole value), as MXNet splits
        head gradients and merges outputs."""
        axes = []
        for k in range(len(self._symbol.list_outputs())):
            layout = self._symbol[k].attr("__layout__")
            axes.append(0 if layout is None else layout.find("N"))
        return axes

    @property
    def _exec_group(self):
        """MXNet's executor group, as a view of this module's executors (None before bind)."""
        return _ExecGroupView(self) if self.binded else None

    def update(self):
        """One optimizer step on every parameter that has a gradient (fixed ones have none)."""
        self._require_optimizer("update")
        if not self.for_training:
            raise MXNetError("update: the module was bound with for_training=False, it has no gradients")
        self._params_dirty = True
        indices, grads, weights = [], [], []
        for i, name in enumerate(self._param_names):
            g = self._exec.grad_dict.get(name)
            if g is None:
                continue
            if len(self._execs) > 1:  # the gradient of the whole batch: the devices' sum
                g = g.copy()
                for ex in self._execs[1:]:
                    g += ex.grad_dict[name].as_in_context(self._context)
            indices.append(i)
            grads.append(g)
            weights.append(self._exec.arg_dict[name])
        if indices:
            self._updater(indices, grads, weights)
        for ex in self._execs[1:]:  # every device gets the updated weights
            for i in indices:
                name = self._param_names[i]
                self._exec.arg_dict[name].copyto(ex.arg_dict[name])

    def get_outputs(self, merge_multi_context=True):
        """Outputs of the last forward: a list of NDArrays (``[[out], ...]`` per device when
        ``merge_multi_context`` is False)."""
        self._require_ready("get_outputs")
        return self._per_device([list(ex.outputs) for ex in self._execs], merge_multi_context, self._output_axes())

    def _per_device(self, values, merge, axes=None):
        """values[device][k] -> [v_k merged along its batch axis (axes[k], default 0; the first
        device's value when negative) on the first device] or [[v_k per device]]."""
        if len(values) == 1:
            return values[0] if merge else [[v] for v in values[0]]
        per_k = [[dev[k] for dev in values] for k in range(len(values[0]))]
        if not merge:
            return per_k
        axes = axes or [0] * len(per_k)
        return [vs[0] if ax < 0 else nd.concat(*[v.as_in_context(self._context) for v in vs], dim=ax)
                for vs, ax in zip(per_k, axes)]

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._require_ready("get_input_grads")
        if not self.inputs_need_grad:
            raise MXNetError("get_input_grads: bind(..., inputs_need_grad=True) to get input gradients")
        return self._per_device([[ex.grad_dict[n] for n in self._data_names] for ex in self._execs],
                                merge_multi_context, [_batch_axis(d) for d in self._data_shapes])

    def get_states(self, merge_multi_context=True):
        """The arrays of the state inputs (``state_names``)."""
        self._require_ready("get_states")
        return self._per_device([[ex.arg_dict[n] for n in self._state_names] for ex in self._execs],
                                merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the state inputs from ``states`` (arrays, in ``state_names`` order) or fill them
        with the scalar ``value``."""
        self._require_ready("set_states")
        if states is not None:
            if value is not None:
                raise ValueError("set_states: pass states or value, not both")
            for name, src in zip(self._state_names, states):
                for k, ex in enumerate(self._execs):
                    if isinstance(src, (list, tuple)):  # MXNet's per-device form
                        part = src[k]
                    else:
                        part = src if len(self._execs) == 1 else _take_slice(src, 0, self._slices[k])
                    _copy_into(part, ex.arg_dict[name], name)
        elif value is not None:
            for ex in self._execs:
                for name in self._state_names:
                    ex.arg_dict[name][:] = value
        else:
            raise ValueError("set_states: pass states or value")

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Accumulate ``eval_metric`` with ``labels`` (the batch's labels) against the last
        outputs; the metric sees them keyed by label and output names."""
        from collections import OrderedDict
        self._require_ready("update_metric")
        names = [d.name for d in self._label_shapes] if self._label_shapes else self._label_names
        for k, ex in enumerate(self._execs):
            if pre_sliced:
                part = labels[k]
            elif len(self._execs) == 1:
                part = labels
            else:
                part = [_take_slice(lb, _batch_axis(d), self._slices[k])
                        for d, lb in zip(self._label_shapes or [], labels or [])]
            eval_metric.update_dict(OrderedDict(zip(names, part or [])),
                                    OrderedDict(zip(self._output_names, ex.outputs)))
