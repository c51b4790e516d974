"""`tiny`: a Qwen3-architecture causal LM with random weights and a byte-level BPE tokenizer."""

from __future__ import annotations

from pathlib import Path

from .events import emit
from .job import Job

# Qwen2's split pattern: a run of newlines is one pre-token wherever it appears.
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EXTRA_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
# Template text the corpus lines lack (they hold no newlines): counted once per corpus line.
SKELETON = ["\n", "\n\n", ">\n\n", "system\n", "user\n", "assistant\n"]


def build_tokenizer(lines: list[str], vocab_size: int):  # -> PreTrainedTokenizerFast
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
    trainer = trainers.BpeTrainer(
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


def run(job: Job) -> None:
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    corpus = Path(job.str("corpus"))
    out = Path(job.str("output_dir"))
    seed = job.int("seed", 0)
    threads = job.get("threads")
    if threads is not None:
        torch.set_num_threads(int(threads))
    lines = [line.rstrip("\r\n") for line in corpus.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    emit("start", steps=0)
    tok = build_tokenizer(lines, job.int("vocab_size", 2048))
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    hidden = job.int("hidden_size", 128)
    heads = job.int("heads", 4)
    cfg = Qwen3Config(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=job.int("intermediate_size", 512),
        num_hidden_layers=job.int("layers", 4),
        num_attention_heads=heads,
        num_key_value_heads=job.int("kv_heads", 2),
        head_dim=job.int("head_dim", hidden // heads),
        max_position_embeddings=job.int("max_position_embeddings", 2048),
        tie_word_embeddings=True,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(cfg)
    model.save_pretrained(out)
    GenerationConfig(eos_token_id=eos, pad_token_id=tok.pad_token_id, do_sample=True).save_pretrained(out)
    emit("done", model=str(out), stopped=False, step=0)
