from __future__ import annotations

import pytest

from lad.bin import stamp as stamp_cli
from lad.data.stamps import (
    dir_marker,
    file_marker,
    fingerprint,
    is_done,
    job_marker,
    mark_done,
    stamp_of,
)


def test_marker_places(tmp_path):
    assert dir_marker(tmp_path / "d") == tmp_path / "d" / ".done"
    assert file_marker(tmp_path / "responses.jsonl") == tmp_path / "responses.jsonl.done"
    assert job_marker(tmp_path, 3) == tmp_path / ".done.3"


def test_mark_done_then_is_done_only_for_the_same_stamp(tmp_path):
    marker = tmp_path / "new" / "dir" / ".done"  # parents are made
    assert not is_done(marker, "abc")
    mark_done(marker, "abc")
    assert is_done(marker, "abc") and not is_done(marker, "abd")
    assert [p.name for p in marker.parent.iterdir()] == [".done"]  # no temporary left
    mark_done(marker, "xyz")  # replaced, not appended
    assert marker.read_text() == "xyz\n"


def test_stamp_of_ignores_key_order_and_sees_values():
    assert stamp_of({"a": 1, "b": [1, 2]}, "x") == stamp_of({"b": [1, 2], "a": 1}, "x")
    assert stamp_of({"a": 1}) != stamp_of({"a": 2})
    assert stamp_of({"a": 1}, "x") != stamp_of("x", {"a": 1})


def test_fingerprint_changes_with_content_and_missing_files(tmp_path):
    (tmp_path / "text").write_text("u1 hello\n")
    before = fingerprint(tmp_path, ["text", "wav.scp"])
    (tmp_path / "wav.scp").write_text("u1 a.wav\n")
    with_scp = fingerprint(tmp_path, ["text", "wav.scp"])
    assert with_scp != before
    (tmp_path / "text").write_text("u1 hullo\n")
    assert fingerprint(tmp_path, ["text", "wav.scp"]) not in (before, with_scp)


def test_stamp_cli_check_mark_cycle(tmp_path):
    conf = tmp_path / "conf.yaml"
    conf.write_text("a: 1\n")
    marker = tmp_path / "stats" / ".done"
    args = [str(marker), str(conf)]
    assert stamp_cli.main(["check", *args]) == 1
    assert stamp_cli.main(["mark", *args]) == 0
    assert stamp_cli.main(["check", *args]) == 0
    conf.write_text("a: 2\n")  # an input changed: the step is due again
    assert stamp_cli.main(["check", *args]) == 1
    with pytest.raises(SystemExit, match="no such files"):
        stamp_cli.main(["check", str(marker), str(tmp_path / "absent")])
