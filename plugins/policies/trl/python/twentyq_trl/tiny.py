"""`tiny`: a Qwen3-architecture causal LM with random weights and a byte-level BPE tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .events import emit
from .job import TinyJob

# Qwen2's split pattern: a run of newlines is one pre-token wherever it appears.
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EXTRA_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
# Template text the corpus lines lack (they hold no newlines): counted once per corpus line.
SKELETON = ["\n", "\n\n", ">\n\n", "system\n", "user\n", "assistant\n"]


def build_tokenizer(lines: list[str], vocab_size: int) -> Any:  # a PreTrainedTokenizerFast
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen3_chat_template

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(  # type: ignore[no-untyped-call]  # tokenizers ships no types for its trainers
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = list(lines) + SKELETON * max(1, len(lines))
    tok.train_from_iterator(texts, trainer)
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    hf.add_tokens(EXTRA_TOKENS)
    hf.chat_template = qwen3_chat_template
    return hf


def run(job: TinyJob) -> None:
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    corpus = Path(job.corpus)
    out = Path(job.output_dir)
    lines = [line.rstrip("\r\n") for line in corpus.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    emit("start", steps=0)
    tok = build_tokenizer(lines, job.vocab_size)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    cfg = Qwen3Config(
        vocab_size=len(tok),
        hidden_size=job.hidden_size,
        intermediate_size=job.intermediate_size,
        num_hidden_layers=job.layers,
        num_attention_heads=job.heads,
        num_key_value_heads=job.kv_heads,
        head_dim=job.hidden_size // job.heads,
        max_position_embeddings=job.max_position_embeddings,
        tie_word_embeddings=True,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(job.seed)
    model = Qwen3ForCausalLM(cfg)
    model.save_pretrained(out)
    GenerationConfig(eos_token_id=eos, pad_token_id=tok.pad_token_id, do_sample=True).save_pretrained(out)
    emit("done", model=str(out), stopped=False, step=0)
