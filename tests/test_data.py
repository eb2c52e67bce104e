"""embertorch.utils.data: datasets, samplers, DataLoader, default_collate, random_split.

Batches are checked against the dataset rows they must contain (numpy slicing of the source
arrays); shuffles are checked to be permutations and reproducible under a seeded generator.
"""

import collections
import math

import embertorch as torch
import numpy as np
import pytest
from embertorch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make_dataset(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) * 10
    return TensorDataset(torch.tensor(x), torch.tensor(y)), x, y


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


# --------------------------------------------------------------------------------------------
# datasets


def test_tensor_dataset_items_and_len():
    ds, x, y = make_dataset(7)
    assert len(ds) == 7
    for i in (0, 3, 6, -1):
        xi, yi = ds[i]
        np.testing.assert_array_equal(xi.numpy(), x[i])
        assert yi.item() == y[i]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torch.zeros(3, 2), torch.zeros(4))


def test_concat_dataset_indexing():
    a, b = Squares(3), Squares(4)
    cat = a + b
    assert isinstance(cat, ConcatDataset)
    assert len(cat) == 7
    assert [cat[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert cat[-1] == 9 and cat[-7] == 0
    assert cat.cumulative_sizes == [3, 7]
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-8]
    with pytest.raises(IndexError):
        cat[7]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])


def test_concat_dataset_with_empty_member():
    cat = ConcatDataset([Squares(2), Squares(0), Squares(2)])
    assert [cat[i] for i in range(4)] == [0, 1, 0, 1]


def test_subset():
    sub = Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [81, 4, 25]


def test_dataset_base_getitem_not_implemented():
    with pytest.raises(NotImplementedError):
        Dataset()[0]


# --------------------------------------------------------------------------------------------
# random_split


@pytest.mark.parametrize("lengths", [[3, 7], [0, 10], [5, 2, 3], [10]])
def test_random_split_lengths_partition(lengths):
    splits = random_split(Squares(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in splits] == lengths
    indices = [i for s in splits for i in s.indices]
    assert sorted(indices) == list(range(10))


@pytest.mark.parametrize("n,fracs", [(10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.6]), (5, [1 / 3] * 3)])
def test_random_split_fractions(n, fracs):
    """floor(n * frac) each, the remainder handed out one by one from the first split on."""
    counts = [math.floor(n * f) for f in fracs]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    splits = random_split(Squares(n), fracs, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in splits] == counts
    assert sorted(i for s in splits for i in s.indices) == list(range(n))


def test_random_split_reproducible_and_seed_dependent():
    def split(seed):
        return [s.indices for s in random_split(Squares(20), [10, 10], generator=torch.Generator().manual_seed(seed))]

    assert split(3) == split(3)
    assert split(3) != split(4)


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(Squares(10), [6, 6])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(Squares(10), [1.5, -0.5])


# --------------------------------------------------------------------------------------------
# samplers


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_batch_sampler_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), bad, False)


def test_batch_sampler_bad_drop_last():
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutation_and_num_samples():
    g = torch.Generator().manual_seed(5)
    perm = list(RandomSampler(range(12), generator=g))
    assert sorted(perm) == list(range(12))
    more = list(RandomSampler(range(5), num_samples=13, generator=g))
    assert len(more) == 13 and set(more) <= set(range(5))
    # without replacement, each block of n is a permutation
    assert sorted(more[:5]) == list(range(5)) and sorted(more[5:10]) == list(range(5))
    rep = list(RandomSampler(range(4), replacement=True, num_samples=50, generator=g))
    assert len(rep) == 50 and set(rep) <= set(range(4))
    assert len(RandomSampler(range(4), num_samples=9)) == 9


def test_random_sampler_errors():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(0))
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


# --------------------------------------------------------------------------------------------
# DataLoader


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True),
                                                     (4, 8, False), (4, 8, True), (5, 1, False)])
def test_dataloader_sequential_batches(n, batch_size, drop_last):
    ds, x, y = make_dataset(n)
    loader = DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
    expected_len = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected_len
    batches = list(loader)
    assert len(batches) == expected_len
    for k, batch in enumerate(batches):
        xb, yb = batch
        rows = slice(k * batch_size, min((k + 1) * batch_size, n))
        assert xb.dtype == torch.float32 and yb.dtype == torch.int64
        np.testing.assert_array_equal(xb.numpy(), x[rows])
        np.testing.assert_array_equal(yb.numpy(), y[rows])
    # every batch is full when dropping the last one
    if drop_last:
        assert all(b[0].shape[0] == batch_size for b in batches)


def collect_order(loader):
    """The dataset rows in the order the loader delivered them (y = 10 * row)."""
    return [int(v) // 10 for _, yb in loader for v in yb.tolist()]


def test_dataloader_shuffle_is_permutation_and_reproducible():
    ds, _, _ = make_dataset(23)
    order1 = collect_order(DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7)))
    order2 = collect_order(DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7)))
    order3 = collect_order(DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(8)))
    assert sorted(order1) == list(range(23))
    assert order1 == order2
    assert order1 != order3
    assert order1 != list(range(23))


def test_dataloader_shuffle_rows_stay_paired():
    ds, x, _ = make_dataset(11)
    for xb, yb in DataLoader(ds, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(2)):
        rows = yb.numpy() // 10
        np.testing.assert_array_equal(xb.numpy(), x[rows])


def test_dataloader_new_permutation_each_epoch():
    ds, _, _ = make_dataset(20)
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(0))
    e1, e2 = collect_order(loader), collect_order(loader)
    assert sorted(e1) == sorted(e2) == list(range(20))
    assert e1 != e2


def test_dataloader_shuffle_uses_global_seed_without_generator():
    ds, _, _ = make_dataset(16)
    torch.manual_seed(123)
    a = collect_order(DataLoader(ds, batch_size=4, shuffle=True))
    torch.manual_seed(123)
    b = collect_order(DataLoader(ds, batch_size=4, shuffle=True))
    assert a == b and sorted(a) == list(range(16))


def test_dataloader_shuffle_drop_last_len():
    ds, _, _ = make_dataset(10)
    loader = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(1))
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    seen = [v for _, yb in batches for v in yb.tolist()]
    assert len(set(seen)) == 8


def test_dataloader_collate_fn_and_plain_dataset():
    loader = DataLoader(Squares(7), batch_size=3, collate_fn=lambda b: sum(b))
    assert list(loader) == [0 + 1 + 4, 9 + 16 + 25, 36]
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert [b.tolist() for b in batches] == [[0, 1], [4, 9], [16]]
    assert batches[0].dtype == torch.int64


def test_dataloader_batch_size_none_yields_samples():
    ds, x, _ = make_dataset(4)
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 4
    np.testing.assert_array_equal(items[2][0].numpy(), x[2])


def test_dataloader_custom_sampler_and_batch_sampler():
    loader = DataLoader(Squares(6), sampler=[5, 0, 3], batch_size=2)
    assert [b.tolist() for b in loader] == [[25, 0], [9]]
    loader = DataLoader(Squares(6), batch_sampler=[[1, 2], [5]])
    assert [b.tolist() for b in loader] == [[1, 4], [25]]
    assert len(loader) == 2


def test_dataloader_argument_errors():
    ds = Squares(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)


# --------------------------------------------------------------------------------------------
# default_collate


def test_collate_tensors_stack():
    a = [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]), torch.tensor([5.0, 6.0])]
    out = default_collate(a)
    assert out.shape == (3, 2)
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    with pytest.raises(RuntimeError):
        default_collate([torch.zeros(2), torch.zeros(3)])


def test_collate_numbers():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == torch.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == torch.float64 and floats.tolist() == [0.5, 1.5]
    bools = default_collate([True, False])
    assert bools.dtype == torch.bool and bools.tolist() == [True, False]


def test_collate_strings_pass_through():
    assert default_collate(["a", "bc"]) == ["a", "bc"]


@pytest.mark.parametrize("np_dtype,dtype", [(np.float32, torch.float32), (np.float64, torch.float64),
                                            (np.int32, torch.int32), (np.int64, torch.int64),
                                            (np.uint8, torch.uint8), (np.bool_, torch.bool)])
def test_collate_numpy_arrays_and_scalars(np_dtype, dtype):
    arrs = [np.arange(6).reshape(2, 3).astype(np_dtype) + i for i in range(4)] if np_dtype is not np.bool_ else [
        np.array([[True, False, True]]), np.array([[False, False, True]])]
    out = default_collate(arrs)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), np.stack(arrs))
    scalars = [np_dtype(1), np_dtype(0), np_dtype(1)]
    out = default_collate(scalars)
    assert out.dtype == dtype, "numpy scalars keep their dtype"
    np.testing.assert_array_equal(out.numpy(), np.array(scalars))


def test_collate_tuples_give_lists():
    batch = [(torch.tensor([i]), i, float(i)) for i in range(3)]
    out = default_collate(batch)
    assert isinstance(out, list) and len(out) == 3
    assert out[0].tolist() == [[0], [1], [2]]
    assert out[1].tolist() == [0, 1, 2] and out[1].dtype == torch.int64
    assert out[2].dtype == torch.float64


def test_collate_dicts_and_nesting():
    batch = [{"x": torch.full((2,), float(i)), "meta": {"id": i, "name": f"s{i}"}} for i in range(3)]
    out = default_collate(batch)
    assert set(out) == {"x", "meta"}
    assert out["x"].tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    assert out["meta"]["id"].tolist() == [0, 1, 2]
    assert out["meta"]["name"] == ["s0", "s1", "s2"]
    od = default_collate([collections.OrderedDict(b=1, a=2), collections.OrderedDict(b=3, a=4)])
    assert isinstance(od, collections.OrderedDict) and list(od) == ["b", "a"]


def test_collate_namedtuple_keeps_type():
    Point = collections.namedtuple("Point", ["x", "y"])
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point)
    assert out.x.tolist() == [1, 3] and out.y.tolist() == [2.0, 4.0]


def test_collate_lists_of_unequal_size():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    assert [t.tolist() for t in default_collate([[1, 2], [3, 4]])] == [[1, 3], [2, 4]]


def test_collate_unsupported_type():
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([np.array(["a"]), np.array(["b"])])
