"""Gluon data API: datasets, samplers, DataLoader, vision transforms."""
from . import vision  # noqa: F401
from .dataloader import Batch, DataLoader, default_batchify_fn  # noqa: F401
from .dataset import (ArrayDataset, Dataset, RecordFileDataset,  # noqa: F401
                      SimpleDataset)
from .sampler import (BatchSampler, FilterSampler, IntervalSampler, RandomSampler,  # noqa: F401
                      Sampler, SequentialSampler)
