"""`grpo`: GRPOTrainer whose rollout_func plays whole games against the TypeScript environment.

One completion per received prompt (a target key; TRL repeats each key `num_generations` times).
A game's completion is: reply tokens as sampled (env_mask 1, their sampling logprobs), then the
template text carrying the environment's answer up to the next generation prompt (env_mask 0,
logprob 0), and so on; it ends with the last reply's end token. A game that would pass
`max_completion_length` is abandoned: no more steps are posted and it scores reward 0, outcome loss.

The replies come from a `Generate`: `model.generate` on this process's games, or TRL's vLLM integration
(colocate, or a `trl vllm-serve` server whose weights the trainer syncs before each rollout). Either way
the same loop builds the turns, masks and logprobs from the tokens actually generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .envclient import EnvClient
from .events import log
from .job import GrpoJob, Hardware, TrainingJob, read_jsonl, typed
from .models import adapter_base, load_model, load_tokenizer, lora_config
from .ranks import gather, is_main
from .render import answer_suffix_ids, prompt_ids
from .train import Stage, common_args


@dataclass
class Game:
    key: str
    id: Any
    messages: list[dict[str, Any]]
    prompt: list[int]
    completion: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    done: bool = False
    reward: float = 0.0
    outcome: str = "loss"
    questions: int = 0
    invalid: int = 0
    abandoned: bool = False
    # a move ran out of max_new_tokens before its end token (its text is cut)
    cut: bool = False
    # each move's tokens in the completion, [start, end), and the exact regret of each turn (from the environment)
    spans: list[tuple[int, int]] = field(default_factory=list)
    regrets: list[float] | None = None

    @property
    def context(self) -> list[int]:
        return self.prompt + self.completion


@dataclass
class RolloutStats:
    """The games of the steps since the last log, for the step's figures: how the games went (success,
    avg_questions) and whether they can teach anything (GRPO's silent failures: groups whose rewards are
    all equal have no advantage; games cut at a token limit score as losses whatever the model did)."""

    group_size: int = 1
    games: list[Game] = field(default_factory=list)

    def add(self, games: list[Game]) -> None:
        self.games.extend(games)

    def figures(self) -> dict[str, float]:
        games, self.games = self.games, []
        if not games:
            return {}
        moves = sum(g.questions for g in games if not g.abandoned)
        groups = [games[i : i + self.group_size] for i in range(0, len(games), self.group_size)]
        spreads = [_std([g.reward for g in group]) for group in groups]
        return {
            "success": sum(g.outcome == "win" for g in games) / len(games),
            "avg_questions": sum(g.questions for g in games) / len(games),
            # share of groups whose games all scored alike (no advantage, no gradient)
            "zero_spread": sum(s < 1e-9 for s in spreads) / len(groups),
            # share of games cut at a token limit: the game's (max_completion_length) or a move's (max_new_tokens)
            "clipped": sum(g.abandoned or g.cut for g in games) / len(games),
            "invalid_rate": sum(g.invalid for g in games if not g.abandoned) / moves if moves else 0.0,
            # the reward's spread within a group, on average: what the advantages are made of
            "reward_spread": sum(spreads) / len(spreads),
        }


def _std(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


def sample(
    model: Any, tok: Any, contexts: list[list[int]], max_new_tokens: int, temperature: float
) -> list[tuple[list[int], list[float]]]:
    """One reply per context (left-padded batch): its tokens up to and including the end token, and the
    log-probabilities they were sampled with (under the temperature-scaled distribution)."""
    import torch

    pad_id = tok.pad_token_id
    eos_id = tok.eos_token_id
    width = max(len(c) for c in contexts)
    device = next(model.parameters()).device
    input_ids = torch.tensor([[pad_id] * (width - len(c)) + c for c in contexts], device=device)
    attention = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts], device=device)
    sampling: dict[str, Any] = (
        {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
        if temperature > 0
        else {"do_sample": False}
    )
    with torch.no_grad():
        out = model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            max_new_tokens=max_new_tokens,
            eos_token_id=eos_id,
            pad_token_id=pad_id,
            output_scores=True,
            return_dict_in_generate=True,
            **sampling,
        )
    new = out.sequences[:, width:]
    scores = torch.stack(out.scores, dim=1).float()  # [batch, new tokens, vocab], after temperature
    logps = torch.log_softmax(scores, dim=-1).gather(-1, new.unsqueeze(-1)).squeeze(-1)
    results = []
    for row, row_logps in zip(new.tolist(), logps.tolist(), strict=True):
        end = row.index(eos_id) + 1 if eos_id in row else len(row)
        results.append((row[:end], row_logps[:end]))
    return results


Reply = tuple[list[int], list[float]]


class Generate(Protocol):
    """One reply per context: its tokens up to and including the end token, and their sampling logprobs."""

    def __call__(self, contexts: list[list[int]], max_new_tokens: int) -> list[Reply]: ...

    def more(self, live: bool) -> bool:
        """Whether another turn is played: this process has live games, or (a collective generation) any has."""
        ...


class ModelGenerate:
    """`model.generate` on this process's games (the CPU, or a GPU without vLLM)."""

    def __init__(self, model: Any, tok: Any, temperature: float) -> None:
        self.model = model
        self.tok = tok
        self.temperature = temperature

    def __call__(self, contexts: list[list[int]], max_new_tokens: int) -> list[Reply]:
        return sample(self.model, self.tok, contexts, max_new_tokens, self.temperature)

    def more(self, live: bool) -> bool:
        return live


class VllmGenerate:
    """TRL's vLLM generation (`trainer.vllm_generation`, trl/generation/vllm_generation.py), one turn of
    every live game at a time. In server mode (and colocated across several GPUs) it is a collective call
    that slices the answers by an equal count per process: every process calls it on every turn while any
    has a live game, with its contexts padded to the largest count, and all with the smallest budget."""

    def __init__(self, vllm_generation: Any, eos_id: int, collective: bool) -> None:
        self.vllm = vllm_generation
        self.collective = collective
        self.pad = [eos_id]  # the prompt of a process's empty places in a collective call

    def __call__(self, contexts: list[list[int]], max_new_tokens: int) -> list[Reply]:
        width = len(contexts)
        if self.collective:
            shares = gather((len(contexts), max_new_tokens))
            width = max(n for n, _ in shares)
            max_new_tokens = min(b for n, b in shares if n > 0)
        # read by generate() on each call: a move's budget, not the whole completion's
        self.vllm.max_completion_length = max_new_tokens
        padded = contexts + [self.pad] * (width - len(contexts))
        _, completions, logprobs, _ = self.vllm.generate(prompts=padded, images=None, num_generations=1)
        return [
            (list(ids), [float(lp[0]) for lp in lps])
            for ids, lps in zip(completions[: len(contexts)], logprobs[: len(contexts)], strict=True)
        ]

    def more(self, live: bool) -> bool:
        return any(gather(live)) if self.collective else live


def generator(trainer: Any, temperature: float) -> Generate:
    """The trainer's own way to generate: vLLM when the trainer was made with use_vllm, else its model."""
    if getattr(trainer, "use_vllm", False):
        vllm = trainer.vllm_generation
        collective = vllm.mode == "server" or getattr(vllm, "tensor_parallel_size", 1) > 1
        return VllmGenerate(vllm, trainer.processing_class.eos_token_id, collective)
    return ModelGenerate(trainer.accelerator.unwrap_model(trainer.model), trainer.processing_class, temperature)


class Rollout:
    def __init__(
        self,
        env: EnvClient,
        max_new_tokens: int,
        max_completion_length: int,
        temperature: float,
        group_size: int = 1,
    ) -> None:
        self.env = env
        self.max_new_tokens = max_new_tokens
        self.max_completion_length = max_completion_length
        self.temperature = temperature
        self.stats = RolloutStats(group_size)
        # this process's games of the latest generation batch, in the order of its rows
        self.last: list[Game] = []

    def play(self, keys: list[str], generate: Generate, tok: Any, step: int | None = None) -> list[Game]:
        end_token = tok.eos_token
        games = []
        for key in keys:
            game_id, messages = self.env.reset(str(key), step)
            games.append(Game(str(key), game_id, messages, prompt_ids(tok, messages)))
        while True:
            live = [g for g in games if not g.done]
            for g in live:
                if len(g.completion) >= self.max_completion_length:
                    self._abandon(g)
            live = [g for g in live if not g.done]
            if not generate.more(bool(live)):
                break
            budget = min([self.max_new_tokens] + [self.max_completion_length - len(g.completion) for g in live])
            replies = generate([g.context for g in live], budget)
            for g, (tokens, logps) in zip(live, replies, strict=True):
                g.spans.append((len(g.completion), len(g.completion) + len(tokens)))
                g.completion += tokens
                g.env_mask += [1] * len(tokens)
                g.logprobs += logps
                g.cut = g.cut or not tokens or tokens[-1] != tok.eos_token_id
                text_ids = tokens[:-1] if tokens and tokens[-1] == tok.eos_token_id else tokens
                reply = tok.decode(text_ids, skip_special_tokens=True)
                answer = self.env.step(g.id, reply)
                if answer.get("done"):
                    g.done = True
                    g.reward = float(answer.get("reward", 0.0))
                    g.outcome = str(answer.get("outcome", "loss"))
                    g.questions = int(answer.get("questions", 0))
                    g.invalid = int(answer.get("invalid", 0))
                    regrets = answer.get("regrets")
                    g.regrets = [float(r) for r in regrets] if isinstance(regrets, list) else None
                    continue
                message = answer.get("message")
                if not isinstance(message, dict):
                    raise ValueError("environment /step: a game that goes on must send its answer message")
                suffix = answer_suffix_ids(tok, g.messages, reply, message, end_token)
                if not tokens or tokens[-1] != tok.eos_token_id:
                    suffix = [tok.eos_token_id] + suffix  # the reply ran out of tokens: close it
                g.messages = g.messages + [{"role": "assistant", "content": reply}, message]
                if len(g.completion) + len(suffix) >= self.max_completion_length:
                    self._abandon(g)
                    continue
                g.completion += suffix
                g.env_mask += [0] * len(suffix)
                g.logprobs += [0.0] * len(suffix)
        return games

    def _abandon(self, g: Game) -> None:
        g.done = True
        g.abandoned = True
        g.reward = 0.0
        g.outcome = "loss"
        g.questions = sum(1 for m in g.messages if m.get("role") == "assistant")

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        tok = trainer.processing_class
        # the step numbers the games: a stage resumed from a checkpoint plays new games, not the first ones again
        games = self.play([str(p) for p in prompts], generator(trainer, self.temperature), tok, int(trainer.state.global_step))
        # the step's figures are of every process's games (each plays its share of the batch)
        self.last = games
        shares = gather(games)
        self.stats.add([g for share in shares for g in share])
        if len(shares) > 1 and is_main():
            log(f"grpo: step {trainer.state.global_step}: games played by each process: {[len(share) for share in shares]}")
        abandoned = sum(g.abandoned for g in games)
        if abandoned:
            log(f"grpo: {abandoned} of {len(games)} games passed max_completion_length and were abandoned")
        return {
            "prompt_ids": [g.prompt for g in games],
            "completion_ids": [g.completion for g in games],
            "logprobs": [g.logprobs for g in games],
            "env_mask": [g.env_mask for g in games],
            "env_reward": [g.reward for g in games],
            "success": [1.0 if g.outcome == "win" else 0.0 for g in games],
            "questions": [float(g.questions) for g in games],
        }


def move_advantages(advantages: list[float], games: list[Game], weight: float, width: int) -> list[list[float]]:
    """Per-token advantages of a generation batch (one row per game, `width` tokens): each move's tokens get
    the game's advantage less `weight` times the move's regret above the mean regret per move of the
    batch's games; other tokens (the environment's, padding) keep the game's advantage, and the loss
    masks them anyway. A game abandoned at the length limit has no regrets: the game's advantage alone."""
    if len(advantages) != len(games):
        raise ValueError(f"move_regret: {len(advantages)} advantages for {len(games)} games")
    moves: list[float] = []
    for g in games:
        if g.abandoned:
            continue
        if g.regrets is None:
            raise ValueError(
                "move_regret needs the regret of each move, which the environment sends only for an answerer that"
                " answers from the truth table (kb with unknown: say): set move_regret 0, or use such an answerer"
            )
        if len(g.regrets) != len(g.spans):
            raise ValueError(f"move_regret: game {g.id} has {len(g.spans)} moves but {len(g.regrets)} regrets")
        moves += g.regrets
    mean = sum(moves) / len(moves) if moves else 0.0
    rows = []
    for a, g in zip(advantages, games, strict=True):
        row = [a] * width
        if not g.abandoned and g.regrets is not None:
            for (start, end), r in zip(g.spans, g.regrets, strict=True):
                for t in range(start, min(end, width)):
                    row[t] = a - weight * (r - mean)
        rows.append(row)
    return rows


def env_reward(completions: list[Any], env_reward: list[float], **kwargs: Any) -> list[float]:
    """The reward the environment gave each game."""
    return [float(r) for r in env_reward]


def move_credit(base: Any, rollout: Rollout, weight: float) -> Any:
    """GRPOTrainer with per-move advantages (move_advantages): TRL's loss takes advantages of shape
    (batch, tokens) as well as (batch,)."""

    class MoveCreditTrainer(base):
        def _generate_and_score_completions(self, inputs: Any) -> Any:
            import torch

            out = super()._generate_and_score_completions(inputs)
            advantages = out["advantages"]
            rows = move_advantages(advantages.tolist(), rollout.last, weight, out["completion_ids"].shape[1])
            out["advantages"] = torch.tensor(rows, dtype=advantages.dtype, device=advantages.device)
            return out

    return MoveCreditTrainer


def vllm_args(job: GrpoJob) -> dict[str, Any]:
    """GRPOConfig's vLLM fields; use_vllm without vLLM installed is refused here, in a sentence."""
    if not job.use_vllm:
        return {"use_vllm": False}
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise ValueError(
            "use_vllm is set but vLLM is not installed: install the GPU set (twentyq setup python --gpu) on a machine with a CUDA GPU, or set use_vllm false"
        )
    fields: dict[str, Any] = {"use_vllm": True, "vllm_mode": job.vllm_mode}
    if job.vllm_mode == "server":
        fields["vllm_server_base_url"] = job.vllm_server_url
    else:
        fields["vllm_gpu_memory_utilization"] = job.vllm_gpu_memory_utilization
        fields["vllm_tensor_parallel_size"] = job.vllm_tensor_parallel_size
    return fields


def build(training: TrainingJob, hw: Hardware) -> Stage:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    job = typed(training, GrpoJob)
    model_path = job.model
    tok = load_tokenizer(model_path, padding_side="left")
    keys = [row.get("prompt") for row in read_jsonl(job.data)]
    if not all(isinstance(k, str) for k in keys):
        raise ValueError("grpo rows are {\"prompt\": TARGET_KEY} with a string key")
    # the schema holds num_generations >= 2 (GRPO compares games within a group) and temperature > 0 (it samples)
    batch = job.targets_per_step * job.num_generations
    rollout = Rollout(
        EnvClient(job.env_url),
        max_new_tokens=job.max_new_tokens,
        max_completion_length=job.max_length,
        temperature=job.temperature,
        group_size=job.num_generations,
    )
    args = common_args(job, hw, batch)
    args.update(
        generation_batch_size=batch,
        num_generations=job.num_generations,
        max_steps=job.steps,
        max_completion_length=job.max_length,
        temperature=job.temperature,
        beta=job.beta,
        epsilon=job.epsilon,
        scale_rewards=job.scale_rewards,
        remove_unused_columns=False,
        **vllm_args(job),
    )
    config = GRPOConfig(**args)
    trainer_class = move_credit(GRPOTrainer, rollout, job.move_regret) if job.move_regret > 0 else GRPOTrainer
    trainer = trainer_class(
        model=load_model(model_path),
        reward_funcs=[env_reward],
        args=config,
        train_dataset=Dataset.from_list([{"prompt": k} for k in keys]),
        processing_class=tok,
        peft_config=lora_config(job.lora, adapter_base(model_path) is not None),
        rollout_func=rollout,
    )
    return Stage(trainer, tok, rollout.stats.figures)
