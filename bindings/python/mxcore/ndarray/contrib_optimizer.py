"""nd.contrib's optimizer updates with MXNet 1.x's Python signatures.

MXNet defines these in Python over its registry ops: ``adamw_update`` and
``mp_adamw_update`` take ``rescale_grad`` as a number or a 1-element NDArray, and
the ``multi_`` updates take lists (weights, grads, means, vars[, weights32]) that
are interleaved into the one fused op's inputs (``multi_adamw_update``,
``multi_lamb_update`` ... in the registry). ``multi_lamb_update``'s ``lrs`` is the
op's ``learning_rates`` attribute.
"""
from __future__ import annotations


def _nd():
    from .. import ndarray as nd
    return nd


def _rescale_array(rescale_grad, ctx):
    """rescale_grad as the 1-element float32 array the adamw ops take (MXNet's _get_rescale_grad)."""
    nd = _nd()
    if isinstance(rescale_grad, nd.NDArray):
        return rescale_grad if rescale_grad.context == ctx else rescale_grad.as_in_context(ctx)
    return nd.full((1,), rescale_grad, ctx=ctx, dtype='float32')


def _interleave(*lists):
    return [a for group in zip(*lists) for a in group]


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0,
                 clip_gradient=-1, out=None, name=None, **kwargs):
    return _nd().adamw_update(weight, grad, mean, var, _rescale_array(rescale_grad, weight.context), lr=lr,
                              eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                              clip_gradient=clip_gradient, out=out, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9, beta2=0.999, epsilon=1e-8,
                    wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    return _nd().mp_adamw_update(weight, grad, mean, var, weight32, _rescale_array(rescale_grad, weight.context),
                                 lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                                 clip_gradient=clip_gradient, out=out, **kwargs)


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None, name=None, size=0,
                       **kwargs):
    """AdamW on lists of weights in one op; mean and var are updated in place."""
    flat = _interleave(weights, grads, mean, var) + [_rescale_array(rescale_grad, weights[0].context)]
    return _nd().multi_adamw_update(*flat, out=out, num_weights=size or len(weights), lrs=tuple(lrs),
                                    wds=tuple(wds), etas=tuple(etas), **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas, out=None, name=None,
                          size=0, **kwargs):
    """multi_adamw_update on float32 master copies (updated in place, returned in the weights' dtype)."""
    flat = _interleave(weights, grads, mean, var, weights32) + [_rescale_array(rescale_grad, weights[0].context)]
    return _nd().multi_mp_adamw_update(*flat, out=out, num_weights=size or len(weights), lrs=tuple(lrs),
                                       wds=tuple(wds), etas=tuple(etas), **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None, num_tensors=0, **kwargs):
    """LAMB (both phases) on lists of weights in one op; mean and var are updated in place."""
    return _nd().multi_lamb_update(*_interleave(weights, grads, mean, var), out=out,
                                   num_tensors=num_tensors or len(weights), step_count=tuple(step_count),
                                   learning_rates=tuple(lrs), wds=tuple(wds), **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds, out=None, num_tensors=0,
                         **kwargs):
    """multi_lamb_update on float32 master copies (updated in place, returned in the weights' dtype)."""
    return _nd().multi_mp_lamb_update(*_interleave(weights, grads, mean, var, weights32), out=out,
                                      num_tensors=num_tensors or len(weights), step_count=tuple(step_count),
                                      learning_rates=tuple(lrs), wds=tuple(wds), **kwargs)


__all__ = ["adamw_update", "mp_adamw_update", "multi_adamw_update", "multi_mp_adamw_update", "multi_lamb_update",
           "multi_mp_lamb_update"]
