"""Time from starting `nabla repl` in a pseudo-terminal to its first prompt (issue 7:
under 20 ms), against starting `true` the same way, median of N runs.

    cargo build --release
    python3 benches/repl_startup.py target/release/nabla 31
"""
import os, pty, sys, time, statistics, tempfile


def first_prompt_ms(argv, prompt):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["NABLA_HISTORY"] = os.path.join(tempfile.gettempdir(), "nabla-startup-history")
        os.execv(argv[0], argv)
    buf = b""
    try:
        while prompt is not None and prompt not in buf:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    elapsed = (time.perf_counter() - start) * 1000
    try:
        os.write(fd, b"\x04")
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    os.waitpid(pid, 0)
    return elapsed


binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/nabla"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 31
repl = [first_prompt_ms([binary, "repl"], b"nabla> ") for _ in range(runs)]
true = [first_prompt_ms(["/bin/true"], None) for _ in range(runs)]
print(
    f"nabla repl, first prompt: median {statistics.median(repl):.1f} ms "
    f"(min {min(repl):.1f}, max {max(repl):.1f}; `true`: {statistics.median(true):.1f} ms; "
    f"target < 20 ms) over {runs} runs"
)
