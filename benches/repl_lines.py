"""REPL throughput (issue 18): lines per second with N lines piped into `nabla repl`,
at a small and a large N side by side; a ratio near 1 means the time per line does not
grow with the session (linear in lines). The lines mix params, definitions, functions,
values, derivatives and redefinitions (a name redefined every block, with a dependant).

    cargo build --release
    python3 benches/repl_lines.py target/release/nabla 1000 16000
"""
import subprocess, sys, time

BLOCK = [
    "param p{i} = {v}",
    "q{i} = p{i}^2 + 3*p{i}",
    "h{i}(z) = z*q{i} + 1",
    "h{i}(2) + q{i}",
    "d(q{i}*sin(x))/d(x)",
    "s = p{i}*2",
    "t = s + q{i}",
    "t",
]


def script(lines):
    out = []
    i = 0
    while len(out) < lines:
        out += [l.format(i=i, v=i % 7 + 1) for l in BLOCK]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def lines_per_second(binary, lines):
    text = script(lines).encode()
    start = time.perf_counter()
    done = subprocess.run([binary, "repl"], input=text, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or done.stderr:
        sys.exit(f"nabla repl failed at {lines} lines: {done.stderr[:500]!r}")
    return lines / elapsed, elapsed


binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/nabla"
small, large = (int(a) for a in (sys.argv[2:4] if len(sys.argv) > 3 else (1000, 16000)))
(a, ta), (b, tb) = lines_per_second(binary, small), lines_per_second(binary, large)
print(f"{'lines':>8} {'seconds':>8} {'lines/s':>9}")
print(f"{small:>8} {ta:>8.3f} {a:>9.0f}")
print(f"{large:>8} {tb:>8.3f} {b:>9.0f}")
print(f"ratio (lines/s at {large} / at {small}): {b / a:.2f} (1.00 = linear in lines)")
