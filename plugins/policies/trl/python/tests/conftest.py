"""Shared fixtures: a small corpus, a tiny model, and a runner for the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PACKAGE_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SYSTEM = {"role": "system", "content": "You are playing 20 questions. Ask yes/no questions."}
OPENING = {"role": "user", "content": "I am thinking of an animal. Ask your first question."}
CONVERSATION: list[dict[str, str]] = [
    SYSTEM,
    OPENING,
    {"role": "assistant", "content": "Is it a mammal?"},
    {"role": "user", "content": "Yes."},
    {"role": "assistant", "content": "Does it live in water?"},
    {"role": "user", "content": "No.\n\nIt is big."},
    {"role": "assistant", "content": "Is it an elephant?"},
]
CORPUS = [m["content"] for m in CONVERSATION] + [
    "Is it a bird?",
    "Is it bigger than a cat?",
    "Does it have four legs?",
    "Yes. No. I win! You win!",
    "Think of an animal: cat, dog, eel, owl, elephant, whale.",
]
TINY_SIZE: dict[str, Any] = {
    "vocab_size": 512,
    "hidden_size": 64,
    "layers": 2,
    "heads": 2,
    "kv_heads": 1,
    "intermediate_size": 128,
    "max_position_embeddings": 512,
}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PACKAGE_ROOT)
    env["HF_HUB_OFFLINE"] = "1"
    env["TOKENIZERS_PARALLELISM"] = "false"
    return env


def run_cli(command: str, job: dict[str, Any], folder: Path, timeout: float = 240) -> tuple[int, list[dict[str, Any]], str]:
    """Run `python -m twentyq_trl COMMAND JOB`; return the exit code, the events and stderr."""
    path = write_json(folder / f"{command}-job.json", job)
    p = subprocess.run(
        [sys.executable, "-m", "twentyq_trl", command, str(path)],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=timeout,
    )
    return p.returncode, parse_events(p.stdout), p.stderr


def parse_events(stdout: str) -> list[dict[str, Any]]:
    events = []
    for line in stdout.splitlines():
        event = json.loads(line)  # stdout holds JSON lines and nothing else
        assert "event" in event
        events.append(event)
    return events


GRPO_ROLLOUT: dict[str, Any] = {
    "use_vllm": False,
    "vllm_mode": "colocate",
    "vllm_server_url": "http://127.0.0.1:8000",
    "vllm_gpu_memory_utilization": 0.3,
    "vllm_tensor_parallel_size": 1,
    "move_regret": 0.0,
}


def logs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "log"]


def build_tiny(folder: Path, seed: int = 0) -> Path:
    from twentyq_trl import tiny
    from twentyq_trl.job import TinyJob, parse, typed

    corpus = folder.parent / f"{folder.name}-corpus.txt"
    corpus.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    tiny.run(typed(parse("tiny", {"corpus": str(corpus), "output_dir": str(folder), "seed": seed, **TINY_SIZE}), TinyJob))
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def sft_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("data") / "sft.jsonl", [{"messages": CONVERSATION}] * 32)


def base_job(model: Path, out: Path, data: Path, **extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "model": str(model),
        "output_dir": str(out),
        "data": str(data),
        "resume": False,
        "lora": None,
        "precision": "auto",
        "device": "auto",
        "threads": 1,
        "seed": 0,
        "learning_rate": 3e-3,
        "batch_size": 8,
        "epochs": 1,
        "max_length": 256,
        "save_steps": 1000,
        "processes": 1,
        "micro_batch_size": None,
        "gradient_checkpointing": False,
    }
    job.update(extra)
    return job


def sft_job(model: Path, out: Path, data: Path, **extra: Any) -> dict[str, Any]:
    """An sft job: base_job and sft's own fields."""
    return base_job(model, out, data, **{"train_sampling": "random", **extra})


@pytest.fixture(scope="session")
def sft_run(tiny_model: Path, sft_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """One SFT run shared by the SFT test and the stages that start from its model."""
    folder = tmp_path_factory.mktemp("sft")
    rc, events, err = run_cli("sft", sft_job(tiny_model, folder / "sft.model", sft_data, epochs=12, batch_size=4, learning_rate=5e-3), folder)
    assert rc == 0, err[-3000:]
    yield folder / "sft.model" / "final", events
