"""The shared run of a training stage (sft, dpo, grpo): config, resume, stop, final/, done."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import announce_process, emit, log
from .job import Hardware, TrainingJob, resolve_hardware
from .models import save_tokenizer
from .progress import Progress
from .ranks import barrier, is_main, world_size
from .signals import StopFlag


@dataclass
class Stage:
    trainer: Any
    tokenizer: Any
    extra_figures: Callable[[], dict[str, float]] | None = None


def split_batch(batch: int, processes: int, micro: int | None) -> tuple[int, int]:
    """(rows per process at once, accumulation steps) for a global batch over the processes: the same
    optimiser steps on the same rows whatever the number of processes."""
    if batch % processes:
        raise ValueError(f"a batch of {batch} does not split over {processes} processes: make the stage's batch a multiple of the trl option processes")
    share = batch // processes
    if micro is None or micro >= share:
        return share, 1
    if share % micro:
        raise ValueError(f"each process's share of the batch ({share}) is not a multiple of micro_batch_size {micro}")
    return micro, share // micro


def common_args(job: TrainingJob, hw: Hardware, batch: int | None = None) -> dict[str, Any]:
    """TrainingArguments shared by the three trainers (sft and dpo add their epochs, grpo its steps).
    `batch` is the global batch (default: the job's batch_size)."""
    if job.processes != world_size():
        raise ValueError(f"the job asks for {job.processes} processes but runs in {world_size()}: start it as twentyq does (torchrun or accelerate launch)")
    per_device, accumulation = split_batch(job.batch_size if batch is None else batch, job.processes, job.micro_batch_size)
    return {
        "output_dir": str(Path(job.output_dir) / "checkpoints"),
        "seed": job.seed,
        "learning_rate": job.learning_rate,
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accumulation,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": job.save_steps,
        "report_to": "none",
        "gradient_checkpointing": job.gradient_checkpointing,
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


def map_resumed_state_to_cpu(trainer: Any) -> None:
    """transformers 5.17 loads a resumed optimizer state onto `args.device` when several processes train
    (Trainer._load_optimizer_and_scheduler); on the CPU that device is `cpu:RANK`, which torch.load cannot
    restore to ("don't know how to restore data location ... cpu:0"). The state goes to "cpu" instead."""
    import torch

    if world_size() == 1 or trainer.args.device.type != "cpu":
        return
    load_state = trainer._load_optimizer_and_scheduler

    def load_on_cpu(checkpoint: str | None) -> None:
        torch_load = torch.load

        def cpu_load(*args: Any, **kwargs: Any) -> Any:
            if "map_location" in kwargs:
                kwargs["map_location"] = "cpu"
            return torch_load(*args, **kwargs)

        torch.load = cpu_load
        try:
            load_state(checkpoint)
        finally:
            torch.load = torch_load

    trainer._load_optimizer_and_scheduler = load_on_cpu


def run(command: str, job: TrainingJob) -> None:
    from transformers import set_seed

    stop = StopFlag()
    stop.install()
    announce_process()
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
        map_resumed_state_to_cpu(trainer)
    elif checkpoints.is_dir() and is_main():
        # a fresh run: an earlier attempt's checkpoints would be mistaken for this run's by a later resume
        log(f"removing the earlier checkpoints in {checkpoints}")
        shutil.rmtree(checkpoints)
    barrier()
    trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    if final.is_dir() and is_main():
        shutil.rmtree(final)  # no stale files (an adapter beside a full model) from an earlier run
    barrier()
    # every process takes part (ZeRO-3 and FSDP gather the weights), the first one writes
    trainer.save_model(str(final))
    if is_main():
        save_tokenizer(stage.tokenizer, final)
    barrier()
    emit("done", model=str(final), stopped=stop.requested, step=int(trainer.state.global_step))
