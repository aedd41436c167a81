"""MXNet 1.x's ``mx.image``: image decoding, resizing, cropping, augmentation and ``ImageIter``.

MXNet does this with OpenCV; mxcore decodes with Pillow (``pip install pillow``) and
resizes in numpy following OpenCV's arithmetic. Interpolation codes are OpenCV's:
0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (plus 9 auto, 10 random where
MXNet allows them). Decoded PNG/JPEG pixels and uint8 resizes match MXNet 1.9.1's on
the cases tested; float images are resized in float64, so they can differ from
OpenCV's float32 results in the last bits.

``mx.image.detection`` (also ``mx.image.det``) holds ``ImageDetIter`` and the detection
augmenters; they are exported here too, as in MXNet.
"""
from .augmenters import (Augmenter, BrightnessJitterAug, CastAug, CenterCropAug, ColorJitterAug,
                         ColorNormalizeAug, ContrastJitterAug, CreateAugmenter, ForceResizeAug,
                         HorizontalFlipAug, HueJitterAug, LightingAug, RandomCropAug, RandomGrayAug,
                         RandomOrderAug, RandomSizedCropAug, ResizeAug, SaturationJitterAug, SequentialAug)
from .codec import ImageDecodeError, imdecode, imread, imresize
from .iterator import ImageIter
from .rotate import imrotate, random_rotate
from . import detection
from . import detection as det
from .detection import (CreateDetAugmenter, CreateMultiRandCropAugmenter, DetAugmenter, DetBorrowAug,
                        DetHorizontalFlipAug, DetRandomCropAug, DetRandomPadAug, DetRandomSelectAug, ImageDetIter)
from .ops import (center_crop, color_normalize, copyMakeBorder, fixed_crop, random_crop, random_size_crop,
                  resize_short, scale_down)

__all__ = ['ImageDecodeError', 'imdecode', 'imread', 'imresize',
           'center_crop', 'color_normalize', 'copyMakeBorder', 'fixed_crop', 'random_crop',
           'random_size_crop', 'resize_short', 'scale_down', 'imrotate', 'random_rotate',
           'Augmenter', 'BrightnessJitterAug', 'CastAug', 'CenterCropAug', 'ColorJitterAug',
           'ColorNormalizeAug', 'ContrastJitterAug', 'CreateAugmenter', 'ForceResizeAug',
           'HorizontalFlipAug', 'HueJitterAug', 'LightingAug', 'RandomCropAug', 'RandomGrayAug',
           'RandomOrderAug', 'RandomSizedCropAug', 'ResizeAug', 'SaturationJitterAug',
           'SequentialAug', 'ImageIter', 'detection', 'det',
           'DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug', 'DetRandomCropAug',
           'DetRandomPadAug', 'CreateMultiRandCropAugmenter', 'CreateDetAugmenter', 'ImageDetIter']
