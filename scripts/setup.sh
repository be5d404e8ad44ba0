#!/usr/bin/env bash
# Sets up a fresh machine: this package (editable) with its Python dependencies, and Verilator and yosys from
# Debian (Verilog co-simulation and lint; synthesis estimates). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e . 2>&1 | grep -v "Running pip as the 'root' user" || true
python3 -c "import tellme_pymtl, pymtl3" || { echo "setup: the Python install failed" >&2; exit 1; }
MISSING=""
for tool in verilator yosys; do
  command -v "$tool" >/dev/null 2>&1 || MISSING="$MISSING $tool"
done
if [ -n "$MISSING" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq $MISSING >/dev/null
fi
verilator --version
yosys -V
