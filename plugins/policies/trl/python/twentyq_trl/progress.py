"""A TrainerCallback that reports start/log/checkpoint events and honours the stop flag."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .events import emit
from .ranks import any_rank
from .signals import StopFlag

# TRL/transformers log names -> the contract's names
RENAMES = {
    "loss": "loss",
    "epoch": "epoch",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "rewards/margins": "margin",
    "rewards/accuracies": "accuracy",
    "reward": "reward",
    "reward_std": "reward_std",
    "kl": "kl",
    "entropy": "entropy",
}

# GRPO's figures in the order the progress line shows them (reference/rl-practice-and-scale.md)
FIRST = ("success", "zero_spread", "clipped", "invalid_rate", "kl", "reward_spread")


class Progress(TrainerCallback):
    def __init__(self, stop: StopFlag, extra: Callable[[], dict[str, float]] | None = None) -> None:
        self.stop = stop
        self.extra = extra
        self._last: tuple[float, float] | None = None  # (time, tokens seen) at the previous log

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any) -> None:
        emit("start", steps=int(state.max_steps))
        # a fresh run counts tokens from 0; after a resume the first log only sets the baseline
        self._last = (time.monotonic(), 0.0) if state.global_step == 0 else None

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any) -> None:
        # every process stops after the same step, or the others would wait for it forever in the next one
        if any_rank(self.stop.requested, args.device):
            self.stop.requested = True
            control.should_save = True
            control.should_training_stop = True

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        if not logs or "train_runtime" in logs:
            return
        figures: dict[str, float] = {}
        for name, value in logs.items():
            if name in RENAMES and isinstance(value, (int, float)) and math.isfinite(value):
                figures[RENAMES[name]] = float(value)
        tokens = logs.get("num_tokens")
        now = time.monotonic()
        if isinstance(tokens, (int, float)):
            if self._last is not None and now > self._last[0] and tokens >= self._last[1]:
                figures["tokens_per_s"] = round((float(tokens) - self._last[1]) / (now - self._last[0]), 1)
            self._last = (now, float(tokens))
        if self.extra is not None:
            figures.update(self.extra())
        # what tells whether a GRPO step can teach anything comes first: the progress line shows the first few
        first = {k: figures.pop(k) for k in FIRST if k in figures}
        emit("log", step=int(state.global_step), **first, **figures)

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any) -> None:
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        emit("checkpoint", step=int(state.global_step), path=str(path))
