"""Write the PyTorch-derived fixtures used by the test suite (run once, with PyTorch).

    python scripts/make_test_fixtures.py

The suite itself never imports PyTorch: it compares embertorch against these files.
Outputs (in tests/fixtures/): promotion.json, random.json, views.json.
"""

import json
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
]
SCALARS = {"bool": True, "int": 2, "float": 2.5}


def kinds():
    """Operand kinds: 1-dim tensors ("t:"), 0-dim tensors ("z:"), Python scalars ("s:")."""
    return [f"t:{d}" for d in DTYPES] + [f"z:{d}" for d in DTYPES] + [f"s:{s}" for s in SCALARS]


def make(kind):
    what, name = kind.split(":")
    if what == "s":
        return SCALARS[name]
    dt = getattr(torch, name)
    return torch.ones(2, dtype=dt) if what == "t" else torch.ones((), dtype=dt)


def outcome(fn, *args):
    try:
        r = fn(*args)
    except Exception as e:  # noqa: BLE001 - the exception type is the expected result
        return "!" + type(e).__name__
    if isinstance(r, torch.Tensor):
        return str(r.dtype).replace("torch.", "")
    if isinstance(r, torch.dtype):
        return str(r).replace("torch.", "")
    return r


OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
    "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "pow": lambda a, b: a**b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
}


def _inplace(op):
    def f(a, b):
        a = a.clone()
        if op == "add":
            a += b
        elif op == "sub":
            a -= b
        elif op == "mul":
            a *= b
        else:
            a /= b
        return a

    return f


INPLACE = {f"i{op}": _inplace(op) for op in ("add", "sub", "mul", "truediv")}


def promotion():
    ks = kinds()
    table = {"kinds": ks, "dtypes": DTYPES}
    table["result_type"] = [[outcome(torch.result_type, make(a), make(b)) for b in ks] for a in ks]
    table["promote_types"] = [
        [outcome(torch.promote_types, getattr(torch, a), getattr(torch, b)) for b in DTYPES] for a in DTYPES
    ]
    table["can_cast"] = [
        [torch.can_cast(getattr(torch, a), getattr(torch, b)) for b in DTYPES] for a in DTYPES
    ]
    ops = {}
    for name, fn in {**OPS, **INPLACE}.items():
        rows = []
        for a in ks:
            row = []
            for b in ks:
                if a.startswith("s:") and (b.startswith("s:") or name.startswith("i")):
                    row.append(None)
                else:
                    row.append(outcome(fn, make(a), make(b)))
            rows.append(row)
        ops[name] = rows
    table["ops"] = ops
    return table


def random_values():
    cases = []

    def add(name, fn):
        out = {}
        for seed in (0, 1234):
            torch.manual_seed(seed)
            r = fn()
            out[str(seed)] = {
                "dtype": str(r.dtype).replace("torch.", ""),
                "shape": list(r.shape),
                "values": r.reshape(-1).tolist(),
            }
        cases.append({"expr": name, "results": out})

    for n in (3, 16, 17, 100):
        for dt in ("float32", "float64"):
            for f in ("rand", "randn"):
                expr = f"torch.{f}({n}, dtype=torch.{dt})"
                add(expr, lambda e=expr: eval(e))
    exprs = [
        "torch.rand(2, 3)",
        "torch.randn(4, 5)",
        "torch.randint(0, 10, (17,))",
        "torch.randint(-5, 5, (100,))",
        "torch.randint(10, (3, 4))",
        "torch.randint(0, 2**40, (6,))",
        "torch.randint(3, 8, (20,), dtype=torch.int32)",
        "torch.randperm(5)",
        "torch.randperm(17)",
        "torch.randperm(100)",
        "torch.normal(2.0, 3.0, size=(17,))",
        "torch.normal(0.0, 1.0, size=(3,))",
        "torch.normal(torch.arange(5.0), torch.ones(5))",
        "torch.cat([torch.rand(3), torch.randn(3), torch.rand(3)])",
    ]
    for expr in exprs:
        add(expr, lambda e=expr: eval(e))
    return cases


BASES = {
    "a": "torch.arange(24.0).reshape(2, 3, 4)",
    "m": "torch.arange(12.0).reshape(3, 4)",
    "v": "torch.arange(10.0)",
    "s": "torch.tensor(5.0)",
    "o": "torch.arange(6.0).reshape(1, 2, 1, 3)",
}

VIEW_EXPRS = {
    "a": [
        "x.view(6, 4)",
        "x.view(-1)",
        "x.view(4, -1)",
        "x.view(2, 12)",
        "x.view(24, 1)",
        "x.reshape(4, 6)",
        "x.reshape(-1, 2)",
        "x.flatten()",
        "x.flatten(1)",
        "x.flatten(0, 1)",
        "x.unflatten(2, (2, 2))",
        "x.unflatten(-1, (2, -1))",
        "x.transpose(0, 2)",
        "x.transpose(-1, -2)",
        "x.permute(2, 0, 1)",
        "x.permute(1, 2, 0)",
        "x.mT",
        "x.movedim(0, 2)",
        "x.movedim((0, 1), (2, 0))",
        "x.narrow(2, 1, 2)",
        "x.narrow(1, 0, 1)",
        "x.narrow(-1, 3, 1)",
        "x.select(1, 2)",
        "x.select(-1, 0)",
        "x[1]",
        "x[-1]",
        "x[:, 1]",
        "x[..., 2]",
        "x[:, ::2]",
        "x[:, :, 1::2]",
        "x[1, 1:, ::3]",
        "x[None]",
        "x[:, None, :, None]",
        "x[..., None]",
        "x[0, ..., 1]",
        "x[-2:, -1]",
        "x[:, 5:]",
        "x[:, -10:2]",
        "x[1:1]",
        "x[0, 0, 0]",
        "x.unsqueeze(0)",
        "x.unsqueeze(1)",
        "x.unsqueeze(3)",
        "x.unsqueeze(-1)",
        "x.unsqueeze(-4)",
        "x[:, :1].squeeze()",
        "x[:, :1].squeeze(1)",
        "x[:, :1].squeeze(0)",
        "x[:, :1].expand(2, 5, 4)",
        "x[:, :1].expand(3, -1, -1, -1)",
        "x.transpose(0, 1).reshape(6, 4)",
        "x.transpose(0, 1).reshape(3, 8)",
        "x.permute(2, 0, 1).flatten()",
        "x[:, 1:].reshape(-1)",
        "x[:, :, ::2].reshape(6, 2)",
        "x[:, :, ::2].reshape(2, 3, 2, 1)",
        "x.transpose(1, 2).contiguous()",
        "x.transpose(1, 2).contiguous().view(2, 12)",
        "x.transpose(0, 1)[1:].view(2, 2, 4)",
        "x.as_strided((3, 3), (1, 2))",
        "x.as_strided((2, 2), (4, 1), 5)",
        "x.view(4, 6)[::2, 1:].t()",
        "x.unbind(1)[2]",
        "x.chunk(2, 2)[1]",
        "x.split(2, 1)[1]",
        "x.split([1, 3], 2)[1]",
        "x.chunk(3, 1)[2]",
        "x.view(2, 3, 4)[:, :, 0].unsqueeze(-1).expand(2, 3, 4)",
        "x.view(6, 4)",
        "x.view(3, 2, 4)",
        "x.view(5, 5)",
        "x.view(-1, -1)",
        "x.transpose(0, 1).view(-1)",
        "x.transpose(0, 2)[0].view(12)",
        "x.unsqueeze(4)",
        "x.unsqueeze(-5)",
        "x.transpose(0, 3)",
        "x.select(3, 0)",
        "x.select(1, 3)",
        "x[2]",
        "x[:, -4]",
        "x[0, 0, 0, 0]",
        "x.narrow(2, 3, 2)",
        "x.permute(0, 1)",
        "x.permute(0, 0, 1)",
        "x.expand(2, 3)",
        "x.expand(3, 3, 4)",
        "x.flatten(2, 1)",
        "x.unflatten(1, (2, 2))",
        "x.squeeze(3)",
        "x.reshape(7, -1)",
        "x.movedim(0, 3)",
        "x.as_strided((3, 3), (1, 2), -1)",
    ],
    "m": [
        "x.t()",
        "x.T",
        "x.t().t()",
        "x.t().reshape(12)",
        "x.t().view(4, 3)",
        "x.t().contiguous()",
        "x[1:, 1:]",
        "x[::2, ::3]",
        "x[:, -1]",
        "x[-3]",
        "x.t()[1]",
        "x.t()[:, 1:]",
        "x.narrow(0, 1, 2).narrow(1, 1, 2)",
        "x[1:3][0]",
        "x.expand(2, 3, 4)",
        "x[:, :1].expand(3, 4)",
        "x.t().unsqueeze(1)",
        "x.t().flatten()",
        "x.unbind(0)[1]",
        "x.unbind(1)[3]",
        "x[1:].t().reshape(8)",
        "x[:, 1:3].reshape(6)",
        "x[:, 1:3].view(3, 2)",
        "x[:, 1:3].view(6)",
        "x.view(2, 6)[:, 2:4]",
    ],
    "v": [
        "x[2:8:3]",
        "x[::-1]",
        "x[-3:]",
        "x[:-3]",
        "x[-100:100]",
        "x[5:2]",
        "x.view(2, 5)",
        "x.unsqueeze(0)",
        "x.unsqueeze(1)",
        "x.expand(3, 10)",
        "x[None, :, None]",
        "x[1::2].view(5)",
        "x[1::2].view(5, 1)",
        "x[::2].unsqueeze(0)",
        "x.chunk(3)[2]",
        "x.chunk(4)[3]",
        "x.split(4)[2]",
        "x.narrow(0, 7, 3)",
        "x.as_strided((4, 3), (2, 1))",
        "x.as_strided((2,), (3,), 4)",
        "x.view(-1, 2)",
        "x[10]",
        "x[-11]",
    ],
    "s": [
        "x.view(1)",
        "x.view(1, 1)",
        "x.reshape(-1)",
        "x.unsqueeze(0)",
        "x.unsqueeze(-1)",
        "x.expand(3, 2)",
        "x[None]",
        "x[...]",
        "x.squeeze()",
        "x.flatten()",
        "x.t()",
        "x.T",
        "x.squeeze(0)",
        "x.unsqueeze(1)",
        "x[0]",
        "x.view(2)",
        "x.transpose(0, 0)",
        "x.permute()",
    ],
    "o": [
        "x.squeeze()",
        "x.squeeze(0)",
        "x.squeeze(2)",
        "x.squeeze(1)",
        "x.squeeze(-2)",
        "x.squeeze((0, 2))",
        "x.expand(4, 2, 5, 3)",
        "x.expand(2, 4, 2, 1, 3)",
        "x.view(2, 3)",
        "x.unsqueeze(2)",
        "x.t()",
        "x[0, :, 0].t()",
        "x.mT",
    ],
}


def views():
    cases = []
    for key, base in BASES.items():
        for expr in VIEW_EXPRS[key]:
            x = eval(base)
            try:
                r = eval(expr)
            except Exception as e:  # noqa: BLE001 - recorded as the expected error
                cases.append({"base": base, "expr": expr, "error": type(e).__name__})
                continue
            assert isinstance(r, torch.Tensor), expr
            cases.append(
                {
                    "base": base,
                    "expr": expr,
                    "shape": list(r.shape),
                    "stride": list(r.stride()),
                    "offset": r.storage_offset(),
                    "shares": r.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
                    "values": r.reshape(-1).tolist(),
                }
            )
    return cases


def main():
    OUT.mkdir(exist_ok=True)
    for name, data in (("promotion", promotion()), ("random", random_values()), ("views", views())):
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
