#!/usr/bin/env bash
# The peers of the vector benchmark (benches/vectors.rs): NumPy, JAX (CPU) and pandas
# in a virtualenv under target/peers/vectors-venv (outside git). Needs python3 with
# venv and the PyPI registry. Idempotent: a venv that already imports all three is kept.
#
#   bash benches/peers/vectors.sh && cargo bench --bench vectors
#
# NABLA_VECTORS_VENV chooses another place; the bench looks there too.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NABLA_VECTORS_VENV:-$root/target/peers/vectors-venv}"
if "$venv/bin/python" -c 'import numpy, jax, pandas' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "numpy==2.4.6" "jax[cpu]==0.8.1" "pandas==2.3.3"
"$venv/bin/python" -c 'import numpy, jax, pandas; print("numpy", numpy.__version__, "jax", jax.__version__, "pandas", pandas.__version__)'
