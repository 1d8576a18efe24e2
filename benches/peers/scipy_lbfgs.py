#!/usr/bin/env python3
"""SciPy's L-BFGS-B beside nabla's lbfgs on the first 18 Moré-Garbow-Hillstrom
problems (tests/data/mgh/), from their standard starts, with exact gradients.

usage: scipy_lbfgs.py [NABLA_BINARY]     (in the venv of benches/peers/scipy.sh)

The functions and gradients are written here by hand from the formulas of the
.nabla files; the data columns and the starts are read from those files, so both
sides start at the same point. Each gradient is checked against central
differences before it is used.

Both sides keep 10 pairs and stop on the gradient: nabla with
`--method lbfgs --tol 1e-6 --epochs 2000` (|g|_2 < 1e-6), SciPy with
gtol = 1e-6 (its max-norm of the projected gradient, never above |g|_2),
ftol = 0 (no stop on the relative reduction) and maxiter = 2000. The SciPy
defaults (gtol 1e-5, ftol 2.2e-9) are shown too. SciPy's nfev counts calls of
fun-and-jac: one loss and one gradient evaluation each, as nabla's gradient count.

Without NABLA_BINARY it prints SciPy's figures alone. Prints a table and the median
ratio of nabla's gradient evaluations to SciPy's (matched stop).
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MGH = os.path.join(ROOT, "tests", "data", "mgh")


def read_problem(path):
    """The data columns, the start and the published f* values of a .nabla file."""
    data, start, published = {}, [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# f* = "):
                published.append(float(line[len("# f* = "):].split()[0]))
            elif line.startswith("data "):
                name, values = line[len("data "):].split("=", 1)
                data[name.strip()] = np.array(json.loads(values.strip()), dtype=float)
            elif line.startswith("param "):
                start = [float(v) for v in re.findall(r"=\s*([-0-9.e]+)", line)]
    return data, np.array(start), published


def least_squares(residuals):
    """f = sum r^2, grad = 2 J^T r, from a function giving (r, J)."""
    def fg(x, d):
        r, jac = residuals(x, d)
        return float(r @ r), 2.0 * jac.T @ r
    return fg


@least_squares
def rosenbrock(x, d):
    r = np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])
    return r, np.array([[-20 * x[0], 10], [-1, 0]])


@least_squares
def freudenstein_roth(x, d):
    x1, x2 = x
    r = np.array([-13 + x1 + ((5 - x2) * x2 - 2) * x2,
                  -29 + x1 + ((x2 + 1) * x2 - 14) * x2])
    jac = np.array([[1, 10 * x2 - 3 * x2 ** 2 - 2], [1, 3 * x2 ** 2 + 2 * x2 - 14]])
    return r, jac


@least_squares
def powell_badly_scaled(x, d):
    x1, x2 = x
    r = np.array([1e4 * x1 * x2 - 1, math.exp(-x1) + math.exp(-x2) - 1.0001])
    return r, np.array([[1e4 * x2, 1e4 * x1], [-math.exp(-x1), -math.exp(-x2)]])


@least_squares
def brown_badly_scaled(x, d):
    x1, x2 = x
    r = np.array([x1 - 1e6, x2 - 2e-6, x1 * x2 - 2])
    return r, np.array([[1, 0], [0, 1], [x2, x1]])


@least_squares
def beale(x, d):
    x1, x2 = x
    c = np.array([1.5, 2.25, 2.625])
    i = np.array([1, 2, 3])
    r = c - x1 * (1 - x2 ** i)
    jac = np.stack([-(1 - x2 ** i), x1 * i * x2 ** (i - 1)], axis=1)
    return r, jac


@least_squares
def jennrich_sampson(x, d):
    i = d["i"]
    e1, e2 = np.exp(i * x[0]), np.exp(i * x[1])
    return 2 + 2 * i - (e1 + e2), np.stack([-i * e1, -i * e2], axis=1)


@least_squares
def helical_valley(x, d):
    x1, x2, x3 = x
    theta = math.atan(x2 / x1) / (2 * math.pi) + 0.25 * (1 - np.sign(x1))
    rho = math.hypot(x1, x2)
    # d theta / d x1 = -x2 / (2 pi rho^2), d theta / d x2 = x1 / (2 pi rho^2).
    dt1, dt2 = -x2 / (2 * math.pi * rho ** 2), x1 / (2 * math.pi * rho ** 2)
    r = np.array([10 * (x3 - 10 * theta), 10 * (rho - 1), x3])
    jac = np.array([[-100 * dt1, -100 * dt2, 10],
                    [10 * x1 / rho, 10 * x2 / rho, 0], [0, 0, 1]])
    return r, jac


@least_squares
def bard(x, d):
    y, u, v, w = d["y"], d["u"], d["v"], d["w"]
    q = v * x[1] + w * x[2]
    r = y - (x[0] + u / q)
    jac = np.stack([-np.ones_like(u), u * v / q ** 2, u * w / q ** 2], axis=1)
    return r, jac


@least_squares
def gaussian(x, d):
    y, t = d["y"], d["t"]
    e = np.exp(-x[1] * (t - x[2]) ** 2 / 2)
    r = x[0] * e - y
    jac = np.stack([e, -x[0] * e * (t - x[2]) ** 2 / 2,
                    x[0] * e * x[1] * (t - x[2])], axis=1)
    return r, jac


@least_squares
def meyer(x, d):
    y, t = d["y"], d["t"]
    e = np.exp(x[1] / (t + x[2]))
    r = x[0] * e - y
    jac = np.stack([e, x[0] * e / (t + x[2]), -x[0] * e * x[1] / (t + x[2]) ** 2], axis=1)
    return r, jac


@least_squares
def gulf(x, d):
    t = d["t"]
    y = 25 + (-50 * np.log(t)) ** (2 / 3)
    a = np.abs(y - x[1])
    p = a ** x[2]
    e = np.exp(-p / x[0])
    r = e - t
    jac = np.stack([e * p / x[0] ** 2,
                    e * (x[2] / x[0]) * a ** (x[2] - 1) * np.sign(y - x[1]),
                    -e * p * np.log(a) / x[0]], axis=1)
    return r, jac


@least_squares
def box_3d(x, d):
    t = d["t"]
    r = np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10 * t))
    jac = np.stack([-t * np.exp(-t * x[0]), t * np.exp(-t * x[1]),
                    -(np.exp(-t) - np.exp(-10 * t))], axis=1)
    return r, jac


def powell_singular(x, d):
    x1, x2, x3, x4 = x
    f = (x1 + 10 * x2) ** 2 + 5 * (x3 - x4) ** 2 + (x2 - 2 * x3) ** 4 + 10 * (x1 - x4) ** 4
    a, b = 2 * (x1 + 10 * x2), 4 * (x2 - 2 * x3) ** 3
    c, e = 10 * (x3 - x4), 40 * (x1 - x4) ** 3
    return f, np.array([a + e, 10 * a + b, c - 2 * b, -c - e])


def wood(x, d):
    x1, x2, x3, x4 = x
    f = (100 * (x2 - x1 ** 2) ** 2 + (1 - x1) ** 2 + 90 * (x4 - x3 ** 2) ** 2
         + (1 - x3) ** 2 + 10 * (x2 + x4 - 2) ** 2 + 0.1 * (x2 - x4) ** 2)
    g = np.array([
        -400 * x1 * (x2 - x1 ** 2) - 2 * (1 - x1),
        200 * (x2 - x1 ** 2) + 20 * (x2 + x4 - 2) + 0.2 * (x2 - x4),
        -360 * x3 * (x4 - x3 ** 2) - 2 * (1 - x3),
        180 * (x4 - x3 ** 2) + 20 * (x2 + x4 - 2) - 0.2 * (x2 - x4),
    ])
    return f, g


@least_squares
def kowalik_osborne(x, d):
    y, u = d["y"], d["u"]
    num, den = u ** 2 + u * x[1], u ** 2 + u * x[2] + x[3]
    r = y - x[0] * num / den
    jac = np.stack([-num / den, -x[0] * u / den, x[0] * num * u / den ** 2,
                    x[0] * num / den ** 2], axis=1)
    return r, jac


def brown_dennis(x, d):
    t = d["t"]
    a = x[0] + t * x[1] - np.exp(t)
    b = x[2] + x[3] * np.sin(t) - np.cos(t)
    q = a ** 2 + b ** 2
    g = np.array([np.sum(4 * q * a), np.sum(4 * q * a * t),
                  np.sum(4 * q * b), np.sum(4 * q * b * np.sin(t))])
    return float(np.sum(q ** 2)), g


@least_squares
def osborne_1(x, d):
    y, t = d["y"], d["t"]
    e4, e5 = np.exp(-t * x[3]), np.exp(-t * x[4])
    r = y - (x[0] + x[1] * e4 + x[2] * e5)
    jac = np.stack([-np.ones_like(t), -e4, -e5, x[1] * t * e4, x[2] * t * e5], axis=1)
    return r, jac


@least_squares
def biggs_exp6(x, d):
    t = d["t"]
    y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
    e1, e2, e5 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    r = x[2] * e1 - x[3] * e2 + x[5] * e5 - y
    jac = np.stack([-t * x[2] * e1, t * x[3] * e2, e1, -e2, -t * x[5] * e5, e5], axis=1)
    return r, jac


PROBLEMS = [
    ("01_rosenbrock", rosenbrock), ("02_freudenstein_roth", freudenstein_roth),
    ("03_powell_badly_scaled", powell_badly_scaled),
    ("04_brown_badly_scaled", brown_badly_scaled), ("05_beale", beale),
    ("06_jennrich_sampson", jennrich_sampson), ("07_helical_valley", helical_valley),
    ("08_bard", bard), ("09_gaussian", gaussian), ("10_meyer", meyer), ("11_gulf", gulf),
    ("12_box_3d", box_3d), ("13_powell_singular", powell_singular), ("14_wood", wood),
    ("15_kowalik_osborne", kowalik_osborne), ("16_brown_dennis", brown_dennis),
    ("17_osborne_1", osborne_1), ("18_biggs_exp6", biggs_exp6),
]


def check_gradient(name, fg, x, d):
    """The hand gradient against central differences at the start (relative 1e-5)."""
    _, g = fg(x, d)
    for k in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        numeric = (fg(up, d)[0] - fg(down, d)[0]) / (2 * h)
        scale = max(abs(numeric), abs(g[k]), 1e-8 * max(1.0, abs(fg(x, d)[0])))
        if abs(numeric - g[k]) > 1e-5 * scale:
            sys.exit(f"{name}: gradient {k} is {g[k]}, central difference {numeric}")
    print(f"{name}: the hand gradient agrees with central differences", file=sys.stderr)


def scipy_run(fg, x0, d, **options):
    with np.errstate(over="ignore", invalid="ignore"):
        result = minimize(lambda x: fg(x, d), x0, jac=True, method="L-BFGS-B",
                          options={"maxcor": 10, **options})
    return float(result.fun), int(result.nfev), "ok" if result.success else "fail"


def nabla_run(binary, file):
    args = [binary, "minimize", file, "--method", "lbfgs", "--tol", "1e-6",
            "--epochs", "2000", "--json"]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT).stdout
    document = json.loads(out)
    return float(document["loss"]), int(document["evaluations"]["gradient"]), document["stopped"]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    print(f"{'problem':<24} {'nabla f':>13} {'grads':>6} {'stop':>7} "
          f"{'scipy f':>13} {'nfev':>5} {'':>4} {'scipy dflt f':>13} {'nfev':>5} {'ratio':>6}")
    ratios = []
    for name, fg in PROBLEMS:
        file = os.path.join(MGH, name + ".nabla")
        d, x0, _ = read_problem(file)
        check_gradient(name, fg, x0, d)
        f, nfev, status = scipy_run(fg, x0, d, gtol=1e-6, ftol=0.0, maxiter=2000,
                                    maxfun=100000)
        f_default, nfev_default, _ = scipy_run(fg, x0, d)
        if binary:
            nf, grads, stop = nabla_run(binary, os.path.relpath(file, ROOT))
            ratios.append(grads / nfev)
            ours = f"{nf:>13.6g} {grads:>6} {stop:>7}"
        else:
            ours = f"{'':>13} {'':>6} {'':>7}"
        ratio = f"{ratios[-1]:>6.2f}" if binary else ""
        print(f"{name:<24} {ours} {f:>13.6g} {nfev:>5} {status:>4} {f_default:>13.6g} "
              f"{nfev_default:>5} {ratio}")
    if ratios:
        print(f"median ratio of nabla's gradient evaluations to SciPy's nfev: "
              f"{statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
