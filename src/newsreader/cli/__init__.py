"""The `newsreader` command line: a table of commands (reading.py, fetching.py, clusters.py, subscriptions.py)
over the library. With no command it opens the reader.

Every failure a person can cause or meet ends in one line on stderr and an exit status (README, Commands):
0 done, 1 nothing could be fetched, 2 bad input, 3 the cache cannot be used, 130/143 interrupted, 70 a bug
(with `--debug`, its traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from rich.console import Console

from newsreader import __version__
from newsreader.cli import clusters, fetching, reading, subscriptions, sync
from newsreader.cli.common import (
    EXIT_BUG,
    EXIT_CACHE,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_FETCHED,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Context,
    Interrupted,
    UsageError,
    print_error,
)

COMMANDS: tuple[Command, ...] = (reading.COMMANDS + fetching.COMMANDS + clusters.COMMANDS + subscriptions.COMMANDS
                                  + sync.COMMANDS)
BY_NAME = {command.name: command for command in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsreader",
        description="A terminal news reader that files every story under the countries and regions it is about.",
        epilog="With no command, opens the reader.",
    )
    parser.add_argument("--config", metavar="PATH", help="feeds.toml to use (default: ./feeds.toml, else the user config dir)")
    parser.add_argument("--data-dir", metavar="DIR", help="where the cache lives (default: $NEWSREADER_DATA_DIR, else the user data dir)")
    parser.add_argument("--version", action="version", version=f"newsreader {__version__}")
    parser.add_argument("--offline", action="store_true", help="with no command: open the reader without touching the network")
    parser.add_argument("--debug", action="store_true", help="on an unexpected error, print its traceback")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.description or None,
                                    epilog=command.epilog)
        if command.arguments is not None:
            command.arguments(sub)
    return parser


def _expected_errors() -> dict[type[BaseException], int]:
    """Exceptions that are a person's input or situation, not a bug, and the exit status each gives."""
    from newsreader.library import (
        ConfigError,
        DiscoveryError,
        FeedListError,
        NoFeedsFound,
        OpmlError,
        StoreError,
        Unreachable,
    )

    return {
        Unreachable: EXIT_NOTHING_FETCHED,
        NoFeedsFound: EXIT_NOTHING_FETCHED,
        ConfigError: EXIT_USAGE,
        UsageError: EXIT_USAGE,
        FeedListError: EXIT_USAGE,
        OpmlError: EXIT_USAGE,
        DiscoveryError: EXIT_USAGE,
        StoreError: EXIT_CACHE,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False, emoji=False, markup=False)
    context = Context(args, console)
    command = BY_NAME[args.command or "read"]
    # Closing the cache is inside: what goes wrong there, or a Ctrl-C while it closes, is reported like the rest.
    try:
        try:
            return command.run(context)
        finally:
            context.close()
    except Interrupted as interrupted:
        print_error(interrupted)
        return interrupted.status
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `newsreader list | head`
        _quiet_broken_pipe()
        return EXIT_OK
    except Exception as error:
        for kind, status in _expected_errors().items():
            if isinstance(error, kind):
                print_error(error)
                return status
        if args.debug:
            traceback.print_exc()
        print_error(f"unexpected error: {type(error).__name__}: {error}"
                    + ("" if args.debug else " (run with --debug for the details)"))
        return EXIT_BUG


def _quiet_broken_pipe() -> None:
    # Python would complain again flushing stdout at exit: point it at /dev/null instead.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


__all__ = ["COMMANDS", "EXIT_CACHE", "EXIT_NOTHING_FETCHED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


if __name__ == "__main__":
    raise SystemExit(main())
