"""The job file: typed access to its fields, and the device/precision it resolves to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Job:
    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    @classmethod
    def load(cls, path: str | Path) -> Job:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a job is a JSON object")
        return cls(data)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name)
        return default if value is None else value

    def require(self, name: str) -> Any:
        value = self.fields.get(name)
        if value is None:
            raise ValueError(f"job field '{name}' is required")
        return value

    def str(self, name: str, default: str | None = None) -> str:
        value = self.get(name, default)
        if value is None:
            raise ValueError(f"job field '{name}' is required")
        return str(value)

    def int(self, name: str, default: int | None = None) -> int:
        value = self.get(name, default)
        if value is None:
            raise ValueError(f"job field '{name}' is required")
        return int(value)

    def float(self, name: str, default: float | None = None) -> float:
        value = self.get(name, default)
        if value is None:
            raise ValueError(f"job field '{name}' is required")
        return float(value)

    def bool(self, name: str, default: bool = False) -> bool:
        return bool(self.get(name, default))


@dataclass(frozen=True)
class Hardware:
    device: str  # "cpu" | "cuda"
    precision: str  # "fp32" | "bf16" | "fp16"

    @property
    def use_cpu(self) -> bool:
        return self.device == "cpu"

    def trainer_kwargs(self) -> dict[str, Any]:
        return {"use_cpu": self.use_cpu, "bf16": self.precision == "bf16", "fp16": self.precision == "fp16"}


def resolve_hardware(job: Job) -> Hardware:
    import torch

    threads = job.get("threads")
    if threads is not None:
        torch.set_num_threads(int(threads))
    device = job.str("device", "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda asked for, but torch sees no CUDA device")
    precision = job.str("precision", "auto")
    if precision == "auto":
        precision = "bf16" if device == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision not in ("fp32", "bf16", "fp16"):
        raise ValueError(f"precision must be auto, fp32, bf16 or fp16, not {precision!r}")
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
