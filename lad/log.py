"""What the entry points share: the logging set-up, the argument parser, progress lines."""

import argparse
import logging
import time
from collections.abc import Callable
from typing import Optional

FORMAT = "%(asctime)s %(levelname)s [%(filename)s:%(lineno)d] %(message)s"


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)


def parse_args(parser: argparse.ArgumentParser, argv: Optional[list[str]]) -> argparse.Namespace:
    """An entry point's first step: its command line parsed, logging set up."""
    args = parser.parse_args(argv)
    setup_logging()
    return args


def entry_parser(doc: Optional[str], prog: Optional[str] = None) -> argparse.ArgumentParser:
    """An entry point's parser: its module docstring as the help text, kept as written."""
    return argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


class Progress:
    """A long loop's progress: a log line at most every ``every`` seconds and one at the end,

        progress: decode test: 120/180 utterances (67 %), 2.31 utterances/s, ETA 0:26

    The rate counts what this run did (``done`` at the start was done before, e.g. resumed);
    lad.sh shows the last such line of a stage's log on the console (logged_progress)."""

    PREFIX = "progress: "

    def __init__(
        self,
        what: str,
        total: int,
        *,
        unit: str = "items",
        done: int = 0,
        every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.what, self.total, self.unit, self.every, self.clock = what, total, unit, every, clock
        self.done = self.start_done = done
        self.start = self.last = clock()

    def line(self, *, eta: bool = True) -> str:
        pct = f" ({100 * self.done / self.total:.0f} %)" if self.total else ""
        text = f"{self.PREFIX}{self.what}: {self.done}/{self.total} {self.unit}{pct}"
        elapsed, new = self.clock() - self.start, self.done - self.start_done
        if new > 0 and elapsed > 0:
            rate = new / elapsed
            text += f", {rate:.2f} {self.unit}/s"
            if eta:
                left = int((self.total - self.done) / rate)
                text += f", ETA {left // 60}:{left % 60:02d}"
        return text

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            logging.info(self.line())

    def close(self) -> None:
        """The last line: everything done, in how long."""
        logging.info(f"{self.line(eta=False)}, {self.clock() - self.start:.1f} s")
