"""Components built from YAML specs, strictly, and the ``${VAR}`` expansion of their paths.

A spec is a mapping: one key names the kind of component (``type`` for an ASR or a judge,
``backend`` for a TTS), the others are the keyword arguments of that kind's builder (a class
or a factory function). Unknown keys, a missing required key and an unknown kind are errors
that name the file and list what is valid:

    asr = build_from_spec(spec, {"whisper": WhisperASR, "espnet": ESPnetASR}, "ASR", path)
"""

from __future__ import annotations

import inspect
import os
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]  # the repository root (${LAD_ROOT} by default)


def expand_path(value: str) -> str:
    """Expand ${VAR} references; ${LAD_ROOT} defaults to this repository's root, so configs
    can name the models that tools/setup.sh prepares (${LAD_ROOT}/tools/models/...)."""
    env = {"LAD_ROOT": str(ROOT), **os.environ}
    return string.Template(value).safe_substitute(env)


def builder_keys(builder: Callable) -> dict[str, inspect.Parameter]:
    """The keyword arguments a builder takes (``self`` and ``cls`` are not among them)."""
    params = inspect.signature(builder).parameters
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return {name: p for name, p in params.items() if p.kind not in variadic}


def check_spec(
    spec: Any,
    registry: Mapping[str, Callable],
    what: str,
    source: Optional[str] = None,
    key: str = "type",
    default: Optional[str] = None,
) -> tuple[str, Callable, dict[str, Any]]:
    """(kind, builder, keyword arguments) of ``spec``, checked against the builder's signature.

    ``what`` names the component in errors ("ASR", "TTS", "judge"), ``source`` the file the
    spec came from, ``key`` the key naming the kind (``default`` when it is absent). A required
    argument given as null counts as missing. Nothing is built.
    """
    where = f"{source}: " if source else ""
    if not isinstance(spec, Mapping):
        kind = type(spec).__name__
        raise TypeError(f"{where}a {what} spec must be a dict (a mapping), got {kind}")
    kwargs = dict(spec)
    kind = kwargs.pop(key, default)
    if kind not in registry:
        valid = sorted(registry)
        raise ValueError(f"{where}unknown {what} {key} {kind!r}; expected one of {valid}")
    builder = registry[kind]
    params = builder_keys(builder)
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise ValueError(
            f"{where}{what} {key} {kind!r}: unknown keys {unknown}; valid: {[key, *params]}"
        )
    required = [name for name, p in params.items() if p.default is inspect.Parameter.empty]
    missing = [name for name in required if kwargs.get(name) is None]
    if missing:
        raise ValueError(
            f"{where}{what} {key} {kind!r}: missing keys {missing}; valid: {[key, *params]}"
        )
    return kind, builder, kwargs


def build_from_spec(
    spec: Any, registry: Mapping[str, Callable], what: str, *args: Any, **kw: Any
) -> Any:
    """The component ``spec`` describes, built by its kind's builder; the other arguments
    (source, key, default) are ``check_spec``'s."""
    _, builder, kwargs = check_spec(spec, registry, what, *args, **kw)
    return builder(**kwargs)
