"""The ASR → LLM cascade baseline: a speech recogniser transcribes, the frozen LLM answers.

    cascade = Cascade(build_asr(asr_spec), TextLLM(llm, tokenizer, max_new_tokens=32))
    cascade.run(waves, langs, texts)   # per utterance: asr_text, response, fidelity, cer, wer

Fidelity is measured as for the speech systems (lad.inference.SpeechLLM.compare), with the ASR
transcript in the place of the speech: at the position that predicts the first response token,
the LLM's final hidden states on prefix ; ASR transcript ; suffix and on prefix ; true
transcript ; suffix (l_out = their distance), and the next-token distributions there
(kl = KL(p_true || p_asr), top-1 agreement). An empty ASR transcript is an empty user turn
(prefix ; suffix). CER and WER use the normalisation of Audio-MLQA's intelligibility check
(lad.audio_mlqa.intelligibility: NFKC, lower case, no punctuation; zh on characters).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Optional

import numpy as np
import torch

from lad.asr import AbsASR
from lad.audio_mlqa.intelligibility import Edits, count_edits, rate
from lad.inference import TextLLM
from lad.model.losses import next_token_kl, output_loss


class Cascade:
    """An ASR and the frozen text LLM it feeds."""

    def __init__(self, asr: AbsASR, text_llm: TextLLM):
        self.asr = asr
        self.text_llm = text_llm
        self._empty_response: Optional[str] = None

    @torch.no_grad()
    def respond(self, texts: list[str]) -> list[str]:
        """Greedy responses (TextLLM.respond); an empty text gets the response to an empty
        user turn, decoded once."""
        token_lists = self.text_llm.tokenizer(texts, add_special_tokens=False).input_ids
        filled = [i for i, ids in enumerate(token_lists) if ids]
        out = [""] * len(texts)
        if len(filled) < len(texts):
            out = [self.empty_turn_response()] * len(texts)
        if filled:
            responses = self.text_llm.respond([texts[i] for i in filled])
            for i, response in zip(filled, responses, strict=True):
                out[i] = response
        return out

    @torch.no_grad()
    def empty_turn_response(self) -> str:
        """The greedy response to prefix ; suffix (nothing in the user turn)."""
        if self._empty_response is None:
            llm, prompt = self.text_llm.llm, self.text_llm.prompt
            ids = torch.tensor([prompt.prefix_ids + prompt.suffix_ids], device=llm.device)  # (1, N)
            out = llm.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), **self.text_llm.generate_kwargs
            )
            new = out[0, ids.size(1) :]  # (T,) the response tokens
            self._empty_response = self.text_llm.tokenizer.decode(
                new, skip_special_tokens=True
            ).strip()
            logging.info(
                f"an empty user turn (ASR transcript) is answered {self._empty_response!r}"
            )
        return self._empty_response

    @torch.no_grad()
    def compare(self, asr_texts: list[str], texts: list[str], langs: list[str]) -> list[dict]:
        """Per utterance: the response to the ASR transcript, fidelity to the true transcript at
        the response start, and the transcript's CER and WER."""
        if not len(asr_texts) == len(texts) == len(langs):
            raise ValueError(
                f"got {len(asr_texts)} ASR transcripts, {len(texts)} transcripts, "
                f"{len(langs)} languages"
            )
        # one pass over the distinct texts: an ASR transcript equal to the true one gets the
        # very same hidden state (l_out 0, kl 0), whatever else is in the batch
        unique = list(dict.fromkeys([*asr_texts, *texts]))
        index = {text: i for i, text in enumerate(unique)}
        h = self.text_llm.hidden(unique)  # (U, d_llm)
        logits = self.text_llm.llm.get_output_embeddings()(h).float()  # (U, V)
        rows_a = torch.tensor([index[t] for t in asr_texts], device=h.device)  # (B,)
        rows_t = torch.tensor([index[t] for t in texts], device=h.device)  # (B,)
        l_out = output_loss(h[rows_a].float(), h[rows_t].float())  # (B,)
        kl = next_token_kl(logits[rows_t], logits[rows_a])  # (B,)
        top_a, top_t = logits[rows_a].argmax(-1), logits[rows_t].argmax(-1)  # (B,), (B,)
        responses = self.respond(asr_texts)
        tokenizer = self.text_llm.tokenizer
        out = []
        for i, (asr_text, text, lang) in enumerate(zip(asr_texts, texts, langs, strict=True)):
            edits = count_edits(text, asr_text, lang)
            out.append(
                dict(
                    asr_text=asr_text,
                    response=responses[i],
                    l_out=float(l_out[i]),
                    kl=float(kl[i]),
                    top1_agree=bool(top_a[i] == top_t[i]),
                    top1_speech=tokenizer.decode([int(top_a[i])]),
                    top1_text=tokenizer.decode([int(top_t[i])]),
                    top1_speech_id=int(top_a[i]),
                    top1_text_id=int(top_t[i]),
                    cer=edits.cer,
                    wer=edits.wer,
                )
            )
        return out

    def run(self, waves: list[np.ndarray], langs: list[str], texts: list[str]) -> list[dict]:
        """Transcribe 16 kHz mono waves, then ``compare`` (see there)."""
        asr_texts = self.asr.transcribe(waves, langs)
        if len(asr_texts) != len(waves):
            raise RuntimeError(f"the ASR returned {len(asr_texts)} transcripts for {len(waves)}")
        return self.compare(asr_texts, texts, langs)


def asr_scores(records: list[dict]) -> dict:
    """Corpus-level CER and WER of ``asr_text`` against ``text`` (edits summed over the
    utterances / reference length summed) per language, and their macro average:
    {"langs": {lang: {n, cer, wer}}, "avg": {n, cer, wer}} (the layout of fidelity.score)."""
    by_lang: dict[str, list[Edits]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(count_edits(r["text"], r["asr_text"], r["lang"]))
    langs = {
        lang: dict(
            n=len(edits),
            cer=rate(sum(e.char_errors for e in edits), sum(e.chars for e in edits)),
            wer=rate(sum(e.word_errors for e in edits), sum(e.words for e in edits)),
        )
        for lang, edits in sorted(by_lang.items())
    }
    avg = dict(
        n=sum(m["n"] for m in langs.values()),
        cer=float(np.mean([m["cer"] for m in langs.values()])) if langs else None,
        wer=float(np.mean([m["wer"] for m in langs.values()])) if langs else None,
    )
    return {"langs": langs, "avg": avg}
