"""The web demo: the Responder behind it, and the page driven in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lad.demo import Responder
from test.conftest import LANGS, REPO, pack_tiny

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NO_NETWORK = REPO / "test" / "integration" / "no_network"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return {name: pack_tiny(root / name, name) for name in ("lad_hard", "ml_diva")}


@pytest.fixture(scope="module")
def wav(tmp_path_factory) -> Path:
    """1.2 s of a 44.1 kHz stereo chirp: the demo resamples and downmixes."""
    path = tmp_path_factory.mktemp("audio") / "question.wav"
    t = np.arange(int(1.2 * 44100)) / 44100
    tone = 0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t)
    sf.write(path, np.stack([tone, 0.5 * tone], axis=1), 44100)
    return path


@pytest.fixture(scope="module")
def lad_hard(models) -> Responder:
    return Responder.load(models["lad_hard"])


def test_answer_has_the_gate_over_every_language_and_names_the_bank(lad_hard, wav):
    a = lad_hard.answer(str(wav), transcript="What time is it?")
    assert a.seconds == pytest.approx(1.2, abs=1e-3)  # 16 kHz after resampling
    assert list(a.gate) == LANGS and sum(a.gate.values()) == pytest.approx(1.0, abs=1e-5)
    top = max(a.gate, key=a.gate.get)
    assert a.bank.startswith(f"{top} bank (hard routing")
    assert isinstance(a.response, str) and isinstance(a.text_response, str)
    assert lad_hard.max_new_tokens == 8  # conf/tiny/decode.yaml, packed
    # the same speech answered again is the same (greedy), with or without a transcript
    assert lad_hard.answer(str(wav)).response == a.response
    assert lad_hard.answer(str(wav)).text_response is None


def test_an_instruction_changes_the_prompt_not_the_gate(lad_hard, wav):
    plain = lad_hard.answer(str(wav))
    told = lad_hard.answer(str(wav), instruction="Answer in one word.")
    assert told.gate == plain.gate
    assert lad_hard.prompt("  ") is None and lad_hard.prompt("Be brief.")[0] is not None


def test_ml_diva_has_no_gate_and_uses_the_shared_set(models, wav):
    a = Responder.load(models["ml_diva"]).answer(str(wav))
    assert a.gate is None and "one shared query set" in a.bank


@pytest.mark.parametrize(
    "content, message",
    [(b"not audio at all", "unreadable audio (bad.wav)"), (None, "no audio")],
)
def test_unreadable_audio_is_a_clear_error(lad_hard, tmp_path, content, message):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lad_hard.answer(str(path) if content is not None else None)


# -- the page in a browser ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the demo did not answer at {url} in {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def browser():
    """Debian's chromium driven by playwright; skipped with the reason when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (tools/setup.sh --browser installs it, as root)")
    flags = "--no-sandbox --disable-gpu --disable-quic --no-first-run --disable-sync"
    flags += " --disable-background-networking --disable-component-update"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags.split())
        yield b
        b.close()


def test_page_in_chromium_uploads_answers_and_charts_the_gate(
    browser, models, lad_hard, wav, tmp_path
):
    port = _free_port()
    log, network_log = tmp_path / "demo.log", tmp_path / "network.log"
    env = dict(
        os.environ, GRADIO_TEMP_DIR=str(tmp_path / "gradio"), LAD_NETWORK_LOG=str(network_log)
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NO_NETWORK), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "lad.bin.demo", "--model_dir", str(models["lad_hard"])]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd + ["--port", str(port)], stdout=out, stderr=out, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, proc, log)
        page = browser.new_page()
        page.goto(url)
        page.locator("#speech input[type=file]").set_input_files(str(wav))
        page.locator("#transcript textarea").fill("What time is it?")
        page.locator("#respond").click()
        bank = page.locator("#bank textarea")
        page.wait_for_function(
            "document.querySelector('#bank textarea').value.length > 0", timeout=60_000
        )
        expected = lad_hard.answer(str(wav), transcript="What time is it?")
        assert page.locator("#response textarea").input_value() == expected.response
        assert page.locator("#text_response textarea").input_value() == expected.text_response
        assert bank.input_value() == expected.bank
        # the chart: its label, the top language, then a bar per language with its percentage
        words = page.locator("#gate").inner_text().split()
        bars = dict(zip(words[-2 * len(LANGS) :: 2], words[-2 * len(LANGS) + 1 :: 2], strict=True))
        assert bars == {lang: f"{round(100 * p)}%" for lang, p in expected.gate.items()}
        assert words[3] == max(expected.gate, key=expected.gate.get)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not network_log.exists(), network_log.read_text()
