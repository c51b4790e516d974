"""The job dataclasses against the JSON Schemas TypeScript writes: the same fields, no defaults, checked input."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from twentyq_trl.job import JOBS, SCHEMAS, GrpoJob, JobError, Lora, SftJob, parse, schema

from conftest import GRPO_ROLLOUT, base_job, run_cli, sft_job


@pytest.mark.parametrize("command", sorted(JOBS))
def test_the_dataclass_has_the_schema_fields_and_no_defaults(command: str) -> None:
    fields = dataclasses.fields(JOBS[command])
    declared = schema(command)
    assert {f.name for f in fields} == set(declared["properties"])
    assert set(declared["required"]) == set(declared["properties"])
    assert declared["additionalProperties"] is False
    # every default is TypeScript's: none here
    assert [f.name for f in fields if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING] == []


def test_every_job_schema_has_its_dataclass() -> None:
    assert {p.name[len("trl-job-") : -len(".schema.json")] for p in SCHEMAS.glob("trl-job-*.schema.json")} == set(JOBS)
    assert {f.name for f in dataclasses.fields(Lora)} == set(schema("sft")["properties"]["lora"]["anyOf"][0]["properties"])


def grpo_fields(**extra: Any) -> dict[str, Any]:
    fields = {"env_url": "http://127.0.0.1:1", "steps": 2, "num_generations": 2, "targets_per_step": 1}
    fields.update(temperature=1.0, beta=0.0, epsilon=0.2, scale_rewards="batch", max_new_tokens=8, **GRPO_ROLLOUT)
    return base_job(Path("/m"), Path("/o"), Path("/d"), **{**fields, **extra})


def test_a_valid_job_becomes_its_dataclass() -> None:
    fields = grpo_fields()
    del fields["epochs"]
    job = parse("grpo", fields)
    assert isinstance(job, GrpoJob) and job.num_generations == 2 and job.lora is None
    lora = {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"}
    sft = parse("sft", sft_job(Path("/m"), Path("/o"), Path("/d"), lora=lora))
    assert isinstance(sft, SftJob) and sft.lora == Lora(8, 16, 0.0, "all-linear")


def test_a_job_that_breaks_its_schema_names_every_field() -> None:
    fields = sft_job(Path("/m"), Path("/o"), Path("/d"), max_steps=3)
    del fields["save_steps"]
    fields["device"] = "tpu"
    with pytest.raises(JobError) as caught:
        parse("sft", fields, "sft.job.json")
    message = str(caught.value)
    assert message.startswith("sft.job.json: not a valid sft job (schemas/trl-job-sft.schema.json):")
    assert "'save_steps' is a required property" in message
    assert "'max_steps' was unexpected" in message
    assert "device: 'tpu' is not one of" in message


def test_the_cli_refuses_a_bad_job_before_loading_anything(tmp_path: Path) -> None:
    job = grpo_fields(num_generations=1)
    rc, events, err = run_cli("grpo", job, tmp_path, timeout=60)
    assert rc == 2 and events == []
    assert "num_generations: 1 is less than the minimum of 2" in err
    assert "epochs" in err  # grpo takes steps, not epochs
