"""mx.AttrScope (MXNet 1.x): attributes attached to every Symbol created inside
the scope, e.g. ``with mx.AttrScope(ctx_group='stage1', lr_mult='0.5'):``. As in
MXNet the keys MXNet hides (ctx_group, lr_mult, wd_mult, force_mirroring,
mirror_stage) are stored double-underscored (``__ctx_group__``) and
``Symbol.attr('ctx_group')`` finds them; other keys are kept as given."""
from __future__ import annotations

import threading

_STATE = threading.local()
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")


def dunder_hidden(attrs: dict) -> dict:
    """`attrs` with MXNet's hidden keys written as __key__ (lr_mult -> __lr_mult__),
    the form the graph, the optimizer and MXNet's JSON use."""
    return {("__%s__" % k if k in HIDDEN_KEYS else k): v for k, v in attrs.items()}


class AttrScope:
    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError("AttrScope: attribute %s=%r must be a string" % (k, v))
        self._attr = kwargs
        self._old = None

    def get(self, attr):
        """The scope's attributes updated with `attr` (the ones given at creation)."""
        if self._attr:
            ret = dict(self._attr)
            if attr:
                ret.update(attr)
            return ret
        return dict(attr) if attr else {}

    def __enter__(self):
        self._old = current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        scope = AttrScope.__new__(AttrScope)
        scope._attr, scope._old = merged, None
        _STATE.scope = scope
        return self

    def __exit__(self, *exc):
        _STATE.scope = self._old


def current() -> AttrScope:
    scope = getattr(_STATE, "scope", None)
    if scope is None:
        scope = _STATE.scope = AttrScope()
    return scope


def scoped(attrs: dict) -> dict:
    """`attrs` with the current scope's attributes added, MXNet's hidden keys as
    __key__ (an explicit attribute wins over the scope's)."""
    scope = current()._attr
    if not scope:
        return dunder_hidden(attrs)
    out = dunder_hidden(scope)
    out.update(dunder_hidden(attrs))
    return out
