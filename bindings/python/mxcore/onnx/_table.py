"""The translator table both directions use: op name -> translator function."""
from __future__ import annotations


class Table:
    def __init__(self):
        self._fns: dict = {}

    def register(self, *op_names):
        """Decorator: ``fn`` translates every op named in ``op_names``."""
        def deco(fn):
            for name in op_names:
                self._fns[name] = fn
            return fn
        return deco

    def get(self, op_name):
        return self._fns.get(op_name)

    def names(self):
        return sorted(self._fns)


def unique_name(hint, used):
    """``hint``, or ``hint_<k>`` for the first k that is not in ``used``; the name is added to it."""
    name, i = hint, 0
    while name in used:
        i += 1
        name = "%s_%d" % (hint, i)
    used.add(name)
    return name
