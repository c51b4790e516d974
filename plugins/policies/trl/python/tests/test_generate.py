"""One rollout loop whatever generates the moves: model.generate or TRL's vLLM integration.

vLLM does not run here (no GPU); `FakeVllm` stands in for `trainer.vllm_generation` with the interface
trl 1.13 gives it (trl/generation/vllm_generation.py: generate(prompts, images, num_generations) ->
(prompt_ids, completion_ids, logprobs per token as lists of one, logprob_token_ids), its budget read
from `max_completion_length` on each call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import CONVERSATION


@pytest.fixture(scope="module")
def tok(tiny_model: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model, padding_side="left")


def replies(tok: Any) -> list[list[int]]:
    from twentyq_trl.render import encode

    return [encode(tok, m["content"]) + [tok.eos_token_id] for m in CONVERSATION if m["role"] == "assistant"]


def logprob(context: list[int], n: int) -> float:
    """A made-up logprob that depends on the game (its context) and the token's place: a swap shows."""
    return -((len(context) * 7 + n) % 13 + 1) / 10


class FakeVllm:
    mode = "colocate"
    tensor_parallel_size = 1

    def __init__(self, tok: Any) -> None:
        self.script = replies(tok)
        self.turn = 0
        self.max_completion_length = 0
        self.calls: list[tuple[int, int]] = []  # (prompts, budget) of each call

    def generate(self, prompts: list[list[int]], images: Any, num_generations: int) -> tuple[Any, ...]:
        assert images is None and num_generations == 1
        self.calls.append((len(prompts), self.max_completion_length))
        reply = self.script[min(self.turn, len(self.script) - 1)][: self.max_completion_length]
        self.turn += 1
        logprobs = [[[logprob(p, n)] for n in range(len(reply))] for p in prompts]
        return prompts, [list(reply) for _ in prompts], logprobs, None


class Env:
    """Answers with the conversation's user turns; each game ends after the last assistant turn."""

    def __init__(self) -> None:
        self.turns: dict[int, int] = {}

    def reset(self, key: str, step: int | None = None) -> tuple[Any, list[dict[str, str]]]:
        game = len(self.turns)
        self.turns[game] = 0
        return game, [CONVERSATION[0], {"role": "user", "content": f"{CONVERSATION[1]['content']} ({key})"}]

    def step(self, game_id: Any, reply: str) -> dict[str, Any]:
        self.turns[game_id] += 1
        answers = [m for m in CONVERSATION[2:] if m["role"] == "user"]
        if self.turns[game_id] > len(answers):
            return {"done": True, "reward": 0.5 + game_id, "outcome": "win", "questions": self.turns[game_id]}
        return {"done": False, "message": answers[self.turns[game_id] - 1]}


def scripted_sample(tok: Any) -> Any:
    script = replies(tok)
    turn = [0]

    def sample(model: Any, tok_: Any, contexts: list[list[int]], budget: int, temperature: float) -> list[tuple[list[int], list[float]]]:
        reply = script[min(turn[0], len(script) - 1)][:budget]
        turn[0] += 1
        return [(list(reply), [logprob(c, n) for n in range(len(reply))]) for c in contexts]

    return sample


def test_vllm_and_model_generate_give_the_same_games(tok: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from twentyq_trl import grpo

    monkeypatch.setattr(grpo, "sample", scripted_sample(tok))
    keys = ["owl", "owl", "eel"]
    by_model = grpo.Rollout(Env(), max_new_tokens=32, max_completion_length=512, temperature=1.0).play(  # type: ignore[arg-type]
        keys, grpo.ModelGenerate(None, tok, 1.0), tok
    )
    vllm = FakeVllm(tok)
    by_vllm = grpo.Rollout(Env(), max_new_tokens=32, max_completion_length=512, temperature=1.0).play(  # type: ignore[arg-type]
        keys, grpo.VllmGenerate(vllm, tok.eos_token_id, collective=False), tok
    )
    assert [(g.prompt, g.completion, g.env_mask, g.logprobs, g.reward) for g in by_vllm] == [
        (g.prompt, g.completion, g.env_mask, g.logprobs, g.reward) for g in by_model
    ]
    # the games differ (their prompts name their keys), and the logprobs are the generator's, on sampled tokens only
    assert by_vllm[0].prompt != by_vllm[2].prompt and [g.reward for g in by_vllm] == [0.5, 1.5, 2.5]
    for g in by_vllm:
        assert len(g.completion) == len(g.env_mask) == len(g.logprobs)
        assert all(lp < 0 for lp, m in zip(g.logprobs, g.env_mask, strict=True) if m == 1)
        assert all(lp == 0 for lp, m in zip(g.logprobs, g.env_mask, strict=True) if m == 0)
    # one call per turn for all live games, each with a move's budget (not the whole completion's)
    assert vllm.calls == [(3, 32)] * 3


def test_a_collective_vllm_call_is_made_by_every_process_with_equal_counts(tok: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server mode: another process (faked through gather) has 5 live games and a smaller budget for two
    more turns than this one; this process pads its call to 5 prompts and keeps calling while it has none."""
    from twentyq_trl import grpo

    other_live = [True, True, True, True, True, False]  # the other process's games, turn by turn
    turn = [0]

    def gather(value: Any) -> list[Any]:
        live = other_live[min(turn[0], len(other_live) - 1)]
        if isinstance(value, bool):
            return [value, live]
        turn[0] += 1
        return [value, (5 if live else 0, 20)]

    monkeypatch.setattr(grpo, "gather", gather)
    vllm = FakeVllm(tok)
    games = grpo.Rollout(Env(), max_new_tokens=32, max_completion_length=512, temperature=1.0).play(  # type: ignore[arg-type]
        ["owl", "eel"], grpo.VllmGenerate(vllm, tok.eos_token_id, collective=True), tok
    )
    # this process's games end after 3 turns; it calls twice more with padding only, for the other's games
    assert vllm.calls == [(5, 20)] * 5
    assert all(g.done for g in games) and len(games) == 2
    # the budget is everyone's smallest: replies are cut at 20 tokens, and the cut shows in the completion
    assert all(sum(g.env_mask) <= 3 * 20 for g in games)
