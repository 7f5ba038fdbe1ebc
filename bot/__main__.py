import os
import sys

from bot.cli import main

EXIT_INTERRUPTED = 130
"""What shells report for a command stopped by Ctrl-C (128 + SIGINT)."""


def run() -> int:
    try:
        return main()
    except BrokenPipeError:
        # The reader went away (`python -m bot define llm | head -1`): that is not our error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # Ctrl-C during a chore: what was running rolled back; no traceback
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(run())
