"""Progress files of resumable loops (lad.data.files.JsonlProgress, cut_torn_tail)."""

from __future__ import annotations

import json
import logging

from lad.data.files import JsonlProgress, cut_torn_tail, progress_path


def test_progress_keeps_complete_lines_and_cuts_a_torn_one(tmp_path, caplog):
    path = progress_path(tmp_path / "out.jsonl")
    assert path.name == "out.jsonl.progress"
    p = JsonlProgress(path, "stamp-1")
    assert p.records == []
    p.append([{"id": "a", "x": "é"}, {"id": "b"}])
    p.append([{"id": "c"}])
    p.close()
    with path.open("ab") as f:  # a kill in the middle of a line
        f.write(b'{"id": "d", "x": "tor')
    with caplog.at_level(logging.INFO):
        p = JsonlProgress(path, "stamp-1")
    assert p.records == [{"id": "a", "x": "é"}, {"id": "b"}, {"id": "c"}]
    assert "cut 21 bytes after the last complete line" in caplog.text
    assert "resuming after 3 finished records" in caplog.text
    p.append([{"id": "d"}])  # starts on a line of its own
    p.close()
    assert JsonlProgress(path, "stamp-1").records[-1] == {"id": "d"}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"fingerprint": "stamp-1"} and len(lines) == 5


def test_progress_of_another_run_is_discarded(tmp_path, caplog):
    path = tmp_path / "out.jsonl.progress"
    p = JsonlProgress(path, "old options")
    p.append([{"id": "a"}])
    p.close()
    with caplog.at_level(logging.INFO):
        p = JsonlProgress(path, "new options")
    assert p.records == [] and not path.exists()
    assert "from a run with other inputs or options; starting over" in caplog.text


def test_a_bad_complete_line_ends_what_is_kept(tmp_path):
    path = tmp_path / "p"
    p = JsonlProgress(path, "s")
    p.append([{"id": "a"}])
    p.close()
    with path.open("ab") as f:
        f.write(b'not json\n{"id": "b"}\n')
    assert JsonlProgress(path, "s").records == [{"id": "a"}]
    assert path.read_bytes().endswith(b'{"id": "a"}\n')


def test_finish_writes_the_output_and_removes_the_progress(tmp_path):
    out = tmp_path / "sub" / "out.jsonl"
    p = JsonlProgress(progress_path(out), "s")
    p.append([{"id": "b"}])
    p.finish(out, [{"id": "a"}, {"id": "b"}])
    assert out.read_text() == '{"id": "a"}\n{"id": "b"}\n'
    assert not progress_path(out).exists()


def test_cut_torn_tail(tmp_path):
    path = tmp_path / "f"
    assert cut_torn_tail(path) == 0  # missing
    path.write_bytes(b"one\ntwo\nthr")
    assert cut_torn_tail(path) == 3 and path.read_bytes() == b"one\ntwo\n"
    assert cut_torn_tail(path) == 0
