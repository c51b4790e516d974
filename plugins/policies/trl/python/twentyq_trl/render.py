"""One rendering of conversations, shared by SFT (training ids) and GRPO (rollout ids).

Everything goes through TRL's Qwen3 *training* template with `enable_thinking=False`: it is
prefix-preserving, so a conversation rendered turn by turn (generation prompt, reply, answer...)
gives the same ids as the whole conversation rendered at once.
"""

from __future__ import annotations

import sys
from typing import Any

from transformers import PreTrainedTokenizerBase
from trl.chat_template_utils import get_training_chat_template, has_generation_markers

Message = dict[str, Any]
TEMPLATE_KWARGS: dict[str, Any] = {"enable_thinking": False}


def training_template(tok: PreTrainedTokenizerBase) -> str:
    """The tokenizer's template when already training-compatible, else TRL's training variant of it."""
    current = tok.chat_template
    if not isinstance(current, str):
        raise ValueError("the tokenizer has no chat template")
    if has_generation_markers(current):
        return current
    patched = get_training_chat_template(tok)
    return current if patched is None else patched


def use_training_template(tok: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    tok.chat_template = training_template(tok)
    return tok


def render(tok: PreTrainedTokenizerBase, messages: list[Message], add_generation_prompt: bool) -> str:
    text = tok.apply_chat_template(
        messages,
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
        chat_template=training_template(tok),
        **TEMPLATE_KWARGS,
    )
    assert isinstance(text, str)
    return text


def encode(tok: PreTrainedTokenizerBase, text: str) -> list[int]:
    return list(tok(text, add_special_tokens=False)["input_ids"])


def conversation_ids(tok: PreTrainedTokenizerBase, messages: list[Message]) -> tuple[list[int], list[int]]:
    """SFT: the ids of a whole conversation and its assistant mask (1 on assistant turns)."""
    out = tok.apply_chat_template(
        messages,
        tokenize=True,
        return_dict=True,
        return_assistant_tokens_mask=True,
        chat_template=training_template(tok),
        **TEMPLATE_KWARGS,
    )
    ids = list(out["input_ids"])
    mask = list(out["assistant_masks"])
    if len(ids) != len(mask):
        raise ValueError("assistant mask and ids differ in length")
    return ids, mask


def prompt_ids(tok: PreTrainedTokenizerBase, messages: list[Message]) -> list[int]:
    """GRPO: the generation prompt of a conversation whose last message is the user's."""
    return encode(tok, render(tok, messages, add_generation_prompt=True))


_mismatch_warnings = 0


def answer_suffix_ids(
    tok: PreTrainedTokenizerBase, before: list[Message], reply: str, answer: Message, end_token: str
) -> list[int]:
    """GRPO: the ids that follow a reply's end token once the environment answers.

    `before` is the conversation the reply answered (ending with a user message). Returns the ids of
    the template text between the reply's end token and the next generation prompt's end, inclusive.
    """
    global _mismatch_warnings
    with_reply = before + [{"role": "assistant", "content": reply}]
    shorter = render(tok, with_reply, add_generation_prompt=False)
    longer = render(tok, with_reply + [answer], add_generation_prompt=True)
    cut = shorter.rfind(end_token)
    if cut < 0 or not longer.startswith(shorter[: cut + len(end_token)]):
        raise ValueError(
            "the chat template is not prefix-preserving: the conversation with the environment's answer does not "
            "start with the conversation before it (use TRL's training template)"
        )
    expected = render(tok, before, add_generation_prompt=True) + reply + end_token
    if shorter[: cut + len(end_token)] != expected and _mismatch_warnings < 5:
        _mismatch_warnings += 1
        sys.stderr.write(
            "warning: the template renders this reply differently from the text generated "
            f"(leading newlines or think tags): {reply[:80]!r}\n"
        )
    return encode(tok, longer[cut + len(end_token) :])
