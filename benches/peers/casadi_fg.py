#!/usr/bin/env python3
"""CasADi's SX virtual machine on one formula: the value and the gradient by every
param per call, amortised over map(1000) in serial, as the W2 peer script
(../shared/bench/peers/w2_symbolic.py, `fg_eval_amortised_s`) measures it.

usage: casadi_fg.py FORMULA_FILE PARAM [PARAM ...]
The formula is nabla's text of the loss (`exp`, `tanh`, `^`), every param at 0.3.
Prints one JSON object: seconds per call (median of 15) and the VM's instructions.
"""
import json
import statistics
import sys
import time

import casadi as ca
import numpy as np


def main():
    with open(sys.argv[1]) as f:
        text = f.read()
    names = sys.argv[2:]
    params = [ca.SX.sym(p) for p in names]
    namespace = dict(zip(names, params))
    namespace.update(exp=ca.exp, tanh=ca.tanh)
    code = compile(text.replace("^", "**"), "<formula>", "eval")
    f = eval(code, {"__builtins__": {}}, namespace)
    p = ca.vertcat(*params)
    fg = ca.Function("fg", [p], [f, ca.gradient(f, p)])
    m = 1000
    mapped = fg.map(m, "serial")
    points = np.tile(np.full(len(names), 0.3)[:, None], (1, m))
    mapped(points)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        mapped(points)
        times.append((time.perf_counter() - start) / m)
    print(json.dumps({"fg_eval_amortised_s": statistics.median(times),
                      "instructions": fg.n_instructions()}))


if __name__ == "__main__":
    main()
