"""Vision data utilities (transforms). Dataset downloads (MNIST, CIFAR) are not provided."""
from . import transforms  # noqa: F401
