"""Basic Gluon layers: containers, Dense, Dropout, normalization, Embedding, Lambdas."""
from __future__ import annotations

import warnings

import numpy as np

from ...autograd import is_recording as _is_recording
from ...ndarray.ndarray import NDArray as _NDArray
from ..block import Block, HybridBlock


def _one(out):
    """Ops with hidden outputs may come back as a one-element list; keep the visible one."""
    if isinstance(out, (list, tuple)):
        return out[0]
    return out


def _prod(shape):
    return int(np.prod([int(s) for s in shape])) if len(shape) else 1


class Sequential(Block):
    """Stacks Blocks and runs them one after another."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        for block in blocks:
            self.register_child(block)

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. Consider using "
                          "HybridSequential for the best performance." % self.prefix, stacklevel=2)
        super().hybridize(active, **kwargs)

    def forward(self, x, *args):
        for block in self._children.values():
            x = block(x, *args)
            args = ()
            if type(x) is not _NDArray and isinstance(x, (tuple, list)) \
                    and not hasattr(x, 'context'):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self):
        s = '{name}(\n{modstr}\n)'
        modstr = '\n'.join('  ({key}): {block}'.format(
            key=key, block=repr(block).replace('\n', '\n  '))
            for key, block in self._children.items())
        return s.format(name=self.__class__.__name__, modstr=modstr)

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self):
        return len(self._children)


class HybridSequential(HybridBlock):
    """Stacks HybridBlocks; hybridizable."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        for block in blocks:
            self.register_child(block)

    def forward(self, x, *args):
        return Sequential.forward(self, x, *args)

    def hybrid_forward(self, F, x, *args):
        return Sequential.forward(self, x, *args)

    __repr__ = Sequential.__repr__
    __getitem__ = Sequential.__getitem__
    __len__ = Sequential.__len__


class Activation(HybridBlock):
    """Applies an activation: relu, sigmoid, tanh, softrelu, softsign (+ softmax)."""

    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        if self._act_type == 'softmax':
            return F.softmax(x, axis=-1)
        if self._act_type == 'log_softmax':
            return F.log_softmax(x, axis=-1)
        return F.Activation(x, act_type=self._act_type, name='fwd')

    def __repr__(self):
        return '{name}({_act_type})'.format(name=self.__class__.__name__, **self.__dict__)


class Dense(HybridBlock):
    """Fully connected layer: out = act(dot(x, W.T) + b)."""

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + '_')
            else:
                self.act = None

    def _infer_param_shapes(self, x, *args):
        in_units = _prod(x.shape[1:]) if self._flatten else int(x.shape[-1])
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F, x, weight, bias=None):
        if bias is None:
            out = F.FullyConnected(x, weight, no_bias=True, num_hidden=self._units, name='fwd',
                                   flatten=self._flatten)
        else:
            out = F.FullyConnected(x, weight, bias, no_bias=False, num_hidden=self._units, name='fwd',
                                   flatten=self._flatten)
        if self.act is not None:
            out = self.act(out)
        return out

    def __repr__(self):
        shape = self.weight.shape
        return '{name}({layout}, {act})'.format(
            name=self.__class__.__name__,
            act=repr(self.act) if self.act else 'linear',
            layout='{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0]))


class Dropout(HybridBlock):
    """Zeroes inputs with probability ``rate`` while training (autograd.record(train_mode))."""

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            if self._axes:
                return _one(F.Dropout(x, p=self._rate, axes=self._axes, name='fwd'))
            return _one(F.Dropout(x, p=self._rate, name='fwd'))
        return x

    def __repr__(self):
        return '{name}(p = {_rate}, axes={_axes})'.format(name=self.__class__.__name__,
                                                          **self.__dict__)


class BatchNorm(HybridBlock):
    """Batch normalization over ``axis`` with running statistics."""

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones',
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale, 'use_global_stats': use_global_stats}
        self._axis = axis
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get('running_mean', grad_req='null',
                                            shape=(in_channels,),
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get('running_var', grad_req='null',
                                           shape=(in_channels,),
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def _infer_param_shapes(self, x, *args):
        c = int(x.shape[self._axis])
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (c,)

    def cast(self, dtype):
        if np.dtype(dtype).name == 'float16':
            dtype = 'float32'
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return _one(F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd', **self._kwargs))

    def __repr__(self):
        s = '{name}({content}'
        in_channels = self.gamma.shape[0]
        s += ', in_channels={0}'.format(in_channels if in_channels else None)
        s += ')'
        return s.format(name=self.__class__.__name__,
                        content=', '.join('='.join([k, repr(v)])
                                          for k, v in self._kwargs.items()))



class BatchNormReLU(BatchNorm):
    """BatchNorm followed by relu in one op (``contrib.BatchNormWithReLU``, MXNet's
    fused layer); same parameters and arguments as BatchNorm."""

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return _one(F.contrib.BatchNormWithReLU(x, gamma, beta, running_mean, running_var, name='fwd',
                                                **self._kwargs))

class _NormBase(HybridBlock):
    """gamma and beta of one size, the input's length on ``_axis`` (the
    channel axis 1 unless a subclass sets its own)."""

    _axis = 1

    def _infer_param_shapes(self, x, *args):
        c = int(x.shape[self._axis])
        self.gamma.shape = (c,)
        self.beta.shape = (c,)

    def __repr__(self):
        """MXNet's form: the layer's keyword settings, then in_channels (GroupNorm has
        none: its parameters are per group)."""
        body = ', '.join('%s=%r' % kv for kv in self._kwargs.items())
        if not isinstance(self, GroupNorm):
            body += ', in_channels=%d' % (self.gamma.shape[0] if self.gamma.shape else 0)
        return '%s(%s)' % (type(self).__name__, body)

    def _make(self, center, scale, beta_initializer, gamma_initializer, in_channels):
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)


class LayerNorm(_NormBase):
    """Layer normalization over ``axis`` (default last)."""

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._make(center, scale, beta_initializer, gamma_initializer, in_channels)

    def hybrid_forward(self, F, data, gamma, beta):
        return _one(F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis,
                                eps=self._epsilon))


def _bshape(ndim, axis, c):
    shape = [1] * ndim
    shape[axis] = c
    return tuple(shape)


class InstanceNorm(_NormBase):
    """Instance normalization: per sample and channel over the spatial axes."""

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._make(center, scale, beta_initializer, gamma_initializer, in_channels)

    def hybrid_forward(self, F, x, gamma, beta):
        axis = self._axis if self._axis == 1 else self._axis % x.ndim
        if axis != 1:
            x = F.swapaxes(x, dim1=1, dim2=axis)
        if hasattr(F, 'InstanceNorm'):
            out = _one(F.InstanceNorm(x, gamma, beta, eps=self._epsilon, name='fwd'))
        else:
            red = tuple(range(2, x.ndim))
            mean = F.mean(x, axis=red, keepdims=True)
            cen = F.broadcast_sub(x, mean)
            var = F.mean(F.square(cen), axis=red, keepdims=True)
            out = F.broadcast_div(cen, F.sqrt(var + self._epsilon))
            bs = _bshape(x.ndim, 1, x.shape[1])
            out = F.broadcast_add(F.broadcast_mul(out, gamma.reshape(bs)), beta.reshape(bs))
        if axis != 1:
            out = F.swapaxes(out, dim1=1, dim2=axis)
        return out


class GroupNorm(_NormBase):
    """Group normalization (channels on axis 1, split into ``num_groups``). As in
    MXNet 1.x, gamma and beta have one entry per group: shape ``(num_groups,)``
    (``in_channels`` is accepted and ignored)."""

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'eps': epsilon, 'num_groups': num_groups, 'center': center,
                        'scale': scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self._make(center, scale, beta_initializer, gamma_initializer, num_groups)

    def _infer_param_shapes(self, x, *args):
        pass  # (num_groups,), known from the start

    def hybrid_forward(self, F, data, gamma, beta):
        return _one(F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups, eps=self._epsilon))


class Embedding(HybridBlock):
    """Maps integer indices to dense vectors of size ``output_dim``."""

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None,
                 sparse_grad=False, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype}
        # sparse_grad: the weight's gradient is row_sparse (the rows of the batch), and
        # Trainer's lazy updates touch only those rows, as in MXNet
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True,
                                      grad_stype='row_sparse' if sparse_grad else 'default')

    def __call__(self, x, *args, **kwargs):
        # the row_sparse gradient's rows: the indices of each call made with an array (eager,
        # or this block hybridized itself; not when a hybridized parent runs its graph)
        if self.weight._grad_stype == 'row_sparse' and isinstance(x, _NDArray) and _is_recording():
            self.weight._note_rows(x)
        return super().__call__(x, *args, **kwargs)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        return '{block_name}({input_dim} -> {output_dim}, {dtype})'.format(
            block_name=self.__class__.__name__, **self._kwargs)


class Flatten(HybridBlock):
    """Reshapes (N, ...) to (N, prod(...))."""

    def hybrid_forward(self, F, x):
        return F.Flatten(x)

    def __repr__(self):
        return self.__class__.__name__


class Lambda(Block):
    """Wraps a function (or the name of an nd op) as a Block."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import ndarray as nd
            if not hasattr(nd, function):
                raise AssertionError('Function name %s is not found in ndarray.' % function)
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError('Unrecognized function in lambda: {} of type {}'.format(
                function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return '{name}({function})'.format(name=self.__class__.__name__,
                                           function=getattr(self._func_impl, '__name__', ''))


class HybridLambda(HybridBlock):
    """Wraps ``function(F, x, *args)`` (or an op name) as a HybridBlock."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            name = function
            self._func = lambda F, *args: getattr(F, name)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = getattr(function, '__name__', '<lambda>')
        else:
            raise ValueError('Unrecognized function in lambda: {} of type {}'.format(
                function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return '{name}({function})'.format(name=self.__class__.__name__,
                                           function=self._func_name)


class Identity(HybridBlock):
    def hybrid_forward(self, F, x):
        return x
