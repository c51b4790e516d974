"""SIGINT/SIGTERM: the first asks for a graceful stop at the next step end, a second exits 130 at once."""

from __future__ import annotations

import os
import signal
import sys
import threading
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


def exit_with_parent() -> None:
    """Exit when the twentyq process that started this one dies (kill -9 included).

    twentyq holds this process's stdin open and never writes to it: end of file on stdin means that
    its parent is gone, and nobody reads what this process reports any more. It exits at once; the
    stage's last checkpoint is what `twentyq run --resume` continues from. Only when twentyq asks for it
    (TWENTYQ_EXIT_WITH_PARENT=1), so that the module run by hand with stdin from /dev/null keeps working.
    """
    if os.environ.get("TWENTYQ_EXIT_WITH_PARENT") != "1":
        return

    def watch() -> None:
        # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside a buffered reader
        # holds its lock, which the interpreter's shutdown then cannot take (a fatal error at exit)
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
