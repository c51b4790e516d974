"""`merge`: a LoRA adapter merged into its base, saved with the tokenizer (training template)."""

from __future__ import annotations

from pathlib import Path

from .events import emit
from .job import MergeJob
from .models import adapter_base, load_model, load_tokenizer, save_tokenizer


def run(job: MergeJob) -> None:
    adapter = job.adapter
    out = Path(job.output_dir)
    if adapter_base(adapter) is None:
        raise ValueError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
    emit("start", steps=0)
    model = load_model(adapter).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    save_tokenizer(load_tokenizer(adapter), out)
    emit("done", model=str(out), stopped=False, step=0)
