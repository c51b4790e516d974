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


def test_group_by_length_batches_rows_of_about_one_length(tiny_model: Path, tmp_path: Path) -> None:
    """group_by_length: the trainer's batches carry less padding than random ones, on the same rows."""
    from twentyq_trl import sft
    from twentyq_trl.job import Hardware, parse

    # rows of three lengths, interleaved: a random batch of 4 mixes them, a grouped one mostly not
    rows = [{"messages": CONVERSATION[:n]} for n in (3, 5, 7)] * 16
    data = write_jsonl(tmp_path / "mixed.jsonl", rows)

    def padding(group: bool) -> float:
        job = parse("sft", sft_job(tiny_model, tmp_path / f"sft-{group}", data, batch_size=4, group_by_length=group))
        trainer = sft.build(job, Hardware("cpu", "fp32")).trainer
        assert trainer.args.train_sampling_strategy == ("group_by_length" if group else "random")
        padded = real = 0
        for batch in trainer.get_train_dataloader():
            padded += batch["input_ids"].numel()
            real += int(batch["attention_mask"].sum())
        return padded / real

    # transformers sorts megabatches of a few batches (here 12 rows) by length: less than half the padding
    grouped, mixed = padding(True), padding(False)
    assert mixed > 1.2 and grouped - 1 < (mixed - 1) / 2, (grouped, mixed)
