"""`python -m twentyq_trl COMMAND JOB.json`."""

from __future__ import annotations

import os
import sys

from .events import claim_stdout
from .job import JOBS, JobError, load
from .signals import exit_with_parent

COMMANDS = tuple(JOBS)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in COMMANDS:
        sys.stderr.write(f"usage: python -m twentyq_trl {{{','.join(COMMANDS)}}} JOB.json\n")
        return 2
    command, path = argv
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is experimental in TRL 1.13
    exit_with_parent()
    claim_stdout()
    try:
        job = load(command, path)
    except JobError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    if command == "tiny":
        from . import tiny

        tiny.run(job)
    elif command == "merge":
        from . import merge

        merge.run(job)
    else:
        from . import train

        train.run(command, job)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
