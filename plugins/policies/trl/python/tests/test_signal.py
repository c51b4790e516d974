from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import cli_env, logs, parse_events, sft_job, write_json


def start(job: dict[str, Any], folder: Path) -> subprocess.Popen[str]:
    path = write_json(folder / "sft-job.json", job)
    return subprocess.Popen(
        [sys.executable, "-m", "twentyq_trl", "sft", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )


def read_until(p: subprocess.Popen[str], done: Any) -> list[dict[str, Any]]:
    assert p.stdout is not None
    seen = []
    for line in p.stdout:
        seen.append(json.loads(line))
        if done(seen[-1]):
            return seen
    raise AssertionError(f"the run ended first: {seen}")


def test_sigint_stops_at_a_step_with_checkpoint_and_resume_continues(
    tiny_model: Path, sft_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sft.model"
    # 32 rows, 4 a batch, 50 epochs: 400 steps, far more than the test waits for
    job = sft_job(tiny_model, out, sft_data, batch_size=4, epochs=50, save_steps=1000)
    p = start(job, tmp_path)
    seen = read_until(p, lambda e: e["event"] == "log" and e["step"] >= 3)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 0, stderr[-3000:]
    events = seen + parse_events(stdout)
    done = events[-1]
    assert done["event"] == "done" and done["stopped"] is True
    stop_step = done["step"]
    assert 3 <= stop_step < 400
    checkpoints = [e for e in events if e["event"] == "checkpoint"]
    assert checkpoints == [{"event": "checkpoint", "step": stop_step, "path": str(out / "checkpoints" / f"checkpoint-{stop_step}")}]
    assert (out / "checkpoints" / f"checkpoint-{stop_step}" / "optimizer.pt").is_file()
    assert (out / "final" / "model.safetensors").is_file()

    job.update(resume=True)
    p = start(job, tmp_path)
    events = read_until(p, lambda e: e["event"] == "log" and e["step"] >= stop_step + 3)
    p.send_signal(signal.SIGINT)
    stdout, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-3000:]
    assert "resuming from" in err
    events += parse_events(stdout)
    steps = [e["step"] for e in logs(events)]
    assert steps[:3] == [stop_step + 1, stop_step + 2, stop_step + 3]
    assert events[-1]["event"] == "done" and events[-1]["stopped"] is True and events[-1]["step"] == steps[-1]


def test_second_signal_exits_130(tiny_model: Path, sft_data: Path, tmp_path: Path) -> None:
    job = sft_job(tiny_model, tmp_path / "sft.model", sft_data, batch_size=4, epochs=50)
    p = start(job, tmp_path)
    read_until(p, lambda e: e["event"] == "log")
    # two SIGINTs sent back to back may merge into one delivery: a SIGINT then a SIGTERM do not
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGTERM)
    stdout, _ = p.communicate(timeout=60)
    assert '"done"' not in stdout
    assert p.returncode == 130


def test_a_trainer_whose_parent_died_exits_at_once(tiny_model: Path, sft_data: Path, tmp_path: Path) -> None:
    """twentyq holds stdin open: when it dies (kill -9), stdin ends and the trainer exits."""
    out = tmp_path / "sft.model"
    job = sft_job(tiny_model, out, sft_data, batch_size=4, epochs=50, save_steps=1000)
    path = write_json(tmp_path / "sft-job.json", job)
    p = subprocess.Popen(
        [sys.executable, "-m", "twentyq_trl", "sft", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**cli_env(), "TWENTYQ_EXIT_WITH_PARENT": "1"},
    )
    read_until(p, lambda e: e["event"] == "log" and e["step"] >= 2)
    assert p.poll() is None
    assert p.stdin is not None
    p.stdin.close()  # what the parent's death does to the pipe
    assert p.wait(timeout=30) == 1
    # without the variable (the module run by hand), stdin's end means nothing
    q = subprocess.Popen(
        [sys.executable, "-m", "twentyq_trl", "sft", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    read_until(q, lambda e: e["event"] == "log" and e["step"] >= 2)
    assert q.poll() is None
    q.send_signal(signal.SIGINT)
    assert q.wait(timeout=60) == 0
