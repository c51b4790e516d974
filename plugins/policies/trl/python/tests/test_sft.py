from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CONVERSATION, logs


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
