"""The peers of benches/vectors.rs on the same CSV files: pandas.read_csv, then
NumPy and JAX (jit, float64, CPU) loss + gradient of the same two losses.

    python vectors_peers.py logreg FILE.csv K      # columns y, x1..xK
    python vectors_peers.py tanh FILE.csv K H      # columns y, x1..xK, a K-H-1 network

Prints one JSON object of median seconds: read_csv, numpy (logreg only), jax.
"""
import json
import sys
import time

import numpy as np
import pandas as pd

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platform_name", "cpu")
import jax.numpy as jnp  # noqa: E402


def median(f, reps=9, calls=5):
    f()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - start) / calls)
    times.sort()
    return times[len(times) // 2]


def read(path):
    frame = pd.read_csv(path)
    return frame


def logreg(path, k):
    out = {"read_csv": median(lambda: read(path), reps=3, calls=1)}
    frame = read(path)
    y = frame["y"].to_numpy(dtype=np.float64)
    X = frame[[f"x{j}" for j in range(1, k + 1)]].to_numpy(dtype=np.float64)
    w = np.full(k, 0.01)
    b = 0.0
    n = len(y)

    # loss = mean(softplus(z) - y*z), z = X @ w + b; d/dw = X.T @ (sigmoid(z) - y) / N
    def numpy_fg():
        z = X @ w + b
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
        r = (1.0 / (1.0 + np.exp(-z)) - y) / n
        return loss, X.T @ r, r.sum()

    out["numpy"] = median(numpy_fg)

    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss(params):
        w, b = params
        z = Xj @ w + b
        return jnp.mean(jax.nn.softplus(z) - yj * z)

    fg = jax.jit(jax.value_and_grad(loss))
    params = (jnp.asarray(w), jnp.asarray(b))
    out["jax"] = median(lambda: jax.block_until_ready(fg(params)))
    return out


def tanh_net(path, k, h):
    out = {"read_csv": median(lambda: read(path), reps=3, calls=1)}
    frame = read(path)
    y = jnp.asarray(frame["y"].to_numpy(dtype=np.float64))
    X = jnp.asarray(frame[[f"x{j}" for j in range(1, k + 1)]].to_numpy(dtype=np.float64))
    rng = np.random.default_rng(0)
    params = (
        jnp.asarray(rng.normal(0, 0.3, (h, k))),
        jnp.zeros(h),
        jnp.asarray(rng.normal(0, 0.3, h)),
        jnp.asarray(0.0),
    )

    def loss(params):
        W1, b1, w2, b2 = params
        hidden = jnp.tanh(X @ W1.T + b1)
        f = hidden @ w2 + b2
        return jnp.mean((f - y) ** 2)

    fg = jax.jit(jax.value_and_grad(loss))
    out["jax"] = median(lambda: jax.block_until_ready(fg(params)))
    return out


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "logreg":
        result = logreg(path, int(sys.argv[3]))
    else:
        result = tanh_net(path, int(sys.argv[3]), int(sys.argv[4]))
    result["versions"] = {
        "numpy": np.__version__,
        "jax": jax.__version__,
        "pandas": pd.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
