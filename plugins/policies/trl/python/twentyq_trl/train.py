"""The shared run of a training stage (sft, dpo, grpo): config, resume, stop, final/, done."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import emit, log
from .job import Hardware, Job, resolve_hardware
from .models import save_tokenizer
from .progress import Progress
from .signals import StopFlag


@dataclass
class Stage:
    trainer: Any
    tokenizer: Any
    extra_figures: Callable[[], dict[str, float]] | None = None


def common_args(job: Job, hw: Hardware, default_lr: float) -> dict[str, Any]:
    """TrainingArguments shared by the three trainers."""
    args: dict[str, Any] = {
        "output_dir": str(Path(job.str("output_dir")) / "checkpoints"),
        "seed": job.int("seed", 0),
        "learning_rate": job.float("learning_rate", default_lr),
        "per_device_train_batch_size": job.int("batch_size", 8),
        "num_train_epochs": job.float("epochs", 1),
        "logging_steps": job.int("logging_steps", 1),
        "save_strategy": "steps",
        "save_steps": job.int("save_steps", 500),
        "report_to": "none",
        "gradient_checkpointing": False,
        "lr_scheduler_type": "cosine",
        "disable_tqdm": True,
        **hw.trainer_kwargs(),
    }
    if job.get("max_steps") is not None:
        args["max_steps"] = job.int("max_steps")
    return args


def latest_checkpoint(folder: Path) -> str | None:
    best: tuple[int, Path] | None = None
    if folder.is_dir():
        for child in folder.iterdir():
            m = re.fullmatch(r"checkpoint-(\d+)", child.name)
            if m and child.is_dir() and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), child)
    return None if best is None else str(best[1])


def run(command: str, job: Job) -> None:
    from transformers import set_seed

    stop = StopFlag()
    stop.install()
    hw = resolve_hardware(job)
    log(f"twentyq_trl {command}: device {hw.device}, precision {hw.precision}")
    set_seed(job.int("seed", 0))
    if command == "sft":
        from . import sft

        stage = sft.build(job, hw)
    elif command == "dpo":
        from . import dpo

        stage = dpo.build(job, hw)
    elif command == "grpo":
        from . import grpo

        stage = grpo.build(job, hw)
    else:
        raise ValueError(f"unknown command {command!r}")
    trainer = stage.trainer
    trainer.add_callback(Progress(stop, stage.extra_figures))
    out = Path(job.str("output_dir"))
    checkpoints = out / "checkpoints"
    resume = latest_checkpoint(checkpoints) if job.bool("resume") else None
    if resume:
        log(f"resuming from {resume}")
    elif checkpoints.is_dir():
        # a fresh run: an earlier attempt's checkpoints would be mistaken for this run's by a later resume
        log(f"removing the earlier checkpoints in {checkpoints}")
        shutil.rmtree(checkpoints)
    trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    if final.is_dir():
        shutil.rmtree(final)  # no stale files (an adapter beside a full model) from an earlier run
    trainer.save_model(str(final))
    save_tokenizer(stage.tokenizer, final)
    emit("done", model=str(final), stopped=stop.requested, step=int(trainer.state.global_step))
