#!/usr/bin/env bash
# GPU check (not a test), under 5 minutes on one CUDA GPU: throughput of both plugins in fp32 and bf16
# autocast, and agreement with the CPU within tolerance. Writes benchmarks/results/gpu.{json,md}; exits 1
# when a result differs from the CPU's beyond tolerance.
# Usage: bash benchmarks/gpu.sh   (in an environment with a CUDA build of torch)
set -euo pipefail
cd "$(dirname "$0")/.."
python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "gpu.sh: this torch sees no CUDA device")'
if ! python -c 'import vaekit_midi, vaekit_image' 2>/dev/null; then
  # vaekit's other dependencies come with the environment; install the three packages from this checkout.
  python -m pip install --quiet --no-deps --no-build-isolation -e . -e plugins/midi -e plugins/image
fi
export VAEKIT_CACHE=${VAEKIT_CACHE:-$(mktemp -d)}
timeout 290 python benchmarks/gpu.py "$@"
