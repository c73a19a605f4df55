"""The ``complaintflow`` command line: ``demo``, ``report``, ``backtest``, ``diagram``, ``sweep``
and ``relay``.

Parsing uses only the standard library, so every command works without extras; with the
``cli`` extra (``pip install 'complaintflow[cli]'``) tables and progress are drawn by
``rich``. Bad input ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

from complaintflow._version import __version__
from complaintflow.cli import backtest, demo, diagram, relay, report, sweep
from complaintflow.cli._common import UsageError
from complaintflow.cli._output import make_output
from complaintflow.exceptions import ComplaintflowError

__all__ = ["build_parser", "main"]

#: Exit code of bad input (the same as argparse's).
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Bad arguments end with one line on stderr (and a pointer to ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="complaintflow",
        description="Customer complaints as state machines: run the demo, report on a "
                    "store, backtest other policies, draw the lifecycle, sweep due "
                    "deadlines, relay events to brokers and webhooks.",
        epilog="examples:\n"
               "  complaintflow demo\n"
               "  complaintflow demo --complaints 100000 --seed 7 --db peak.sqlite\n"
               "  complaintflow report --db peak.sqlite --html report.html\n"
               "  complaintflow backtest --db peak.sqlite --policies ladder.toml\n"
               "  complaintflow sweep --db postgresql://app@db/complaints --every 60\n"
               "  complaintflow COMMAND --help\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"complaintflow {__version__}")
    parser.add_argument("--plain", action="store_true",
                        help="plain text output even when rich is installed")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    for module in (demo, report, backtest, diagram, sweep, relay):
        module.add_parser(sub)
    for command in sub.choices.values():  # `complaintflow demo --plain` works too
        command.add_argument("--plain", action="store_true", default=argparse.SUPPRESS,
                             help="plain text output even when rich is installed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success, 2 on bad input)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or one line about bad arguments
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    output = make_output(plain=args.plain)
    try:
        code: int = args.run(args, output)
        sys.stdout.flush()
    except (UsageError, ComplaintflowError, sqlite3.Error) as exc:
        text = str(exc).strip().splitlines()
        sys.stderr.write(f"complaintflow {args.command}: error: {text[0] if text else exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `complaintflow report --db x | head`: the reader left
        _silence_stdout()
        return 0
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (e.g. under a test)
        pass
