"""MXNet 1.x's symbolic training API (``mx.mod``): ``Module`` trains a Symbol on one device."""
from .base_module import BaseModule
from .module import Module

__all__ = ["BaseModule", "Module"]
