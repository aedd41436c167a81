"""Vision data utilities: transforms and MXNet 1.x's datasets (MNIST, CIFAR, image folders, image RecordIO)."""
from . import transforms  # noqa: F401
from ._image_record import ImageRecordDataset  # noqa: F401
from .datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset  # noqa: F401
