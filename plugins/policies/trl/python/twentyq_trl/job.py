"""The job files the TypeScript side writes, as dataclasses checked against their JSON Schemas.

The one declaration of each job is TypeScript's (plugins/policies/trl/job.ts, written out as
schemas/trl-job-<command>.schema.json). A job is validated against that schema with jsonschema before
it becomes a dataclass, and the dataclasses have no defaults: TypeScript writes every field, so there is
no second place where a default could drift. tests/test_job.py checks that the fields here are the
schema's fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

# parents: twentyq_trl, python, trl, policies, plugins, the package root
SCHEMAS = Path(__file__).resolve().parents[5] / "schemas"

Precision = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda"]
ScaleRewards = Literal["group", "batch", "none"]


@dataclass(frozen=True)
class Lora:
    r: int
    alpha: float
    dropout: float
    target_modules: list[str] | str


@dataclass(frozen=True)
class TrainingJob:
    """What every training command (sft, dpo, grpo) takes."""

    model: str
    output_dir: str
    resume: bool
    data: str
    lora: Lora | None
    precision: Precision
    device: Device
    threads: int | None
    seed: int
    max_length: int
    save_steps: int
    learning_rate: float
    batch_size: int
    processes: int
    micro_batch_size: int | None
    gradient_checkpointing: bool


@dataclass(frozen=True)
class SftJob(TrainingJob):
    epochs: float
    train_sampling: Literal["random", "batch_rebalance", "group_by_length"]


@dataclass(frozen=True)
class DpoJob(TrainingJob):
    epochs: float
    beta: float


@dataclass(frozen=True)
class GrpoJob(TrainingJob):
    env_url: str
    steps: int
    num_generations: int
    targets_per_step: int
    temperature: float
    beta: float
    epsilon: float
    scale_rewards: ScaleRewards
    move_regret: float
    max_new_tokens: int
    use_vllm: bool
    vllm_mode: Literal["colocate", "server"]
    vllm_server_url: str
    vllm_gpu_memory_utilization: float
    vllm_tensor_parallel_size: int


@dataclass(frozen=True)
class MergeJob:
    adapter: str
    output_dir: str


@dataclass(frozen=True)
class TinyJob:
    corpus: str
    output_dir: str
    seed: int
    vocab_size: int
    hidden_size: int
    layers: int
    heads: int
    kv_heads: int
    intermediate_size: int
    max_position_embeddings: int


JOBS: dict[str, type[Any]] = {"sft": SftJob, "dpo": DpoJob, "grpo": GrpoJob, "merge": MergeJob, "tiny": TinyJob}

J = TypeVar("J")


class JobError(ValueError):
    """A job file that does not fit its schema: the message names the file and each field that is wrong."""


def schema(command: str) -> dict[str, Any]:
    path = SCHEMAS / f"trl-job-{command}.schema.json"
    with open(path, encoding="utf-8") as f:
        value: dict[str, Any] = json.load(f)
    return value


def check(command: str, data: Any, where: str) -> None:
    """Raises JobError listing every place where `data` breaks the command's schema."""
    from jsonschema import Draft7Validator

    errors = sorted(Draft7Validator(schema(command)).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(str(p) for p in e.absolute_path) or '(the job)'}: {e.message}" for e in errors]
        raise JobError(f"{where}: not a valid {command} job (schemas/trl-job-{command}.schema.json):\n" + "\n".join(lines))


def parse(command: str, data: Any, where: str = "the job") -> Any:
    """The command's job from its JSON value, checked against its schema."""
    if command not in JOBS:
        raise JobError(f"unknown command {command!r}: one of {', '.join(JOBS)}")
    check(command, data, where)
    fields = dict(data)
    if "lora" in fields and fields["lora"] is not None:
        fields["lora"] = Lora(**fields["lora"])
    return JOBS[command](**fields)


def load(command: str, path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return parse(command, data, str(path))


def typed(job: Any, kind: type[J]) -> J:
    """The job as the dataclass a command expects (a wrong one is a bug of the caller)."""
    if not isinstance(job, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(job).__name__}")
    return job


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu" | "cuda"
    precision: str  # "fp32" | "bf16" | "fp16"

    @property
    def use_cpu(self) -> bool:
        return self.device == "cpu"

    def trainer_kwargs(self) -> dict[str, Any]:
        return {"use_cpu": self.use_cpu, "bf16": self.precision == "bf16", "fp16": self.precision == "fp16"}


def resolve_hardware(job: TrainingJob) -> Hardware:
    import torch

    if job.threads is not None:
        torch.set_num_threads(job.threads)
    device: str = job.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda asked for, but torch sees no CUDA device")
    precision: str = job.precision
    if precision == "auto":
        precision = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    return Hardware(device, precision)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{n}: a row is a JSON object")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows
