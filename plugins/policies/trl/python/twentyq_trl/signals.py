"""SIGINT/SIGTERM: the first asks for a graceful stop at the next step end, a second exits 130 at once."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


class StopFlag:
    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            sys.stderr.write("second signal: exiting at once\n")
            sys.stderr.flush()
            os._exit(130)
        self.requested = True
        sys.stderr.write(f"signal {signum}: stopping after the step in progress\n")
        sys.stderr.flush()
