import os
import sys

from bot.cli import main


def run() -> int:
    try:
        return main()
    except BrokenPipeError:
        # The reader went away (`python -m bot define llm | head -1`): that is not our error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(run())
