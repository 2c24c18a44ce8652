"""What the entry points share: the logging set-up and the argument parser."""

import argparse
import logging
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
