"""Output for people: ``rich`` tables when the ``cli`` extra is installed, plain text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

__all__ = ["INSTALL_HINT", "Output", "PlainOutput", "RichOutput", "make_output"]

T = TypeVar("T")

INSTALL_HINT = "for prettier output: pip install 'complaintflow[cli]'"


class Output:
    """What the commands print through; both faces write the same text content."""

    rich = False

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def heading(self, text: str) -> None:
        self.out.write(f"\n{text}\n{'=' * _width(text)}\n")

    def table(self, title: str | None, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> None:
        raise NotImplementedError

    def progress(self, items: Sequence[tuple[str, T]], description: str) -> Iterator[T]:
        """Yield the second half of each ``(label, item)`` while showing progress on stderr."""
        total = len(items)
        for n, (label, item) in enumerate(items, 1):
            self.err.write(f"[{n}/{total}] {description}: {label}\n")
            yield item


    def counting(self, items: Sequence[tuple[int, T]], total: int,
                 description: str) -> Iterator[T]:
        """Yield the second half of each ``(count, item)``, showing ``count``-sized steps
        towards ``total`` on stderr (a line per tenth in plain output)."""
        done = shown = 0
        for count, item in items:
            yield item
            done += count
            if total and done * 10 // total > shown:
                shown = done * 10 // total
                self.err.write(f"{description}: {done}/{total}\n")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class PlainOutput(Output):
    """Plain aligned text: works everywhere, without any extra installed."""

    def table(self, title: str | None, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> None:
        cells = [[str(v) for v in row] for row in rows]
        widths = [_width(c) for c in columns]
        for row in cells:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], _width(cell))
        if title:
            self.line(title)
        self.line("  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip())
        self.line("  ".join("-" * w for w in widths))
        for row in cells:
            self.line("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())


class RichOutput(Output):
    """Tables and progress bars drawn by ``rich``."""

    rich = True

    def __init__(self, out: TextIO, err: TextIO) -> None:
        super().__init__(out, err)
        from rich.console import Console

        class _Console(Console):
            def on_broken_pipe(self) -> None:  # rich would exit 1; a gone reader is no error
                raise BrokenPipeError

        self._console: Any = _Console(file=out, highlight=False, emoji=False, markup=False)
        self._err_console: Any = _Console(file=err, highlight=False, emoji=False, markup=False)

    def line(self, text: str = "") -> None:
        self._console.print(text, soft_wrap=True)

    def heading(self, text: str) -> None:
        from rich.rule import Rule

        self._console.print(Rule(text, style="bold"))

    def table(self, title: str | None, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> None:
        from rich.table import Table

        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(str(v) for v in row))
        self._console.print(table)

    def progress(self, items: Sequence[tuple[str, T]], description: str) -> Iterator[T]:
        from rich.progress import Progress

        with Progress(console=self._err_console, transient=True) as bar:
            task = bar.add_task(description, total=len(items))
            for label, item in items:
                bar.update(task, description=f"{description}: {label}")
                yield item
                bar.advance(task)


    def counting(self, items: Sequence[tuple[int, T]], total: int,
                 description: str) -> Iterator[T]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(),
                      console=self._err_console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            for count, item in items:
                yield item
                bar.advance(task, count)


def make_output(*, plain: bool = False, out: TextIO | None = None,
                err: TextIO | None = None) -> Output:
    """``rich`` output when installed and not ``plain``; plain text otherwise."""
    o = out if out is not None else sys.stdout
    e = err if err is not None else sys.stderr
    if not plain:
        try:
            import rich  # noqa: F401
        except ImportError:
            pass
        else:
            return RichOutput(o, e)
    return PlainOutput(o, e)


def rich_available() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True
