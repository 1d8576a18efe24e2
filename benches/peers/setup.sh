#!/usr/bin/env bash
# The Python peer the benches measure side by side with nabla: CasADi (and NumPy),
# at the versions of ../shared/bench/results-peers.md, in a virtualenv under
# target/peers (outside git). Needs python3 with venv and the PyPI registry.
#
#   bash benches/peers/setup.sh      # then: cargo bench --bench tape
#
# NABLA_PEERS_VENV chooses another place; the benches look there too.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NABLA_PEERS_VENV:-$root/target/peers}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "casadi==3.8.2" "numpy==2.4.6"
"$venv/bin/python" -c 'import casadi; print("casadi", casadi.__version__, "in '"$venv"'")'
