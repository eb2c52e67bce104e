"""DataLoader: batches of samples, shuffled with the library's generator, collated."""

import collections
import numbers

import numpy as np

from ... import _C
from ..._C import Tensor
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def _collate_numpy(batch, elem):
    """numpy arrays are stacked as tensors; numpy scalars keep their dtype (np.float32 -> float32)."""
    if elem.dtype.kind in "OSUV":
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                        f"found {elem.dtype}")
    if elem.shape == ():
        return _C.as_tensor(np.array(batch))
    return _C.stack([_C.as_tensor(b) for b in batch], 0)


def default_collate(batch):
    """PyTorch's default_collate: stack tensors and numpy arrays, turn numbers into a tensor, and
    recurse into dicts, namedtuples and sequences (a batch of tuples gives a list, as PyTorch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(batch, 0)
    # numpy before numbers: np.float32 is a numbers.Real but must not become float64
    if type(elem).__module__ == "numpy" and isinstance(elem, (np.ndarray, np.generic)):
        return _collate_numpy(batch, elem)
    if isinstance(elem, bool):
        return _C.tensor(batch)
    if isinstance(elem, numbers.Integral):
        return _C.tensor(batch, dtype=_C.int64)
    if isinstance(elem, numbers.Real):
        return _C.tensor(batch, dtype=_C.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(samples) for samples in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}"
    )


class DataLoader:
    """Iterate over a dataset in batches (single process)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device=""):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
            )
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else (lambda x: x))

    def __iter__(self):
        if self.batch_sampler is None:
            for idx in self.sampler:
                yield self.collate_fn(self.dataset[idx])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)
