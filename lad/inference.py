"""Responses of a trained LAD model to speech, and of its frozen LLM to the transcript.

    model = load_model(Path("exp/lad_hard"), Path("exp/lad_hard/valid.loss.ave.pth"))
    speech_llm = SpeechLLM(model, instruction=None, max_new_tokens=64)
    speech_llm.respond(speech, lengths)             # greedy responses to speech
    speech_llm.compare(speech, lengths, texts)      # + fidelity to the text-only LLM

Fidelity is measured where the distillation acts: at the position that predicts the first
response token, the student (speech) and teacher (transcript) final hidden states (held-out
L_OUT) and next-token distributions (KL(p_text || p_speech), top-1 agreement).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import kaldiio
import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from lad import packed
from lad.data.audio import read_audio, to_mono_16k
from lad.data.files import JsonlProgress, progress_path
from lad.data.kaldi import read_kaldi_file
from lad.log import Progress
from lad.model.frozen_llm import FrozenLLM
from lad.model.lad_model import LADModel
from lad.model.prompts import ChatPrompt, pad_rows
from lad.model.teacher_cache import response_lengths
from lad.tasks.lad import LADTask


def load_model(model_dir: Path, model_file: Optional[Path] = None, device: str = "cpu") -> LADModel:
    """A model from ``<model_dir>/config.yaml`` (ESPnet's training config, or a packed
    directory's) and its trainable weights (default ``<model_dir>/model.pth``). The weights
    must match exactly; the frozen backbones come from the specs in the config."""
    config = packed.config_path(model_dir)
    model_file = model_file or packed.weights_path(model_dir)
    packed.check_model_files(config, model_file)
    model, _ = LADTask.build_model_from_file(config, None, device)
    state = packed.load_weights(model_file, device)
    model.load_state_dict(state, strict=True)  # frozen keys are allowed to be absent
    logging.info(f"loaded {model_file} ({len(state)} tensors)")
    return model.eval()


def _decode(tokenizer: PreTrainedTokenizerBase, ids: torch.Tensor) -> list[str]:
    return [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]


def _greedy(max_new_tokens: int, pad_id: int) -> dict:
    return dict(max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad_id)


class TextLLM:
    """The frozen LLM answering the transcript: the ceiling the student is distilled to."""

    def __init__(
        self,
        llm: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        instruction: Optional[str] = None,
        max_new_tokens: int = 64,
    ):
        self.llm = llm.eval()
        self.tokenizer = tokenizer
        self.prompt = ChatPrompt(tokenizer, instruction)
        self.frozen_llm = FrozenLLM(self.llm)
        self.generate_kwargs = _greedy(max_new_tokens, self.prompt.pad_id)

    def token_lists(self, texts: list[str]) -> list[list[int]]:
        out = self.tokenizer(texts, add_special_tokens=False).input_ids
        for text, ids in zip(texts, out, strict=True):
            if not ids:
                raise ValueError(f"empty transcript: {text!r}")
        return out

    @torch.no_grad()
    def response_ids(
        self, texts: list[str], prompts: Optional[list[ChatPrompt]] = None
    ) -> torch.Tensor:
        """Greedy response ids (B, R) to the texts in the user turn (per-item prompts
        optional); after the end of a response, the pad id."""
        device = self.llm.device
        token_lists = self.token_lists(texts)
        if prompts is None and self.frozen_llm.prefix_cache:
            # One prompt: its prefix comes from the cache, so only transcript ; suffix are
            # run (left-padded after the prefix: generate's positions follow the mask).
            P = len(self.prompt.prefix_ids)
            rows = [list(t) + self.prompt.suffix_ids for t in token_lists]
            rest, rest_mask = pad_rows(rows, self.prompt.pad_id, left=True)
            prefix = torch.tensor([self.prompt.prefix_ids]).expand(len(rows), -1)
            ids = torch.cat([prefix, rest], 1)
            mask = torch.cat([torch.ones(len(rows), P, dtype=rest_mask.dtype), rest_mask], 1)
            cache = self.frozen_llm.prefix_cache_for(self.prompt, len(rows))
            out = self.llm.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                cache=cache,
                **self.generate_kwargs,
            )
            return out[:, ids.size(1) :]
        prompts = prompts or [self.prompt] * len(texts)
        rows = [p.text_rows([t])[0] for p, t in zip(prompts, token_lists, strict=True)]
        ids, mask = pad_rows(rows, self.prompt.pad_id, left=True)
        out = self.llm.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), **self.generate_kwargs
        )
        return out[:, ids.size(1) :]

    def response_id_lists(
        self, texts: list[str], batch_size: int, progress: Optional[Progress] = None
    ) -> list[list[int]]:
        """Each text's greedy response ids up to and including its end-of-turn token (at most
        max_new_tokens), in batches; ``progress`` is advanced per batch."""
        out: list[list[int]] = []
        for i in range(0, len(texts), batch_size):
            ids = self.response_ids(texts[i : i + batch_size]).cpu()
            lengths = response_lengths(ids, self.tokenizer.eos_token_id)
            out += [row[:k].tolist() for row, k in zip(ids, lengths.tolist(), strict=True)]
            if progress is not None:
                progress.update(ids.size(0))
        return out

    def respond(self, texts: list[str], prompts: Optional[list[ChatPrompt]] = None) -> list[str]:
        """Greedy responses to the texts in the user turn (per-item prompts optional)."""
        return _decode(self.tokenizer, self.response_ids(texts, prompts))

    @torch.no_grad()
    def hidden(self, texts: list[str]) -> torch.Tensor:
        """Final hidden states (B, d_llm) at the position that predicts the first response
        token, each text as the user turn: prefix ; text ; suffix (the training teacher's
        pass, with the prefix cache). An empty text is an empty user turn: prefix ; suffix."""
        token_lists = self.tokenizer(texts, add_special_tokens=False).input_ids
        text, _ = pad_rows(token_lists, self.prompt.pad_id, left=False)  # (B, N)
        lengths = torch.tensor([len(t) for t in token_lists])  # (B,)
        device = self.llm.device
        return self.frozen_llm.teacher_hidden(self.prompt, text.to(device), lengths.to(device))


class SpeechLLM:
    """A trained LAD (or ML-DiVA) model answering speech with its frozen LLM."""

    def __init__(
        self, model: LADModel, instruction: Optional[str] = None, max_new_tokens: int = 64
    ):
        self.model = model.eval()
        self.text = TextLLM(model.llm, model.tokenizer, instruction, max_new_tokens)
        self.prompt = self.text.prompt

    @property
    def device(self) -> torch.device:
        return self.model.query_bank.queries.device

    @torch.no_grad()
    def project(
        self, speech: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Speech (waveforms or encoder states) -> Z (B, L, d_llm), gate probabilities (B, K)."""
        enc, mask = self.model.encode(speech.to(self.device), lengths.to(self.device))
        z, logits = self.model.speech_to_llm(enc, mask)
        return z, None if logits is None else logits.float().softmax(-1)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, prompts: Optional[list[ChatPrompt]] = None) -> list[str]:
        """Greedy responses from projected speech; per-item prompts, or per-item lengths of
        what the LLM reads (in_ctc_compress), are left-padded."""
        llm = self.model.llm
        embed = llm.get_input_embeddings()
        kwargs = {}
        z, lengths = self.model.llm_inputs(z)
        if prompts is None and lengths is None:  # no padding: the prefix from its cache
            embeds = self.prompt.student_embeds(embed, z)
            mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
            if self.model.frozen_llm.prefix_cache:
                kwargs["cache"] = self.model.frozen_llm.prefix_cache_for(self.prompt, z.size(0))
        else:
            prompts = prompts or [self.prompt] * z.size(0)
            n_z = [z.size(1)] * z.size(0) if lengths is None else lengths.tolist()
            rows = [
                p.student_embeds(embed, z[i : i + 1, : n_z[i]])[0] for i, p in enumerate(prompts)
            ]
            n = max(len(r) for r in rows)
            embeds = z.new_zeros(len(rows), n, z.size(-1))
            mask = torch.zeros(len(rows), n, dtype=torch.long, device=z.device)
            for i, r in enumerate(rows):
                embeds[i, n - len(r) :] = r
                mask[i, n - len(r) :] = 1
        embeds = embeds.to(self.model.llm_dtype)
        out = llm.generate(
            inputs_embeds=embeds, attention_mask=mask, **kwargs, **self.text.generate_kwargs
        )
        return _decode(self.model.tokenizer, out)  # only new tokens when given embeddings

    def respond(
        self,
        speech: torch.Tensor,
        lengths: torch.Tensor,
        prompts: Optional[list[ChatPrompt]] = None,
    ) -> list[str]:
        return self.generate(self.project(speech, lengths)[0], prompts)

    @torch.no_grad()
    def compare(self, speech: torch.Tensor, lengths: torch.Tensor, texts: list[str]) -> list[dict]:
        """Per utterance: response to speech, gate output, and fidelity to the transcript."""
        model = self.model
        z, probs = self.project(speech, lengths)
        h_s = model.student_hidden(z, self.prompt)
        token_lists = self.text.token_lists(texts)
        ids, _ = pad_rows(token_lists, 0, left=False)
        text_lengths = torch.tensor([len(t) for t in token_lists])
        ids, text_lengths = ids.to(self.device), text_lengths.to(self.device)
        h_t = model.teacher_hidden(ids, text_lengths, self.prompt)
        fid = {k: v.tolist() for k, v in model.fidelity(z, h_s, h_t, ids, text_lengths).items()}
        readings = model.query_reading(z, text_lengths)
        responses = self.generate(z)
        out = []
        for i, response in enumerate(responses):
            item = dict(
                response=response,
                l_out=fid["l_out"][i],
                kl=fid["kl"][i],
                top1_agree=bool(fid["top1_agree"][i]),
                q2t_acc=fid["q2t_acc"][i],
                reading=model.tokenizer.decode(readings[i]),  # what Z spells (q2t's reading)
                top1_speech=model.tokenizer.decode([fid["top1_speech"][i]]),
                top1_text=model.tokenizer.decode([fid["top1_text"][i]]),
                top1_speech_id=int(fid["top1_speech"][i]),  # byte tokens all decode to "\ufffd"
                top1_text_id=int(fid["top1_text"][i]),
            )
            if probs is not None:
                item["gate"] = model.langs[int(probs[i].argmax())]
                item["gate_probs"] = [round(float(p), 4) for p in probs[i]]
            out.append(item)
        return out


# -- data ----------------------------------------------------------------------------
@dataclass
class Batch:
    utt_ids: list[str]
    speech: torch.Tensor  # (B, S) waveforms or (B, T, d_w) encoder states, zero-padded
    lengths: torch.Tensor  # (B,)
    texts: list[str]
    langs: list[str]


def load_speech(entry: str, feats: bool) -> np.ndarray:
    """One wav.scp value (audio, resampled to 16 kHz mono) or feats.scp value (states)."""
    if feats:
        return np.asarray(kaldiio.load_mat(entry), dtype=np.float32)
    wave, rate = read_audio(entry)
    return to_mono_16k(wave, rate)


def pad_speech(arrays: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(a) for a in arrays])
    speech = torch.zeros((len(arrays), int(lengths.max()), *arrays[0].shape[1:]))
    for i, a in enumerate(arrays):
        speech[i, : len(a)] = torch.from_numpy(a)
    return speech, lengths


def iterate_data_dir(data_dir: Path, batch_size: int, skip: Container[str] = ()) -> Iterator[Batch]:
    """Batches of a stage-3 (wav.scp) or stage-4 (feats.scp) directory with text, utt2lang;
    a batch whose utterances are all in ``skip`` is passed over without reading its speech."""
    feats = (data_dir / "feats.scp").is_file()
    scp = read_kaldi_file(data_dir / ("feats.scp" if feats else "wav.scp"))
    text = read_kaldi_file(data_dir / "text")
    lang = read_kaldi_file(data_dir / "utt2lang")
    missing = [u for u in scp if u not in text or u not in lang]
    if missing:
        raise ValueError(f"{data_dir}: no text or utt2lang for {len(missing)} utts: {missing[:3]}")
    utts = list(scp)
    for start in range(0, len(utts), batch_size):
        ids = utts[start : start + batch_size]
        if all(u in skip for u in ids):
            continue
        speech, lengths = pad_speech([load_speech(scp[u], feats) for u in ids])
        yield Batch(ids, speech, lengths, [text[u] for u in ids], [lang[u] for u in ids])


def decode_data_dir_to_jsonl(
    data_dir: Path,
    batch_size: int,
    out: Path,
    respond: Callable[[Batch], list[dict]],
    stamp: str,
) -> None:
    """Stage 8's loop: ``respond`` to every batch of ``data_dir`` and write one json line per
    utterance (utt_id, lang, text, then what respond returned) to ``out``, atomically, logging
    progress. Each batch's lines go to ``out``'s progress file as they are made; a killed run
    started again with the same ``stamp`` (inputs and options) continues after the batches it
    finished, with the same batches, so its output equals an uninterrupted run's."""
    progress = JsonlProgress(progress_path(out), f"{stamp} batch_size={batch_size}")
    done = {r["utt_id"]: r for r in progress.records}
    order = list(read_kaldi_file(data_dir / "text"))  # the data directory's (sorted) order
    progress_line = Progress(
        f"decode {data_dir.name}", len(order), unit="utterances", done=len(done)
    )
    for batch in iterate_data_dir(data_dir, batch_size, skip=done):
        results = respond(batch)
        records = [
            dict(utt_id=utt, lang=lang, text=text, **res)
            for utt, lang, text, res in zip(
                batch.utt_ids, batch.langs, batch.texts, results, strict=True
            )
            if utt not in done
        ]
        progress.append(records)
        done.update((r["utt_id"], r) for r in records)
        progress_line.update(len(records))
    progress_line.close()
    progress.finish(out, [done[u] for u in order if u in done])
