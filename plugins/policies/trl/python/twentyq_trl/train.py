"""The shared run of a training stage (sft, dpo, grpo): config, resume, stop, final/, done."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import emit, log
from .job import Hardware, TrainingJob, resolve_hardware
from .models import save_tokenizer
from .progress import Progress
from .signals import StopFlag


@dataclass
class Stage:
    trainer: Any
    tokenizer: Any
    extra_figures: Callable[[], dict[str, float]] | None = None


def common_args(job: TrainingJob, hw: Hardware) -> dict[str, Any]:
    """TrainingArguments shared by the three trainers (sft and dpo add their epochs, grpo its steps)."""
    return {
        "output_dir": str(Path(job.output_dir) / "checkpoints"),
        "seed": job.seed,
        "learning_rate": job.learning_rate,
        "per_device_train_batch_size": job.batch_size,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": job.save_steps,
        "report_to": "none",
        "gradient_checkpointing": False,
        "lr_scheduler_type": "cosine",
        "disable_tqdm": True,
        **hw.trainer_kwargs(),
    }


def latest_checkpoint(folder: Path) -> str | None:
    best: tuple[int, Path] | None = None
    if folder.is_dir():
        for child in folder.iterdir():
            m = re.fullmatch(r"checkpoint-(\d+)", child.name)
            if m and child.is_dir() and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), child)
    return None if best is None else str(best[1])


def run(command: str, job: TrainingJob) -> None:
    from transformers import set_seed

    stop = StopFlag()
    stop.install()
    hw = resolve_hardware(job)
    log(f"twentyq_trl {command}: device {hw.device}, precision {hw.precision}")
    set_seed(job.seed)
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
    out = Path(job.output_dir)
    checkpoints = out / "checkpoints"
    resume = latest_checkpoint(checkpoints) if job.resume else None
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
