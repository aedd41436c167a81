"""MXNet 1.x's symbolic training API (``mx.mod``): ``Module`` trains a Symbol on one device;
``BucketingModule`` a Symbol per bucket key (sequence length) with shared parameters."""
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .module import Module

__all__ = ["BaseModule", "Module", "BucketingModule"]
