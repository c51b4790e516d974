from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CONVERSATION, base_job, logs, run_cli, write_jsonl


def test_dpo_lora_raises_margin_and_merge_matches(
    sft_run: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from twentyq_trl.render import conversation_ids

    sft_final, _ = sft_run
    rows = [
        {
            "prompt": CONVERSATION[:4],
            "chosen": [{"role": "assistant", "content": "Does it have four legs?"}],
            "rejected": [{"role": "assistant", "content": "Does it live in water?"}],
        }
    ] * 16
    data = write_jsonl(tmp_path / "dpo.jsonl", rows)
    lora = {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"}
    job = base_job(sft_final, tmp_path / "dpo.model", data, lora=lora, beta=0.1, learning_rate=5e-3, epochs=2, batch_size=4)
    rc, events, err = run_cli("dpo", job, tmp_path)
    assert rc == 0, err[-3000:]
    steps = logs(events)
    assert len(steps) == 8
    assert all("margin" in e and "accuracy" in e for e in steps)
    assert steps[-1]["margin"] > steps[0]["margin"], [e["margin"] for e in steps]
    adapter = tmp_path / "dpo.model" / "final"
    assert (adapter / "adapter_config.json").is_file()

    rc, events, err = run_cli("merge", {"adapter": str(adapter), "output_dir": str(tmp_path / "merged")}, tmp_path)
    assert rc == 0, err[-3000:]
    assert events[-1]["event"] == "done" and events[-1]["model"] == str(tmp_path / "merged")
    tok = AutoTokenizer.from_pretrained(tmp_path / "merged")
    assert "{%- generation %}" in tok.chat_template
    ids = torch.tensor([conversation_ids(tok, CONVERSATION)[0]])
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    with_adapter = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(sft_final), adapter)
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, with_adapter(ids).logits, atol=1e-4)
