"""JSON-lines events on the real stdout; everything else printed by libraries goes to stderr."""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, TextIO

from .ranks import is_main, rank

_events: TextIO | None = None


def claim_stdout() -> None:
    """Keep the process's stdout for events only: fd 1 and sys.stdout now point at stderr."""
    global _events
    if _events is not None:
        return
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _events = os.fdopen(fd, "w", buffering=1, encoding="utf-8")


def emit(event: str, **fields: Any) -> None:
    """An event for twentyq; under a launcher only the first process reports (the others train alike)."""
    if is_main():
        write_event(event, **fields)


def announce_process() -> None:
    """Every process says who it is, so that twentyq records it and can stop it (a launcher's workers are not its children)."""
    write_event("process", rank=rank(), pid=os.getpid())


def write_event(event: str, **fields: Any) -> None:
    out = _events if _events is not None else sys.stdout
    clean = {k: _clean(v) for k, v in fields.items()}
    out.write(json.dumps({"event": event, **clean}) + "\n")
    out.flush()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
