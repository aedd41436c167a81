"""MXNet 1.x's symbolic training API (``mx.mod``): ``Module`` trains a Symbol on one device;
``BucketingModule`` a Symbol per bucket key (sequence length) with shared parameters;
``SequentialModule`` chains modules; ``PythonModule``/``PythonLossModule`` are stages
written in Python."""
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .module import Module
from .python_module import PythonLossModule, PythonModule
from .sequential_module import SequentialModule

__all__ = ["BaseModule", "BucketingModule", "Module", "PythonLossModule", "PythonModule", "SequentialModule"]
