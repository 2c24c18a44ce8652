"""Sentences a person says to a voice assistant, in the paper's six languages.

Each language has a bank, ``lad/data/sentence_banks/<lang>.yaml``: templates of three kinds
(question, request, statement) with named slots, and a list of fillers per slot. Agreement
lives in the fillers, not in code: a German slot holds noun phrases already declined for its
case (``meinen Vater`` in an accusative slot, ``meinem Vater`` in a dative one), a Spanish
slot holds them with the right article. All templates, fillers and sentences were written for
this project.

``generate_sentences`` walks the templates round-robin (so every template is used about
equally, however large its slots) and draws each template's fillers without replacement, so
it returns distinct sentences, deterministic for a seed.

    >>> generate_sentences("de", 2, seed=1)  # doctest: +SKIP
    ['Was brauche ich für Bananenbrot?', 'Brauche ich nächste Woche einen Regenschirm?']
"""

from __future__ import annotations

import functools
import math
import random
import string
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Union

import yaml

LANGS = ("en", "de", "es", "vi", "zh", "id")
KINDS = ("question", "request", "statement")
SECTIONS = ("templates", "slots")


@dataclass(frozen=True)
class Bank:
    templates: dict[str, tuple[str, ...]]  # kind -> templates with {slot} fields
    slots: dict[str, tuple[str, ...]]  # slot -> fillers


class BankError(ValueError):
    """A malformed bank file; the message starts with ``<file>:<line>:``."""


def _where(path: str, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _mapping(path: str, node: yaml.Node, what: str) -> dict[str, yaml.Node]:
    """A YAML mapping of plain keys -> value nodes, in file order; duplicate keys are errors."""
    if not isinstance(node, yaml.MappingNode):
        raise BankError(f"{_where(path, node)}: {what} must be a mapping")
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise BankError(f"{_where(path, key)}: {what}: keys must be names")
        if key.value in out:
            raise BankError(f"{_where(path, key)}: {what}: {key.value!r} given twice")
        out[key.value] = value
    return out


def _strings(path: str, node: yaml.Node, what: str) -> tuple[str, ...]:
    """A non-empty YAML list of strings, each read as written (``no``, ``on``, ``2`` stay text)."""
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise BankError(f"{_where(path, node)}: {what} must be a non-empty list")
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not item.value:
            raise BankError(f"{_where(path, item)}: {what}: each entry must be non-empty text")
    return tuple(item.value for item in node.value)


def parse_bank(text: Union[str, bytes], path: str) -> Bank:
    """A bank from its YAML text; errors name ``path``, the line and the key."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        if mark is None:  # e.g. a character YAML does not allow
            raise BankError(f"{path}: not valid YAML: {e}") from None
        what = f"{getattr(e, 'context', None) or ''} {e.problem}".strip()
        raise BankError(
            f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {what}"
        ) from None
    if root is None:
        raise BankError(f"{path}: empty bank")
    top = _mapping(path, root, "the bank")
    if sorted(top) != sorted(SECTIONS):
        raise BankError(f"{_where(path, root)}: a bank has exactly {SECTIONS}, got {list(top)}")
    kinds = _mapping(path, top["templates"], "templates")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise BankError(f"{_where(path, root)}: templates: unknown kind {unknown}; kinds: {KINDS}")
    templates = {kind: _strings(path, n, f"templates.{kind}") for kind, n in kinds.items()}
    slots = {
        name: _strings(path, n, f"slots.{name}")
        for name, n in _mapping(path, top["slots"], "slots").items()
    }
    for kind, node in kinds.items():
        for item in node.value:
            try:
                names = slot_names(item.value)
            except ValueError as e:
                raise BankError(f"{_where(path, item)}: templates.{kind}: {e}") from None
            undefined = sorted(set(names) - set(slots))
            if undefined:
                raise BankError(
                    f"{_where(path, item)}: templates.{kind}: no slot {undefined} under slots"
                )
    return Bank(templates=templates, slots=slots)


@functools.cache
def load_bank(lang: str) -> Bank:
    """The bank of ``lang``, read from ``lad/data/sentence_banks/<lang>.yaml`` (once)."""
    file = resources.files("lad.data") / "sentence_banks" / f"{lang}.yaml"
    return parse_bank(file.read_text(encoding="utf-8"), str(file))


def slot_names(template: str) -> list[str]:
    """The {slot} fields of a template, in order."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def get_bank(lang: str) -> Bank:
    if lang not in LANGS:
        raise ValueError(f"no sentence bank for language {lang!r}; known: {', '.join(LANGS)}")
    return load_bank(lang)


def templates(lang: str) -> list[tuple[str, str]]:
    """(kind, template) pairs of a language, in bank order."""
    bank = get_bank(lang)
    return [(kind, t) for kind in KINDS for t in bank.templates.get(kind, ())]


def template_capacity(bank: Bank, template: str) -> int:
    return math.prod(len(bank.slots[s]) for s in slot_names(template))


def capacity(lang: str) -> int:
    """How many sentences the bank can produce (filled templates; all distinct in practice)."""
    bank = get_bank(lang)
    return sum(template_capacity(bank, t) for _, t in templates(lang))


def upper_first(text: str) -> str:
    """Capitalise the first letter (after any opening mark such as '¿'); leave the rest."""
    for i, c in enumerate(text):
        if c.isalpha():
            return text[:i] + c.upper() + text[i + 1 :]
    return text


def fill(bank: Bank, template: str, index: int) -> str:
    """The index-th filling of a template: index is a mixed-radix number over its slots."""
    values = {}
    for name in reversed(slot_names(template)):
        fillers = bank.slots[name]
        index, k = divmod(index, len(fillers))
        values[name] = fillers[k]
    return upper_first(template.format(**values))


def shuffled_range(size: int, rng: random.Random) -> Iterator[int]:
    """All of range(size) in random order, without materialising it while few are drawn.

    Rejection sampling until half are drawn (at most two tries per draw on average), then
    the rest shuffled.
    """
    seen = set()
    while len(seen) < size // 2:
        i = rng.randrange(size)
        if i not in seen:
            seen.add(i)
            yield i
    rest = [i for i in range(size) if i not in seen]
    rng.shuffle(rest)
    yield from rest


def template_stream(bank: Bank, template: str, rng: random.Random) -> Iterator[str]:
    """Every filling of one template, in random order."""
    for index in shuffled_range(template_capacity(bank, template), rng):
        yield fill(bank, template, index)


def generate_sentences(
    lang: str, n: int, seed: int = 0, exclude: Collection[str] = ()
) -> list[str]:
    """n distinct sentences in ``lang``, none in ``exclude``; the same list for the same seed.

    Templates are taken round-robin in a fresh random order each round, so a small n still
    mixes questions, requests and statements. With the same seed, a call that excludes the
    result of an earlier call continues where that one stopped.
    """
    bank = get_bank(lang)
    total = capacity(lang)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n > total:
        raise ValueError(f"{lang}: asked for {n} sentences, the bank can produce only {total}")
    rng = random.Random(f"sentences:{lang}:{seed}")  # str seeds are hashed stably
    streams = {t: template_stream(bank, t, rng) for _, t in templates(lang)}
    excluded = set(exclude)
    out: list[str] = []
    seen = set()
    while len(out) < n and streams:
        order = list(streams)
        rng.shuffle(order)
        for t in order:
            sentence = next(streams[t], None)
            if sentence is None:
                del streams[t]
            elif sentence not in seen and sentence not in excluded:
                seen.add(sentence)
                out.append(sentence)
                if len(out) == n:
                    break
    if len(out) < n:
        raise ValueError(
            f"{lang}: asked for {n} sentences, only {len(out)} are left after excluding "
            f"{len(excluded)} (bank capacity {total})"
        )
    return out
