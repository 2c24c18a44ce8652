"""A web demo of a trained model: speak (or upload audio), read the response.

    responder = Responder.load(Path("exp/lad_hard/packed"))   # or a stage-11 hf folder
    answer = responder.answer("question.wav", instruction=None, transcript="What is ...?")
    app = build_app(responder)                                # gradio Blocks
    app.queue(default_concurrency_limit=1).launch(server_port=7860)

Responder holds the model and does the work (greedy, a token limit, CPU-friendly); build_app
only lays it out: the response to the speech, the gate's language probabilities as bars, the
query bank the gate chose (or the mixture, or ML-DiVA's one shared set), and the text-only
LLM's answer to a typed transcript for comparison. Requests run one at a time, in order.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from lad import packed
from lad.data.audio import SAMPLE_RATE
from lad.data.corpus import is_plain_path
from lad.inference import SpeechLLM, load_model, load_speech
from lad.model.prompts import ChatPrompt

MAX_SECONDS = 60.0  # longer audio is cut (Whisper's encoder sees 30 s; the demo is for a turn)


@dataclass
class Answer:
    response: str
    gate: Optional[dict[str, float]]  # language -> probability (None: no gate, ML-DiVA)
    bank: str  # which query tokens were used, in words
    text_response: Optional[str]  # the text-only LLM on the typed transcript
    seconds: float  # of audio


def system_name(model_dir: Path) -> str:
    """The experiment's name (exp/<name>/packed, exp/<name>/hf) where the folder says it."""
    if packed.meta_path(model_dir).is_file():
        source = packed.read_meta(model_dir).get("source")
        if source:
            return Path(source).name
    return model_dir.resolve().name


class Responder:
    """A trained model answering one recording at a time."""

    def __init__(self, speech_llm: SpeechLLM, max_new_tokens: int, name: str = ""):
        self.speech_llm = speech_llm
        self.model = speech_llm.model
        self.max_new_tokens = max_new_tokens
        self.name = name

    @classmethod
    def load(
        cls, model_dir: Path, *, max_new_tokens: Optional[int] = None, device: str = "cpu"
    ) -> Responder:
        """A packed model (stage 10) or a stage-11 folder; decode.yaml gives the defaults."""
        options = packed.decode_options(model_dir)
        max_new_tokens = max_new_tokens or int(options.get("max_new_tokens", 64))
        model = load_model(Path(model_dir), device=device)
        speech_llm = SpeechLLM(model, options.get("instruction"), max_new_tokens)
        return cls(speech_llm, max_new_tokens, name=system_name(Path(model_dir)))

    @property
    def routing(self) -> Optional[str]:
        """ "hard", "soft", or None for one shared query set (ML-DiVA)."""
        return None if self.model.gate is None else self.model.conf.routing

    def describe(self) -> str:
        langs = ", ".join(self.model.langs)
        if self.routing is None:
            return f"ML-DiVA: one shared query set; trained on {langs}"
        n = self.model.query_bank.num_banks
        return f"LAD ({self.routing} routing over {n} language banks: {langs})"

    def read(self, path: str) -> np.ndarray:
        """16 kHz mono float32 of an audio file, at most MAX_SECONDS; a clear error else."""
        if not path or not is_plain_path(str(path)) or not Path(path).is_file():
            raise ValueError("no audio: record or upload a recording first")
        try:
            wave = load_speech(str(path), feats=False)
        except Exception as e:  # soundfile's errors say what is wrong with the file
            raise ValueError(f"unreadable audio ({Path(path).name}): {e}") from None
        if wave.size == 0:
            raise ValueError(f"the audio is empty ({Path(path).name})")
        return wave[: int(MAX_SECONDS * SAMPLE_RATE)]

    def bank_used(self, probs: Optional[torch.Tensor]) -> str:
        if probs is None:
            return "the one shared query set (ML-DiVA: no gate)"
        ranked = sorted(zip(self.model.langs, probs.tolist(), strict=True), key=lambda x: -x[1])
        top, p = ranked[0]
        if self.routing == "hard":
            return f"{top} bank (hard routing: the gate's most probable language, p = {p:.2f})"
        mix = ", ".join(f"{lang} {w:.2f}" for lang, w in ranked[:3])
        return f"a mixture of the banks weighted by the gate (soft routing): {mix}"

    def prompt(self, instruction: Optional[str]) -> Optional[list[ChatPrompt]]:
        if not instruction or not instruction.strip():
            return None  # the model's own prompt (and its prefix cache)
        return [ChatPrompt(self.model.tokenizer, instruction.strip())]

    @torch.no_grad()
    def answer(
        self, audio_path: str, *, instruction: Optional[str] = None, transcript: str = ""
    ) -> Answer:
        wave = self.read(audio_path)
        speech = torch.from_numpy(wave)[None]
        z, probs = self.speech_llm.project(speech, torch.tensor([wave.size]))
        prompts = self.prompt(instruction)
        response = self.speech_llm.generate(z, prompts)[0]
        p = None if probs is None else probs[0].cpu()
        gate = None if p is None else dict(zip(self.model.langs, p.tolist(), strict=True))
        text_response = None
        if transcript and transcript.strip():
            text_response = self.speech_llm.text.respond([transcript.strip()], prompts)[0]
        return Answer(response, gate, self.bank_used(p), text_response, wave.size / SAMPLE_RATE)


def build_app(responder: Responder):
    """The gradio page around ``responder`` (element ids: speech, instruction, transcript,
    respond, response, gate, bank, text_response)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline machines
    import gradio as gr

    def respond(audio_path, instruction, transcript):
        start = time.perf_counter()
        try:
            a = responder.answer(audio_path, instruction=instruction, transcript=transcript)
        except ValueError as e:
            raise gr.Error(str(e)) from None
        seconds = time.perf_counter() - start
        logging.info(
            f"{a.seconds:.1f} s of audio -> {a.response[:80]!r} ({a.bank}), {seconds:.1f} s"
        )
        gate = a.gate if a.gate is not None else {"no gate (ML-DiVA)": 1.0}
        text = a.text_response if a.text_response is not None else ""
        return a.response, gate, a.bank, text

    n = len(responder.model.langs)
    with gr.Blocks(title="lad: talk to a speech LLM") as app:
        gr.Markdown(
            f"## lad: talk to `{responder.name}`\n{responder.describe()}. Greedy decoding, at "
            f"most {responder.max_new_tokens} tokens; one request at a time."
        )
        with gr.Row():
            with gr.Column():
                audio = gr.Audio(
                    sources=["upload", "microphone"],
                    type="filepath",
                    label="Speech (record or upload)",
                    elem_id="speech",
                )
                instruction = gr.Textbox(
                    label="Instruction (optional, after the speech)", elem_id="instruction"
                )
                transcript = gr.Textbox(
                    label="Transcript (optional): the text-only LLM answers it for comparison",
                    elem_id="transcript",
                )
                button = gr.Button("Respond", variant="primary", elem_id="respond")
            with gr.Column():
                response = gr.Textbox(label="Response to the speech", elem_id="response")
                gate = gr.Label(
                    label="Gate: language probabilities", num_top_classes=n, elem_id="gate"
                )
                bank = gr.Textbox(label="Query tokens used", elem_id="bank")
                text_response = gr.Textbox(
                    label="Text-only LLM on the transcript", elem_id="text_response"
                )
        button.click(
            respond, [audio, instruction, transcript], [response, gate, bank, text_response]
        )
    return app
