"""float32 matmul throughput of embertorch against numpy's in the same run.

Usage: python benches/matmul_bench.py [--n 1024] [--repeat 10]

Prints GFLOP/s (2*n^3 floating point operations per product) for both, the best of
`--repeat` timed runs after a warm-up, and embertorch's speed as a fraction of numpy's.
Also times a transposed operand, which embertorch multiplies through strides without a copy.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import embertorch


def best_seconds(fn, repeat):
    fn()  # warm-up: thread pools, page faults
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def blas_description():
    try:
        from threadpoolctl import threadpool_info

        libs = [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, {i['num_threads']} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if libs:
            return ", ".join(libs)
    except ImportError:
        pass
    return "numpy BLAS (install threadpoolctl to name the kernel)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ta, tb = embertorch.from_numpy(a), embertorch.from_numpy(b)

    # The two must agree before their speeds mean anything.
    ref = a.astype(np.float64) @ b.astype(np.float64)
    for name, got in (("numpy", a @ b), ("embertorch", (ta @ tb).numpy())):
        err = np.abs(got - ref).max() / np.abs(ref).max()
        if err > 1e-5:
            raise SystemExit(f"{name} result is off by {err:.2e} (relative)")

    flops = 2.0 * n**3
    rows = [
        ("numpy  a @ b", best_seconds(lambda: a @ b, args.repeat)),
        ("ember  a @ b", best_seconds(lambda: ta @ tb, args.repeat)),
        ("numpy  a.T @ b", best_seconds(lambda: a.T @ b, args.repeat)),
        ("ember  a.T @ b", best_seconds(lambda: ta.t() @ tb, args.repeat)),
    ]
    print(f"float32 {n}x{n} @ {n}x{n}, best of {args.repeat}; cores: {os.cpu_count()}")
    print(f"numpy uses: {blas_description()}")
    for label, sec in rows:
        print(f"  {label:<16} {sec * 1e3:8.2f} ms  {flops / sec / 1e9:8.1f} GFLOP/s")
    ratio = rows[0][1] / rows[1][1]
    ratio_t = rows[2][1] / rows[3][1]
    print(f"embertorch / numpy throughput: {ratio:.2f} (contiguous), {ratio_t:.2f} (transposed lhs)")


if __name__ == "__main__":
    main()
