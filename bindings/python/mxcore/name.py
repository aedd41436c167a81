"""``mx.name``: automatic names for symbols (NameManager, Prefix), as in MXNet 1.x."""
from .symbol.symbol import NameManager, Prefix

__all__ = ["NameManager", "Prefix"]
