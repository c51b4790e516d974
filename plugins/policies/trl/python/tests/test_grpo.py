from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import GRPO_ROLLOUT, base_job, logs, run_cli, write_jsonl
from envserver import ScriptedEnv, serve


def test_grpo_reports_the_environment_rewards(sft_run: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    env = ScriptedEnv(moves=2)
    server, url = serve(env)
    try:
        data = write_jsonl(tmp_path / "grpo.jsonl", [{"prompt": "a"}, {"prompt": "b"}])
        job = base_job(
            sft_run[0], tmp_path / "grpo.model", data,
            env_url=url, steps=2, num_generations=2, targets_per_step=2, temperature=1.0,
            beta=0.04, epsilon=0.2, max_new_tokens=12, learning_rate=1e-4, save_steps=1, scale_rewards="batch", **GRPO_ROLLOUT,
        )
        del job["epochs"]  # grpo takes steps
        rc, events, err = run_cli("grpo", job, tmp_path)
    finally:
        server.shutdown()
    assert rc == 0, err[-3000:]
    # the process says who it is first (one process: rank 0), then the trainer starts
    assert events[0]["event"] == "process" and events[0]["rank"] == 0 and isinstance(events[0]["pid"], int)
    assert events[1] == {"event": "start", "steps": 2}
    steps = logs(events)
    assert [e["step"] for e in steps] == [1, 2]
    finished = env.finished
    assert len(finished) == 8  # 2 steps x 2 targets x 2 games
    # each game is started with the trainer's step, so that a resumed stage plays new games
    assert [env.games[g["id"]]["step"] for g in finished] == [0] * 4 + [1] * 4
    for n, e in enumerate(steps):
        games = finished[4 * n : 4 * n + 4]
        assert e["reward"] == pytest.approx(sum(g["reward"] for g in games) / 4, abs=1e-6)
        assert e["success"] == pytest.approx(sum(g["outcome"] == "win" for g in games) / 4)
        assert e["avg_questions"] == pytest.approx(2.0)
        assert "kl" in e and "reward_std" in e
        # every group's two games scored 0.25 apart; no move was invalid
        assert e["zero_spread"] == 0.0 and e["invalid_rate"] == 0.0
        assert e["reward_spread"] == pytest.approx(0.25 / 2**0.5)
        assert 0.0 <= e["clipped"] <= 1.0
    # the figures that tell whether a step can teach come first, for the progress line
    assert list(steps[0])[2:8] == ["success", "zero_spread", "clipped", "invalid_rate", "kl", "reward_spread"]
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [1, 2]
    assert events[-1]["event"] == "done" and events[-1]["stopped"] is False
    assert (tmp_path / "grpo.model" / "final" / "model.safetensors").is_file()
    # the job's scale_rewards reaches TRL (the trainer's own arguments, as saved with its checkpoints)
    import torch

    args = torch.load(tmp_path / "grpo.model" / "checkpoints" / "checkpoint-2" / "training_args.bin", weights_only=False)
    assert args.scale_rewards == "batch"


def test_rollout_masks_the_answers_with_the_real_model(sft_run: tuple[Path, list[dict[str, Any]]]) -> None:
    """Real sampling: env_mask 0 exactly on the answers' template text, 1 on sampled tokens with real logprobs."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from twentyq_trl.envclient import EnvClient
    from twentyq_trl.grpo import ModelGenerate, Rollout

    env = ScriptedEnv(moves=3)
    server, url = serve(env)
    try:
        tok = AutoTokenizer.from_pretrained(sft_run[0], padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(sft_run[0])
        rollout = Rollout(EnvClient(url), max_new_tokens=12, max_completion_length=400, temperature=1.0)
        games = rollout.play(["a", "a", "b"], ModelGenerate(model, tok, 1.0), tok)
    finally:
        server.shutdown()
    assert [g.reward for g in games] == [g["reward"] for g in sorted(env.finished, key=lambda r: r["id"])]
    for g in games:
        assert not g.abandoned and g.questions == 3
        runs: list[tuple[int, list[int]]] = []
        for token, m in zip(g.completion, g.env_mask, strict=True):
            if runs and runs[-1][0] == m:
                runs[-1][1].append(token)
            else:
                runs.append((m, [token]))
        assert [m for m, _ in runs] == [1, 0, 1, 0, 1]
        # each move's span is its run of sampled tokens (what move_regret credits)
        mask = g.env_mask
        starts = [i for i, m in enumerate(mask) if m == 1 and (i == 0 or mask[i - 1] == 0)]
        ends = [i + 1 for i, m in enumerate(mask) if m == 1 and (i + 1 == len(mask) or mask[i + 1] == 0)]
        assert g.spans == list(zip(starts, ends, strict=True))
        answers = [tok.decode(ids) for m, ids in runs if m == 0]
        assert "<|im_start|>user\nYes.<|im_end|>" in answers[0]
        assert "<|im_start|>user\nNo.<|im_end|>" in answers[1]
        assert all(a.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n") for a in answers)
        sampled = [lp for lp, m in zip(g.logprobs, g.env_mask, strict=True) if m == 1]
        assert all(lp <= 0.0 for lp in sampled) and any(lp < 0.0 for lp in sampled)
        assert all(lp == 0.0 for lp, m in zip(g.logprobs, g.env_mask, strict=True) if m == 0)


def _play(env: ScriptedEnv, run: Path, keys: list[str], group: int, **limits: int) -> dict[str, float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from twentyq_trl.envclient import EnvClient
    from twentyq_trl.grpo import ModelGenerate, Rollout

    torch.manual_seed(0)  # the sampled moves, so that the figures are the same every run
    server, url = serve(env)
    try:
        tok = AutoTokenizer.from_pretrained(run, padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(run)
        rollout = Rollout(EnvClient(url), temperature=1.0, group_size=group, **limits)
        rollout.stats.add(rollout.play(keys, ModelGenerate(model, tok, 1.0), tok))
        return rollout.stats.figures()
    finally:
        server.shutdown()


def test_figures_show_groups_with_equal_rewards(sft_run: tuple[Path, list[dict[str, Any]]]) -> None:
    figures = _play(ScriptedEnv(moves=2, reward=0.5, invalid=1), sft_run[0], ["a", "a", "a", "b", "b", "b"], 3, max_new_tokens=12, max_completion_length=400)
    assert figures["zero_spread"] == 1.0 and figures["reward_spread"] == 0.0
    assert figures["invalid_rate"] == pytest.approx(0.5)  # 1 of each game's 2 moves
    varied = _play(ScriptedEnv(moves=2), sft_run[0], ["a", "a", "b", "b"], 2, max_new_tokens=12, max_completion_length=400)
    assert varied["zero_spread"] == 0.0 and varied["reward_spread"] > 0.0


def test_figures_show_games_cut_at_a_token_limit(sft_run: tuple[Path, list[dict[str, Any]]]) -> None:
    # one token a move: no move reaches its end token
    moves = _play(ScriptedEnv(moves=2), sft_run[0], ["a", "a"], 2, max_new_tokens=1, max_completion_length=400)
    assert moves["clipped"] == 1.0
    # the game's own limit: abandoned before its end, scored a loss
    games = _play(ScriptedEnv(moves=3), sft_run[0], ["a", "a"], 2, max_new_tokens=12, max_completion_length=8)
    assert games["clipped"] == 1.0 and games["success"] == 0.0


def test_move_advantages_credit_each_move_by_its_regret() -> None:
    from twentyq_trl.grpo import Game, move_advantages

    def game(spans: list[tuple[int, int]], regrets: list[float] | None, abandoned: bool = False) -> Game:
        return Game("a", 1, [], [], spans=spans, regrets=regrets, abandoned=abandoned)

    # two games of two moves each, tokens 0-1 and 3-4 (token 2 is the environment's answer)
    games = [game([(0, 2), (3, 5)], [0.0, 1.0]), game([(0, 2), (3, 5)], [0.0, 3.0]), game([(0, 3)], None, abandoned=True)]
    rows = move_advantages([1.0, -1.0, 0.5], games, 0.5, 6)
    # mean regret per move 1.0: a move of regret 0 gains 0.5, of regret 3 loses 1.0, of regret 1 nothing
    assert rows[0] == [1.5, 1.5, 1.0, 1.0, 1.0, 1.0]
    assert rows[1] == [-0.5, -0.5, -1.0, -2.0, -2.0, -1.0]
    assert rows[2] == [0.5] * 6  # abandoned: the game's advantage alone
    with pytest.raises(ValueError, match="move_regret needs the regret of each move"):
        move_advantages([0.0], [game([(0, 2)], None)], 0.5, 4)
    with pytest.raises(ValueError, match="has 2 moves but 1 regrets"):
        move_advantages([0.0], [game([(0, 2), (3, 4)], [0.0])], 0.5, 4)


def test_grpo_with_move_regret_trains_on_the_environments_regrets(sft_run: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    """move_regret: the rollout keeps each move's tokens and regret; without regrets from the environment the stage fails, saying why."""
    data = write_jsonl(tmp_path / "grpo.jsonl", [{"prompt": "a"}, {"prompt": "b"}])

    def run(env: ScriptedEnv, folder: Path) -> tuple[int, list[dict[str, Any]], str]:
        server, url = serve(env)
        try:
            job = base_job(
                sft_run[0], folder / "grpo.model", data,
                env_url=url, steps=1, num_generations=2, targets_per_step=2, temperature=1.0,
                beta=0.0, epsilon=0.2, max_new_tokens=12, learning_rate=1e-4, save_steps=10, scale_rewards="batch",
                **{**GRPO_ROLLOUT, "move_regret": 0.5},
            )
            del job["epochs"]
            folder.mkdir()
            return run_cli("grpo", job, folder)
        finally:
            server.shutdown()

    rc, events, err = run(ScriptedEnv(moves=2, regrets=[0.0, 1.5]), tmp_path / "with")
    assert rc == 0, err[-3000:]
    assert [e["step"] for e in logs(events)] == [1] and events[-1]["event"] == "done"
    rc, events, err = run(ScriptedEnv(moves=2), tmp_path / "without")
    assert rc != 0 and "move_regret needs the regret of each move" in err, err[-2000:]
