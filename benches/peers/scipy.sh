#!/usr/bin/env bash
# SciPy and NumPy in a virtualenv under target/peers/scipy-venv (outside git), for
# benches/peers/scipy_lbfgs.py: SciPy's L-BFGS-B beside nabla's lbfgs on the 18
# Moré-Garbow-Hillstrom problems. Needs python3 with venv and the PyPI registry.
# Idempotent: a venv that already imports scipy is kept.
#
#   bash benches/peers/scipy.sh
#   cargo build --release --locked
#   target/peers/scipy-venv/bin/python benches/peers/scipy_lbfgs.py target/release/nabla
#
# NABLA_SCIPY_VENV chooses another place.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NABLA_SCIPY_VENV:-$root/target/peers/scipy-venv}"
if "$venv/bin/python" -c 'import scipy' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "numpy==2.4.6" "scipy==1.17.1"
"$venv/bin/python" -c 'import scipy; print("scipy", scipy.__version__, "in '"$venv"'")'
