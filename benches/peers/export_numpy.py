"""The exported NumPy of the sigmoid neuron beside a hand-written NumPy function of the
same loss and gradient, on the same data (written by benches/export.rs):

    python benches/peers/export_numpy.py EXPORTED.py X.f64 Y.f64 REPS

prints the median seconds per call of each and the ratio (target <= 1.2).
"""

import importlib.util
import sys
import time

import numpy as np


def hand(params, x, y):
    """What a careful person writes: one exp, shared terms, np.sum."""
    w, b = params
    f = 1.0 / (1.0 + np.exp(-(w * x + b)))
    d = f - y
    g = d * f * (1.0 - f)
    return 0.5 * np.sum(d * d), np.array([np.sum(g * x), np.sum(g)])


def medians(reps, calls):
    """The median seconds of each call, the calls interleaved so that a busy machine
    slows them alike."""
    times = [[] for _ in calls]
    for call in calls:
        call()
    for _ in range(reps):
        for call, spent in zip(calls, times):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return [sorted(spent)[reps // 2] for spent in times]


def main():
    path, xs, ys, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x, y = np.fromfile(xs, dtype="<f8"), np.fromfile(ys, dtype="<f8")
    params, grad = np.array([-2.0, -2.0]), np.zeros(2)
    exported, written = medians(
        reps, [lambda: module.loss_grad(params, [x, y], x.size, grad), lambda: hand(params, x, y)]
    )
    loss = module.loss_grad(params, [x, y], x.size, grad)
    hand_loss, hand_grad = hand(params, x, y)
    print(f"  exported NumPy                  {exported * 1e3:>10.3f} ms")
    print(f"  hand-written NumPy              {written * 1e3:>10.3f} ms")
    print(f"  ratio exported / hand           {exported / written:>10.3f}   (target <= 1.2)")
    print(f"  values: exported {[loss, *grad]}, hand {[hand_loss, *hand_grad]}")
    print(f"  (numpy {np.__version__})")


if __name__ == "__main__":
    main()
