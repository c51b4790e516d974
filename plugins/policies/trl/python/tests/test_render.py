"""SFT's rendering and GRPO's turn-by-turn assembly give the same ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import CONVERSATION


@pytest.fixture(scope="module")
def tok(tiny_model: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def test_generation_prompts_are_prefixes(tok: Any) -> None:
    from twentyq_trl.render import conversation_ids, prompt_ids

    full, mask = conversation_ids(tok, CONVERSATION)
    for n, message in enumerate(CONVERSATION):
        if message["role"] == "assistant":
            prefix = prompt_ids(tok, CONVERSATION[:n])
            assert full[: len(prefix)] == prefix
            assert mask[len(prefix) - 1] in (0, 1)


class ScriptedPolicy:
    """Stands in for sampling: replies with the canonical tokens of the conversation's assistant turns."""

    def __init__(self, tok: Any) -> None:
        from twentyq_trl.render import encode

        self.replies = [encode(tok, m["content"]) + [tok.eos_token_id] for m in CONVERSATION if m["role"] == "assistant"]
        self.turn = 0

    def __call__(self, model: Any, tok: Any, contexts: list[list[int]], budget: int, temperature: float) -> Any:
        reply = self.replies[self.turn]
        self.turn += 1
        return [(reply, [-1.0] * len(reply)) for _ in contexts]


class ConversationEnv:
    """Answers with the conversation's user turns; ends after the last assistant turn."""

    def __init__(self) -> None:
        self.turn = 0

    def reset(self, key: str, step: int | None = None) -> tuple[Any, list[dict[str, str]]]:
        return 1, CONVERSATION[:2]

    def step(self, game_id: Any, reply: str) -> dict[str, Any]:
        self.turn += 1
        answers = [m for m in CONVERSATION[2:] if m["role"] == "user"]
        if self.turn > len(answers):
            return {"done": True, "reward": 0.5, "outcome": "win", "questions": self.turn}
        return {"done": False, "message": answers[self.turn - 1]}


def test_rollout_assembles_the_sft_ids(tok: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from twentyq_trl import grpo
    from twentyq_trl.render import conversation_ids, encode

    monkeypatch.setattr(grpo, "sample", ScriptedPolicy(tok))
    rollout = grpo.Rollout(ConversationEnv(), max_new_tokens=32, max_completion_length=512, temperature=1.0)  # type: ignore[arg-type]
    [game] = rollout.play(["k"], grpo.ModelGenerate(None, tok, 1.0), tok)
    full, assistant = conversation_ids(tok, CONVERSATION)
    assert game.reward == 0.5 and game.outcome == "win" and game.questions == 3
    # the whole conversation rendered at once ends "<|im_end|>\n"; the game ends at the last <|im_end|>
    assert game.prompt + game.completion + encode(tok, "\n") == full
    assert len(game.env_mask) == len(game.completion) == len(game.logprobs)
    # env_mask: 1 exactly on the replies' tokens, 0 on the answers' template text
    ones = [t for t, m in zip(game.completion, game.env_mask, strict=True) if m == 1]
    replies = [t for m in CONVERSATION if m["role"] == "assistant" for t in encode(tok, m["content"]) + [tok.eos_token_id]]
    assert ones == replies
    masked = tok.decode([t for t, m in zip(game.completion, game.env_mask, strict=True) if m == 0])
    assert "<|im_start|>user\nYes.<|im_end|>" in masked and "No.\n\nIt is big." in masked
    assert "mammal" not in masked
    assert all(lp == 0.0 for lp, m in zip(game.logprobs, game.env_mask, strict=True) if m == 0)


def test_game_past_max_completion_length_is_abandoned(tok: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from twentyq_trl import grpo

    monkeypatch.setattr(grpo, "sample", ScriptedPolicy(tok))
    rollout = grpo.Rollout(ConversationEnv(), max_new_tokens=32, max_completion_length=20, temperature=1.0)  # type: ignore[arg-type]
    [game] = rollout.play(["k"], grpo.ModelGenerate(None, tok, 1.0), tok)
    assert game.abandoned and game.reward == 0.0 and game.outcome == "loss"
    assert len(game.completion) <= 20
