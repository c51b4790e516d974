"""`dpo`: DPOTrainer on prompt/chosen/rejected rows, rendered with TRL's training template."""

from __future__ import annotations

from .job import DpoJob, Hardware, TrainingJob, read_jsonl, typed
from .models import adapter_base, load_model, load_tokenizer, lora_config
from .render import TEMPLATE_KWARGS, use_training_template
from .train import Stage, common_args


def build(training: TrainingJob, hw: Hardware) -> Stage:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    job = typed(training, DpoJob)
    model_path = job.model
    tok = use_training_template(load_tokenizer(model_path))
    rows = []
    for n, row in enumerate(read_jsonl(job.data), 1):
        for key in ("prompt", "chosen", "rejected"):
            if not isinstance(row.get(key), list):
                raise ValueError(f"dpo row {n}: '{key}' must be a list of messages")
        rows.append(
            {
                "prompt": row["prompt"],
                "chosen": row["chosen"],
                "rejected": row["rejected"],
                "chat_template_kwargs": dict(TEMPLATE_KWARGS),
            }
        )
    config = DPOConfig(
        **common_args(job, hw),
        num_train_epochs=job.epochs,
        beta=job.beta,
        max_length=job.max_length,
        dataset_num_proc=None,
    )
    trainer = DPOTrainer(
        model=load_model(model_path),
        processing_class=tok,
        train_dataset=Dataset.from_list(rows),
        args=config,
        peft_config=lora_config(job.lora, adapter_base(model_path) is not None),
    )
    return Stage(trainer, tok)
