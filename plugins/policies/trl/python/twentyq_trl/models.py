"""Loading a stage's starting model (full folder or LoRA adapter) and saving `final/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .job import Lora
from .render import use_training_template


def adapter_base(path: str | Path) -> str | None:
    """The base model an adapter folder names, or None for a full model (or a Hub id)."""
    config = Path(path) / "adapter_config.json"
    if not config.is_file():
        return None
    with open(config, encoding="utf-8") as f:
        base = json.load(f).get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{config}: no base_model_name_or_path")
    return str(base)


def load_tokenizer(path: str, padding_side: str | None = None) -> Any:
    from transformers import AutoTokenizer

    kwargs: dict[str, Any] = {} if padding_side is None else {"padding_side": padding_side}
    source = path
    if adapter_base(path) is not None and not (Path(path) / "tokenizer_config.json").is_file():
        source = adapter_base(path) or path
    tok = AutoTokenizer.from_pretrained(source, **kwargs)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: str) -> Any:
    """fp32 weights (the trainer autocasts for bf16/fp16); an adapter folder loads trainable on its base."""
    import torch
    from transformers import AutoModelForCausalLM

    base = adapter_base(path)
    if base is None:
        return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    from peft import PeftModel

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return PeftModel.from_pretrained(model, path, is_trainable=True)


def lora_config(lora: Lora | None, starting_from_adapter: bool) -> Any:
    """A new LoRA config from the job's `lora` field; None for full fine-tuning or an adapter already loaded."""
    if lora is None or starting_from_adapter:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora.r,
        lora_alpha=int(lora.alpha),
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def save_tokenizer(tok: Any, out: str | Path) -> None:
    """The tokenizer with TRL's training template, so serving renders history as training did."""
    use_training_template(tok)
    tok.save_pretrained(str(out))
