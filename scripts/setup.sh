#!/usr/bin/env bash
# Sets up a fresh machine: this package (editable) with its Python dependencies, and Verilator from Debian
# for the Verilog co-simulation and lint. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import tellme_pymtl, pymtl3" || { echo "setup: the Python install failed" >&2; exit 1; }
if ! command -v verilator >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq verilator >/dev/null
fi
verilator --version
