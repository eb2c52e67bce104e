"""testing.assert_close (PyTorch's tolerances and report) and seeding across the stack."""

import embertorch as torch
import embertorch.nn as nn
import embertorch.nn.functional as F
import numpy as np
import pytest
from embertorch.testing import assert_close
from embertorch.utils.data import DataLoader, TensorDataset


def test_report_for_close_floats():
    with pytest.raises(AssertionError) as info:
        assert_close(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.5, 3.0]))
    text = str(info.value)
    assert text.startswith("Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n")
    assert "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)" in text
    assert "(up to 1.3e-06 allowed)" in text


def test_integers_compare_exactly():
    with pytest.raises(AssertionError) as info:
        assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert str(info.value).startswith(
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n"
        "Greatest absolute difference: 1 at index (1,)\n"
    )
    assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]))


@pytest.mark.parametrize(
    "dtype,rtol,atol",
    [(torch.float32, 1.3e-6, 1e-5), (torch.float64, 1e-7, 1e-7), (torch.float16, 1e-3, 1e-5)],
)
def test_default_tolerances_per_dtype(dtype, rtol, atol):
    base = torch.tensor([100.0], dtype=torch.float64)
    inside = base + 0.9 * (atol + rtol * 100.0)
    outside = base + 1.5 * (atol + rtol * 100.0)
    if dtype == torch.float16:
        # float16 cannot represent these offsets; check the tolerance through an explicit value.
        assert_close(torch.tensor([1.0009765625], dtype=dtype), torch.tensor([1.0], dtype=dtype))
        with pytest.raises(AssertionError):
            assert_close(torch.tensor([1.0029296875], dtype=dtype), torch.tensor([1.0], dtype=dtype))
        return
    assert_close(inside.to(dtype), base.to(dtype))
    with pytest.raises(AssertionError):
        assert_close(outside.to(dtype), base.to(dtype))


def test_attribute_checks_and_nan():
    with pytest.raises(AssertionError, match="The values for attribute 'dtype' do not match"):
        assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))
    with pytest.raises(AssertionError, match="The values for attribute 'shape' do not match"):
        assert_close(torch.tensor([1.0]), torch.tensor([1.0, 2.0]))
    assert_close(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64), check_dtype=False)
    nan = torch.tensor([float("nan")])
    with pytest.raises(AssertionError):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(torch.tensor([1.0]), torch.tensor([1.0]), rtol=1e-3)


def test_sequences_and_scalars():
    assert_close([torch.tensor(1.0), torch.tensor(2.0)], [torch.tensor(1.0), torch.tensor(2.0)])
    assert_close(1.0, 1.0 + 1e-8)
    with pytest.raises(AssertionError):
        assert_close([torch.tensor(1.0)], [torch.tensor(1.0), torch.tensor(2.0)])


def _run(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 2))
    data = TensorDataset(torch.randn(20, 4), torch.randint(0, 2, (20,)))
    order = []
    for x, y in DataLoader(data, batch_size=5, shuffle=True):
        order.append(y.clone())
        F.cross_entropy(model(x), y).backward()
    return model.state_dict(), order, [p.grad.clone() for p in model.parameters()]


def test_manual_seed_reproduces_init_data_order_dropout_and_grads():
    sd1, order1, g1 = _run(7)
    sd2, order2, g2 = _run(7)
    for k in sd1:
        np.testing.assert_array_equal(sd1[k].numpy(), sd2[k].numpy())
    for a, b in zip(order1 + g1, order2 + g2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    sd3, _, _ = _run(8)
    assert not np.array_equal(sd1["0.weight"].numpy(), sd3["0.weight"].numpy())
