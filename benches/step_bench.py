"""Per-op overhead and training-step time of embertorch against numpy and PyTorch, in one run.

Usage: python benches/step_bench.py [--torch-python PATH] [--repeat 7]

embertorch and numpy are timed in this process. PyTorch is timed by running this same file
under ``--torch-python`` (an interpreter that has torch installed; default: this one, if it
can import torch), right after, so both see the same machine load. Each figure is the best
of ``--repeat`` rounds; the table reports ratios, which are steadier than the raw times on a
shared machine.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def best_ns(fn, number, repeat):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / number)
    return best


def op_cases(torch):
    a = torch.ones(4)
    b = torch.ones(4)
    m = torch.ones(64, 64)
    return {
        "a + b (4 floats)": (lambda: a + b, 20000),
        "a * 2.0": (lambda: a * 2.0, 20000),
        "a.sum()": (lambda: a.sum(), 20000),
        "torch.exp(a)": (lambda: torch.exp(a), 20000),
        "m[1:3, ::2] (view)": (lambda: m[1:3, ::2], 20000),
        "m.t().contiguous() 64x64": (lambda: m.t().contiguous(), 5000),
    }


def numpy_cases():
    a = np.ones(4, dtype=np.float32)
    b = np.ones(4, dtype=np.float32)
    m = np.ones((64, 64), dtype=np.float32)
    return {
        "a + b (4 floats)": (lambda: a + b, 20000),
        "a * 2.0": (lambda: a * 2.0, 20000),
        "a.sum()": (lambda: a.sum(), 20000),
        "torch.exp(a)": (lambda: np.exp(a), 20000),
        "m[1:3, ::2] (view)": (lambda: m[1:3, ::2], 20000),
        "m.t().contiguous() 64x64": (lambda: np.ascontiguousarray(m.T), 5000),
    }


def training_cases(torch):
    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(0)

    # Logistic regression, 20 features, batch 64, plain SGD.
    lr_model = nn.Linear(20, 1)
    lr_opt = torch.optim.SGD(lr_model.parameters(), lr=0.1)
    xl = torch.randn(64, 20)
    yl = (torch.rand(64, 1) > 0.5).float()

    def logistic_step():
        lr_opt.zero_grad()
        loss = F.binary_cross_entropy(torch.sigmoid(lr_model(xl)), yl)
        loss.backward()
        lr_opt.step()

    # MLP 784-256-128-10, batch 64, SGD with momentum.
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    mlp_opt = torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9)
    xm = torch.randn(64, 784)
    ym = torch.randint(0, 10, (64,))

    def mlp_step():
        mlp_opt.zero_grad()
        loss = F.cross_entropy(mlp(xm), ym)
        loss.backward()
        mlp_opt.step()

    def mlp_forward():
        with torch.no_grad():
            mlp(xm)

    return {
        "logistic regression SGD step (64x20)": (logistic_step, 500),
        "MLP 784-256-128-10 forward, no_grad (batch 64)": (mlp_forward, 100),
        "MLP 784-256-128-10 SGD step (batch 64)": (mlp_step, 100),
    }


def import_ms(lib, python):
    code = f"import time; t=time.perf_counter(); import {lib}; print((time.perf_counter()-t)*1e3)"
    times = []
    for _ in range(3):
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
        times.append(float(out))
    return min(times)


def measure(lib, repeat):
    torch = importlib.import_module(lib)
    importlib.import_module(f"{lib}.nn")
    importlib.import_module(f"{lib}.optim")
    results = {}
    for name, (fn, number) in {**op_cases(torch), **training_cases(torch)}.items():
        results[name] = best_ns(fn, number, repeat)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-python", default=sys.executable)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return

    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    ours = measure("embertorch", args.repeat)
    ours["import"] = import_ms("embertorch", sys.executable) * 1e6
    nump = {name: best_ns(fn, number, args.repeat) for name, (fn, number) in numpy_cases().items()}
    nump["import"] = import_ms("numpy", sys.executable) * 1e6
    theirs = {}
    probe = subprocess.run([args.torch_python, "-c", "import torch"], capture_output=True, check=False)
    if probe.returncode == 0:
        out = subprocess.run(
            [args.torch_python, __file__, "--child", "torch", "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True,
        ).stdout
        theirs = json.loads(out.strip().splitlines()[-1])
        theirs["import"] = import_ms("torch", args.torch_python) * 1e6
    else:
        print(f"(PyTorch not importable by {args.torch_python}: only numpy is compared)\n")

    def fmt(ns):
        return f"{ns / 1e3:10.2f} us" if ns < 1e7 else f"{ns / 1e6:10.1f} ms"

    print(f"{'case':48s} {'embertorch':>13s} {'numpy':>13s} {'torch':>13s}  et/np  et/torch")
    for name, ns in ours.items():
        np_ns, t_ns = nump.get(name), theirs.get(name)
        cells = [fmt(ns), fmt(np_ns) if np_ns else " " * 13, fmt(t_ns) if t_ns else " " * 13]
        r_np = f"{ns / np_ns:6.2f}" if np_ns else " " * 6
        r_t = f"{ns / t_ns:8.2f}" if t_ns else ""
        print(f"{name:48s} {cells[0]} {cells[1]} {cells[2]} {r_np} {r_t}")
    print("\nratios below 1 mean embertorch is faster")


if __name__ == "__main__":
    main()
