"""`sft`: SFTTrainer on `{"messages": [...]}` rows, loss on assistant turns only.

Rows are tokenized here (render.conversation_ids: TRL's Qwen3 training template, enable_thinking
false) and passed as input_ids + assistant_masks, so GRPO's rollout uses the very same rendering.
"""

from __future__ import annotations

from .job import Hardware, SftJob, TrainingJob, read_jsonl, typed
from .models import adapter_base, load_model, load_tokenizer, lora_config
from .render import conversation_ids
from .train import Stage, common_args


def build(training: TrainingJob, hw: Hardware) -> Stage:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    job = typed(training, SftJob)
    model_path = job.model
    tok = load_tokenizer(model_path)
    rows = []
    for n, row in enumerate(read_jsonl(job.data), 1):
        messages = row.get("messages")
        if not isinstance(messages, list):
            raise ValueError(f"sft row {n}: no messages")
        ids, mask = conversation_ids(tok, messages)
        if 1 not in mask:
            raise ValueError(f"sft row {n}: no assistant turn")
        rows.append({"input_ids": ids, "assistant_masks": mask})
    dataset = Dataset.from_list(rows)
    config = SFTConfig(
        **common_args(job, hw),
        num_train_epochs=job.epochs,
        max_length=job.max_length,
        assistant_only_loss=False,  # the assistant_masks column already restricts the loss
        dataset_num_proc=None,
        # batch_rebalance: each step's rows drawn at random, its micro batches split by length (less padding)
        train_sampling_strategy=job.train_sampling,
    )
    trainer = SFTTrainer(
        model=load_model(model_path),
        processing_class=tok,
        train_dataset=dataset,
        args=config,
        peft_config=lora_config(job.lora, adapter_base(model_path) is not None),
    )
    return Stage(trainer, tok)
