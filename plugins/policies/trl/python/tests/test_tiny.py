from __future__ import annotations

from pathlib import Path

from conftest import build_tiny


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_weights(tmp_path: Path) -> None:
    a = files(build_tiny(tmp_path / "a", seed=7))
    b = files(build_tiny(tmp_path / "b", seed=7))
    c = files(build_tiny(tmp_path / "c", seed=8))
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= set(a)
    assert a == b
    assert a["model.safetensors"] != c["model.safetensors"]
    assert a["tokenizer.json"] == c["tokenizer.json"]


def test_tokenizer_and_template(tiny_model: Path) -> None:
    from transformers import AutoTokenizer, GenerationConfig
    from trl.chat_template_utils import qwen3_chat_template

    tok = AutoTokenizer.from_pretrained(tiny_model)
    assert tok.chat_template == qwen3_chat_template
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    for token in ["<|im_start|>", "<tool_call>", "</tool_call>", "<think>", "</think>"]:
        assert tok.convert_ids_to_tokens(tok.convert_tokens_to_ids(token)) == token
    gen = GenerationConfig.from_pretrained(tiny_model)
    assert gen.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")
    text = 'Is it a mammal? {"name": "ask"} No.\n\nIt is big.'
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_newline_run_is_one_token_everywhere(tiny_model: Path) -> None:
    from transformers import AutoTokenizer

    from twentyq_trl.render import encode

    tok = AutoTokenizer.from_pretrained(tiny_model)
    end = encode(tok, "</think>\n\n")
    before = encode(tok, "</think>\n\nIs it a mammal?")
    assert before[: len(end)] == end
    assert len(encode(tok, "\n\n")) == 1
    assert encode(tok, "Yes.\n\nIt")[:-1] == encode(tok, "Yes.\n\n")
