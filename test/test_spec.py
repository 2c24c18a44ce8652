"""lad.spec: the strict build-from-spec helper and ${VAR} expansion."""

from __future__ import annotations

from typing import Optional

import pytest

from lad.spec import build_from_spec, check_spec, expand_path
from test.conftest import REPO


class Tone:
    def __init__(self, freq: float, seconds: float = 1.0, name: Optional[str] = None):
        self.freq, self.seconds, self.name = freq, seconds, name


def chirp(start: float, stop: float) -> tuple[float, float]:
    return start, stop


REGISTRY = {"tone": Tone, "chirp": chirp}


def test_build_from_spec_passes_the_keys():
    tone = build_from_spec({"type": "tone", "freq": 440}, REGISTRY, "signal", "s.yaml")
    assert (tone.freq, tone.seconds, tone.name) == (440, 1.0, None)
    kind, builder, kwargs = check_spec({"kind": "chirp", "start": 1, "stop": 2}, REGISTRY,
                                       "signal", key="kind")  # fmt: skip
    assert (kind, builder, kwargs) == ("chirp", chirp, {"start": 1, "stop": 2})
    assert check_spec({"freq": 1}, REGISTRY, "signal", default="tone")[0] == "tone"


def test_check_spec_errors_name_the_file_and_the_valid_choices():
    with pytest.raises(ValueError, match=r"^s\.yaml: unknown signal type 'saw'; expected one of "
                       r"\['chirp', 'tone'\]$"):  # fmt: skip
        check_spec({"type": "saw"}, REGISTRY, "signal", "s.yaml")
    with pytest.raises(ValueError, match=r"^s\.yaml: signal type 'tone': unknown keys \['freqq'\]; "
                       r"valid: \['type', 'freq', 'seconds', 'name'\]$"):  # fmt: skip
        check_spec({"type": "tone", "freqq": 1}, REGISTRY, "signal", "s.yaml")
    with pytest.raises(ValueError, match=r"signal type 'tone': missing keys \['freq'\]"):
        check_spec({"type": "tone", "freq": None}, REGISTRY, "signal")  # null is missing
    with pytest.raises(ValueError, match=r"signal type 'chirp': missing keys \['stop'\]"):
        check_spec({"type": "chirp", "start": 1}, REGISTRY, "signal")
    with pytest.raises(TypeError, match="a signal spec must be a dict"):
        check_spec(["tone"], REGISTRY, "signal")


def test_expand_path(monkeypatch):
    monkeypatch.delenv("LAD_ROOT", raising=False)
    monkeypatch.setenv("LAD_TEST_DIR", "/data")
    assert expand_path("${LAD_ROOT}/tools/models/x") == f"{REPO}/tools/models/x"
    assert expand_path("${LAD_TEST_DIR}/a ${UNSET_LAD_VAR}") == "/data/a ${UNSET_LAD_VAR}"
    monkeypatch.setenv("LAD_ROOT", "/elsewhere")
    assert expand_path("${LAD_ROOT}/m") == "/elsewhere/m"
