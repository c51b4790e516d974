from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CONVERSATION, logs, sft_job, write_jsonl


def test_sft_loss_falls_and_model_reproduces_reply(sft_run: tuple[Path, list[dict[str, Any]]]) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from twentyq_trl.render import prompt_ids

    final, events = sft_run
    assert [e["event"] for e in events[:2]] == ["process", "start"] and events[1]["steps"] == 96
    assert events[-1] == {"event": "done", "model": str(final), "stopped": False, "step": 96}
    steps = logs(events)
    assert [e["step"] for e in steps] == list(range(1, 97))
    assert all(k in steps[-1] for k in ("loss", "learning_rate", "grad_norm", "epoch", "tokens_per_s"))
    first, last = steps[0]["loss"], steps[-1]["loss"]
    assert last < first * 0.05, (first, last)

    tok = AutoTokenizer.from_pretrained(final)
    assert "{%- generation %}" in tok.chat_template  # the training template travels with the model
    model = AutoModelForCausalLM.from_pretrained(final)
    for n in (2, 4):
        ids = torch.tensor([prompt_ids(tok, CONVERSATION[:n])])
        out = model.generate(ids, max_new_tokens=16, do_sample=False, eos_token_id=tok.eos_token_id)
        reply = tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        assert reply == CONVERSATION[n]["content"]


def test_batch_rebalance_keeps_each_steps_rows_and_pads_less(tiny_model: Path, tmp_path: Path) -> None:
    """train_sampling: batch_rebalance splits each optimiser step's rows into micro batches by length (the
    step still takes batch_size rows, drawn at random); group_by_length batches rows of one length."""
    from twentyq_trl import sft
    from twentyq_trl.job import Hardware, parse

    # rows of three lengths, interleaved: a random micro batch of 2 often mixes them
    rows = [{"messages": CONVERSATION[:n]} for n in (3, 5, 7)] * 16
    data = write_jsonl(tmp_path / "mixed.jsonl", rows)

    def batches(sampling: str) -> tuple[float, list[int]]:
        fields = sft_job(tiny_model, tmp_path / sampling, data, batch_size=4, micro_batch_size=2, train_sampling=sampling)
        trainer = sft.build(parse("sft", fields), Hardware("cpu", "fp32")).trainer
        assert trainer.args.train_sampling_strategy == sampling and trainer.args.gradient_accumulation_steps == 2
        padded = real = 0
        sizes = []
        for batch in trainer.get_train_dataloader():
            padded += batch["input_ids"].numel()
            real += int(batch["attention_mask"].sum())
            sizes.append(batch["input_ids"].shape[0])
        # rows per optimiser step: its two micro batches together
        return padded / real, [a + b for a, b in zip(sizes[::2], sizes[1::2], strict=True)]

    (random, random_steps), (rebalanced, steps), (grouped, _) = (batches(s) for s in ("random", "batch_rebalance", "group_by_length"))
    assert random_steps == steps == [4] * 12
    assert rebalanced < random and grouped < random, (random, rebalanced, grouped)
