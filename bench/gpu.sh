#!/usr/bin/env bash
# The GPU check (docs/scale.md): on a machine with a CUDA GPU, installs the trl backend's pinned GPU set
# (plugins/policies/trl/requirements-gpu.txt) from the package index pip reaches, builds the tiny model,
# runs its weighted SFT and an evaluation with device cuda and again on the CPU, and, when vLLM
# installed, a short GRPO whose moves come from TRL's vLLM integration; then prints each stage's time and
# tokens per second, the GPU's beside the CPU's.
#
#   bench/gpu.sh             run it (about 10-20 minutes, most of it pip)
#   bench/gpu.sh --dry-run   print the plan and run nothing (no GPU needed)
#
# GPU_CHECK_OUT (default scratch/gpu-check) holds the runs and the model; GPU_CHECK_VENV (default
# $TWENTYQ_HOME/gpu-python) the Python environment, kept apart from the CPU one.
set -euo pipefail

DRY=0
case "${1:-}" in
  --dry-run) DRY=1 ;;
  "") ;;
  *) echo "usage: bench/gpu.sh [--dry-run]" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${GPU_CHECK_OUT:-$ROOT/scratch/gpu-check}
VENV=${GPU_CHECK_VENV:-${TWENTYQ_HOME:-$HOME/.cache/twentyq}/gpu-python}
REQ=$ROOT/plugins/policies/trl/requirements-gpu.txt
PY=$VENV/bin/python
CLI="node $ROOT/bin/run.js"
RUN="$CLI run --out $OUT/runs --no-cache --progress lines"
CPU_THREADS=$(nproc 2>/dev/null || echo 2)
VLLM=1

# a step of the plan: printed, then run unless this is a dry run
step() {
  echo "+ $1"
  [ "$DRY" = 1 ] || (cd "$ROOT" && eval "$1")
}

echo "# GPU check: runs under $OUT, Python environment $VENV"
step "nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader"
step "mkdir -p $OUT && python3 -m venv $VENV"
# the whole set first; without vLLM when it does not install (its wheel needs a matching CUDA and torch)
if ! step "$VENV/bin/pip install -r $REQ"; then
  VLLM=0
  echo "# vLLM did not install: the set without it, and no vLLM rollouts"
  step "grep -v '^vllm' $REQ > $OUT/requirements-gpu-without-vllm.txt && $VENV/bin/pip install -r $OUT/requirements-gpu-without-vllm.txt"
fi
step "$PY -c 'import torch; assert torch.cuda.is_available(), \"torch sees no CUDA device\"; print(\"torch\", torch.__version__, \"CUDA\", torch.version.cuda, torch.cuda.get_device_name(0))'"
[ "$VLLM" = 0 ] || step "$PY -c 'import vllm, trl, transformers; print(\"vllm\", vllm.__version__, \"trl\", trl.__version__, \"transformers\", transformers.__version__)'" || VLLM=0
step "npm run build"
step "TWENTYQ_PYTHON=$PY $CLI model tiny --out $OUT/tiny"
SERVE=$([ "$VLLM" = 1 ] && echo vllm || echo transformers)
step "TWENTYQ_PYTHON=$PY $RUN bench/gpu.yaml --set name=gpu-check-cuda --set policy.with.model=$OUT/tiny --set policy.with.device=cuda --set policy.with.serve=$SERVE"
step "TWENTYQ_PYTHON=$PY $RUN bench/gpu.yaml --set name=gpu-check-cpu --set policy.with.model=$OUT/tiny --set policy.with.device=cpu --set policy.with.threads=$CPU_THREADS --set policy.with.serve=transformers"
FIGURES="cuda=$OUT/runs/gpu-check-cuda cpu=$OUT/runs/gpu-check-cpu"
if [ "$VLLM" = 1 ]; then
  step "TWENTYQ_PYTHON=$PY $RUN bench/gpu-grpo.yaml --set policy.with.model=$OUT/tiny"
  FIGURES="$FIGURES vllm=$OUT/runs/gpu-check-grpo"
fi
step "node $ROOT/dist/bench/gpu-figures.js $FIGURES"
