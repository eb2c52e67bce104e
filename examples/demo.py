"""embertorch demo: train a 2-layer MLP classifier on synthetic data.

Exits 0 only when the model has learned (test accuracy above the target).
"""

import math
import sys
import time

import embertorch as torch
import embertorch.nn as nn
import embertorch.nn.functional as F
from embertorch.utils.data import DataLoader, TensorDataset

TARGET_ACCURACY = 0.95


def make_spirals(n_per_class, classes=3, noise=0.15, seed=0):
    """Interleaved spiral arms: not linearly separable, easy for a small MLP."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for c in range(classes):
        t = torch.linspace(0.0, 1.0, n_per_class)
        angle = t * 4.0 + c * (2 * math.pi / classes) + torch.randn(n_per_class, generator=g) * noise
        radius = t * 2.0 + 0.2
        xs.append(torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1))
        ys.append(torch.full((n_per_class,), c, dtype=torch.int64))
    x, y = torch.cat(xs), torch.cat(ys)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


class MLP(nn.Module):
    def __init__(self, inputs=2, hidden=64, classes=3):
        super().__init__()
        self.hidden = nn.Linear(inputs, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def progress(epoch, epochs, loss, acc, width=30):
    done = int(width * epoch / epochs)
    bar = "#" * done + "." * (width - done)
    line = f"[{bar}] epoch {epoch:3d}/{epochs}  loss {loss:.4f}  train acc {acc:.3f}"
    # Redraw one line on a terminal; one line per report in a log.
    if sys.stdout.isatty():
        print("\r" + line, end="", flush=True)
    else:
        print(line, flush=True)


def main():
    torch.manual_seed(0)
    x, y = make_spirals(400)
    n_train = int(0.8 * len(y))
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)

    model = MLP()
    print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    epochs = 60
    steps = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            steps += 1
        if epoch % 5 == 0 or epoch == 1:
            progress(epoch, epochs, total / n_train, accuracy(model, x_train, y_train))
    elapsed = time.perf_counter() - start
    print()

    test_acc = accuracy(model, x_test, y_test)
    print(f"test accuracy {test_acc:.3f} (target {TARGET_ACCURACY})")
    print(f"{steps} steps in {elapsed:.2f} s: {1e3 * elapsed / steps:.2f} ms per step")
    if test_acc < TARGET_ACCURACY:
        print("the model did not learn enough")
        return 1
    print("learned.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
