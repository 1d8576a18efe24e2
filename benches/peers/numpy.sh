#!/usr/bin/env bash
# NumPy in a virtualenv under target/peers/numpy-venv (outside git), for the tests and
# benches of `nabla export --to python`: tests/export.rs runs the generated Python with
# it, benches/peers/export_numpy.py times it beside a hand-written NumPy function.
# Needs python3 with venv and the PyPI registry. Idempotent: a venv that already
# imports numpy is kept.
#
#   bash benches/peers/numpy.sh      # .ci/run calls it before cargo test
#
# NABLA_NUMPY_VENV chooses another place; the tests look there too.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NABLA_NUMPY_VENV:-$root/target/peers/numpy-venv}"
if "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "numpy==2.4.6"
"$venv/bin/python" -c 'import numpy; print("numpy", numpy.__version__, "in '"$venv"'")'
