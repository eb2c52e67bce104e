"""float64 decompositions of embertorch (faer) against numpy (LAPACK) in the same run.

Usage: python benches/linalg_bench.py [--n 256] [--repeat 7] [--batch 10000]

Prints the best of `--repeat` timed runs after a warm-up for one n x n matrix, then for a
batch of 3 x 3 matrices, and embertorch's time as a multiple of numpy's (below 1: faster).
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


def compare(label, cases, repeat):
    print(label)
    for name, ours, theirs in cases:
        e, n = best_seconds(ours, repeat), best_seconds(theirs, repeat)
        print(f"  {name:10s} embertorch {e * 1e3:9.3f} ms   numpy {n * 1e3:9.3f} ms   ratio {e / n:5.2f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--batch", type=int, default=10000)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.n, args.n)) / np.sqrt(args.n) + np.eye(args.n)
    s = a + a.T
    t, ts = embertorch.from_numpy(a), embertorch.from_numpy(s)
    L = embertorch.linalg
    compare(f"{args.n}x{args.n} float64", [
        ("inv", lambda: L.inv(t), lambda: np.linalg.inv(a)),
        ("det", lambda: L.det(t), lambda: np.linalg.det(a)),
        ("solve", lambda: L.solve(t, t), lambda: np.linalg.solve(a, a)),
        ("svd", lambda: L.svd(t), lambda: np.linalg.svd(a)),
        ("svdvals", lambda: L.svdvals(t), lambda: np.linalg.svd(a, compute_uv=False)),
        ("qr", lambda: L.qr(t), lambda: np.linalg.qr(a)),
        ("eigh", lambda: L.eigh(ts), lambda: np.linalg.eigh(s)),
        ("cholesky", lambda: L.cholesky(ts + 4 * embertorch.eye(args.n, dtype=embertorch.float64)),
         lambda: np.linalg.cholesky(s + 4 * np.eye(args.n))),
    ], args.repeat)
    b = rng.standard_normal((args.batch, 3, 3)) + 3 * np.eye(3)
    tb = embertorch.from_numpy(b)
    compare(f"{args.batch} x 3x3 float64", [
        ("inv", lambda: L.inv(tb), lambda: np.linalg.inv(b)),
        ("det", lambda: L.det(tb), lambda: np.linalg.det(b)),
        ("svd", lambda: L.svd(tb), lambda: np.linalg.svd(b)),
    ], args.repeat)


if __name__ == "__main__":
    main()
