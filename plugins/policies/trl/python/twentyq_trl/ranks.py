"""Which of the training processes this is (torchrun and accelerate launch set RANK and WORLD_SIZE),
and the few agreements the processes need beyond what the trainer does: a stop asked of one is a stop
for all at the same step, and the files of the stage are written once."""

from __future__ import annotations

import os
from typing import Any


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return rank() == 0


def _group() -> Any:
    """torch.distributed once the trainer has set it up with more than one process, else None."""
    if world_size() == 1:
        return None
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def any_rank(flag: bool, device: Any) -> bool:
    """Whether the flag is set in any process (every process must call this at the same point)."""
    dist = _group()
    if dist is None:
        return flag
    import torch

    value = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather(value: Any) -> list[Any]:
    """Every process's value, in rank order (a collective call)."""
    dist = _group()
    if dist is None:
        return [value]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, value)
    return out


def barrier() -> None:
    dist = _group()
    if dist is not None:
        dist.barrier()
