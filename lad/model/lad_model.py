"""LADModel: language-aware distillation of a frozen LLM onto speech (Gopal et al., 2026).

    H   = WhisperEncoder(speech)                    frozen,      (B, T, d_w)
    g   = Gate(H)                                   trainable,   (B, K)
    Q   = sum_k route(g)_k Q^(k)                    query bank,  (B, L, d_w)
    Z   = Proj(QFormer(Q, H))                       trainable,   (B, L, d_llm)
    h_s = LLM(prefix ; Z ; suffix)[-1]              frozen LLM,  (B, d_llm)
    h_t = LLM(prefix ; transcript ; suffix)[-1]     no grad,     (B, d_llm)
    L   = l_out ||h_s - h_t|| + l_in L_IN + l_lid CE(g, lang) [+ l_kl KL(p_t || p_s)]

Without a gate (K = 1) this is the ML-DiVA baseline: one shared query set.
Only the query bank, gate, Q-Former and projection train; the frozen backbones are left out
of state_dict(), so ESPnet's checkpoints hold only the trainable tensors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Optional

import torch
import torch.nn.functional as F
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel
from transformers import (
    PreTrainedModel,
    PreTrainedTokenizerBase,
    WhisperFeatureExtractor,
    WhisperModel,
)

from lad.model.backbones import freeze
from lad.model.encoder import WhisperSpeechEncoder, padding_mask
from lad.model.frozen_llm import FrozenLLM
from lad.model.gates import AbsGate
from lad.model.losses import (
    ALIGNMENTS,
    aligned_queries,
    aligned_token_logits,
    ctc_alignment,
    ctc_embedding_pull,
    ctc_feasible,
    ctc_greedy,
    ctc_greedy_keep,
    ctc_token_accuracy,
    ctc_token_logits,
    input_loss,
    input_token_ce,
    next_token_kl,
    output_loss,
    pack_kept,
    query_ctc,
    query_token_accuracy,
)
from lad.model.prompts import ChatPrompt
from lad.model.qformer import WhisperQFormer
from lad.model.query_bank import ROUTINGS, QueryBank, route, teacher_forcing_prob

FROZEN_PREFIXES = ("encoder.", "llm.")


@dataclass
class LADConfig:
    num_queries: int = 256  # L
    routing: str = "hard"  # soft | hard; unused without a gate
    out_weight: float = 1.0  # lambda_out
    in_weight: float = 1.0  # lambda_in
    lid_weight: float = 1.0  # lambda_lid; unused without a gate
    kl_weight: float = 0.0  # exact next-token KL, beyond the paper
    in_ce_weight: float = 0.0  # token cross-entropy of the aligned queries, beyond the paper
    # CTC of the transcript over all L queries (tokens of the LLM's vocabulary + a trainable
    # blank; no fixed alignment), beyond the paper (Soundwave's content head); with it q2t
    # is 1 - the token error rate of the queries' greedy CTC reading
    in_ctc_weight: float = 0.0
    in_ctc_temperature: float = 1.0  # of the CTC logits -|Z - E|^2 / 2
    # L_IN along the CTC's most likely path: each query the path has emit a token is pulled
    # onto that token's embedding (the blank queries stay free), beyond the paper; needs
    # in_ctc_weight. The CTC alone only makes Z_j nearer its token than the other tokens.
    in_ctc_pull_weight: float = 0.0
    # the pull's weight during the content stage (content_updates); None: in_ctc_pull_weight.
    # A strong pull from the start holds Z on a path the CTC has not yet learned: the reading
    # of 960 mini utterances then learns slowly (valid q2t 14 % at 400 updates against 36 %)
    content_pull_weight: Optional[float] = None
    # the LLM reads only the queries the greedy CTC reading keeps (not blank, not a repeat;
    # CTC compression), in training and inference, beyond the paper; needs in_ctc_weight.
    # Without it the blank queries sit between the spelled tokens and the LLM reads them too.
    in_ctc_compress: bool = False
    # with in_ctc_compress, each kept query is read as its CTC posterior's mixture of token
    # embeddings (softmax over the vocabulary, the blank left out, at in_ctc_temperature):
    # Z read as the text it spells, differentiably, beyond the paper. A stronger L2 pull
    # onto the tokens broke the reading of unseen speech (README)
    in_ctc_mixture: bool = False
    # query i cross-attends only to the i-th of L equal windows of the audio (SALMONN's
    # window-level Q-Former on a fixed L), beyond the paper; pairs with in_ctc_weight
    query_windows: bool = False
    # dropout in the Q-Former's layers (attention weights and the attention and feed-forward
    # outputs; BLIP-2's Q-Former trains with 0.1), beyond the paper: Whisper's decoder has
    # none, and the CTC reading of 960 mini utterances overfits after ~600 updates
    qformer_dropout: float = 0.0
    # KL(p_text || p_speech) at every later position of the text-only LLM's own response
    # (teacher-forced; the ``response`` data of stage 5), beyond the paper: L_OUT and kl
    # match the first response token only, this the continuation the LLM generates
    response_kl_weight: float = 0.0
    response_tokens: int = 16  # the responses' length stage 5 stores for response_kl_weight
    # which queries L_IN aligns with the transcript's T tokens: "last" (DiVA's: the last T,
    # so a token's query depends on the length) or "first" (query i <-> token i), beyond the paper
    in_align: str = "last"
    teacher_forcing: bool = True  # scheduled teacher forcing of the bank choice
    # a content stage before distillation, beyond the paper: the first content_updates
    # updates train on the content losses only (L_IN, its token CE, the gate's LID loss),
    # without the LLM's passes; L_OUT and the KL join after them
    content_updates: int = 0
    total_updates: Optional[int] = None  # schedule length; None: LADTask counts it
    # dtype of the frozen encoder and LLM (e.g. bfloat16 under bf16 autocast on GPUs),
    # kept when ESPnet casts the model to --train_dtype; None: the model's dtype
    frozen_dtype: Optional[str] = None
    # torch.autocast dtype of the trainable Q-Former and of the LLM's passes in the training
    # step (validation too), on any device: "bfloat16" (about 1.5-1.9x faster steps on a CPU
    # with AMX, README); the CTC head over the vocabulary stays float32 (lad.model.losses).
    # ESPnet's --use_amp autocasts on CUDA only. None: no autocast of the model's own.
    autocast: Optional[str] = None
    # run the frozen LLM on the chat-template prefix once (its key/value cache is reused by
    # every student and teacher pass); false: the full prompt every time (same numbers)
    prefix_cache: bool = True
    # initial scale of the Q-Former's projection (beyond the paper): "embed" starts the
    # projected queries at the norm of the LLM's token embeddings; "torch" is PyTorch's
    # default Linear init (far larger with Whisper's decoder, see lad/model/qformer.py)
    proj_init: str = "embed"

    @classmethod
    def from_dict(cls, conf: dict[str, Any]) -> LADConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(conf) - names
        if unknown:
            raise ValueError(f"unknown model_conf keys {sorted(unknown)}; valid: {sorted(names)}")
        config = cls(**conf)
        if config.routing not in ROUTINGS:
            raise ValueError(f"model_conf.routing must be one of {ROUTINGS}: {config.routing!r}")
        if config.in_align not in ALIGNMENTS:
            raise ValueError(
                f"model_conf.in_align must be one of {ALIGNMENTS}: {config.in_align!r}"
            )
        if config.in_ctc_temperature <= 0:
            raise ValueError(
                f"model_conf.in_ctc_temperature must be > 0: {config.in_ctc_temperature}"
            )
        if max(config.in_ctc_pull_weight, config.content_pull_weight or 0) > 0 and (
            config.in_ctc_weight <= 0
        ):
            raise ValueError("model_conf.in_ctc_pull_weight needs in_ctc_weight > 0 (its path)")
        if config.in_ctc_compress and config.in_ctc_weight <= 0:
            raise ValueError("model_conf.in_ctc_compress needs in_ctc_weight > 0 (its reading)")
        if config.in_ctc_mixture and not config.in_ctc_compress:
            raise ValueError("model_conf.in_ctc_mixture needs in_ctc_compress (no blank queries)")
        if not 0 <= config.qformer_dropout < 1:
            raise ValueError(
                f"model_conf.qformer_dropout must be in [0, 1): {config.qformer_dropout}"
            )
        if config.proj_init not in ("embed", "torch"):
            raise ValueError(f"model_conf.proj_init must be embed or torch: {config.proj_init!r}")
        if config.autocast not in (None, "bfloat16"):
            raise ValueError(f"model_conf.autocast must be bfloat16 or null: {config.autocast!r}")
        if config.frozen_dtype not in (None, "float32", "bfloat16", "float16"):
            raise ValueError(
                f"model_conf.frozen_dtype must be float32, bfloat16 or float16: "
                f"{config.frozen_dtype!r}"
            )
        return config


class LADModel(AbsESPnetModel):
    def __init__(
        self,
        whisper: WhisperModel,
        feature_extractor: WhisperFeatureExtractor,
        llm: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        langs: list[str],
        gate: Optional[AbsGate],
        conf: LADConfig,
    ):
        super().__init__()
        self.conf = conf
        self.langs = list(langs)
        d_w = whisper.config.d_model
        d_llm = llm.get_input_embeddings().embedding_dim
        # 1. Frozen backbones.
        self.encoder = freeze(WhisperSpeechEncoder(whisper.get_encoder(), feature_extractor))
        self.llm = freeze(llm)
        self.tokenizer = tokenizer
        self.prompt = ChatPrompt(tokenizer)
        # 2. Trainable parts: gate, query bank (K = 1 without a gate), Q-Former + projection.
        self.gate = gate
        num_banks = len(self.langs) if gate is not None else 1
        self.query_bank = QueryBank(num_banks, conf.num_queries, d_w)
        embed_norm = None
        if conf.proj_init == "embed":
            embed_norm = float(llm.get_input_embeddings().weight.float().norm(dim=-1).mean())
        self.qformer = WhisperQFormer(
            whisper.get_decoder(),
            conf.num_queries,
            d_llm,
            embed_norm,
            conf.query_windows,
            conf.qformer_dropout,
        )
        if conf.in_ctc_weight > 0:  # the blank's vector, from the mean token embedding
            mean = llm.get_input_embeddings().weight.detach().float().mean(0)
            self.ctc_blank = torch.nn.Parameter(mean.clone())
        # 3. Optimizer updates so far (a step hook set by LADTask advances it); saved and
        #    resumed with the checkpoint. It drives the teacher-forcing schedule.
        self.register_buffer("num_updates", torch.zeros((), dtype=torch.long))
        self.total_updates = conf.total_updates or 0
        self._register_state_dict_hook(_drop_frozen_keys)
        self.register_load_state_dict_post_hook(_allow_missing_frozen_keys)
        self.frozen_dtype = getattr(torch, conf.frozen_dtype) if conf.frozen_dtype else None
        self._cast_frozen()
        # The frozen LLM's passes, with the prompt prefix's key/value cache (a plain object:
        # nothing of it goes into state_dict).
        self.frozen_llm = FrozenLLM(self.llm, conf.prefix_cache)

    # -- bookkeeping -----------------------------------------------------------------
    def to(self, *args, **kwargs) -> LADModel:
        """As nn.Module.to, but the frozen backbones keep model_conf.frozen_dtype."""
        super().to(*args, **kwargs)
        self._cast_frozen()
        return self

    def _cast_frozen(self) -> None:
        if self.frozen_dtype is not None:
            self.encoder.to(self.frozen_dtype)
            self.llm.to(self.frozen_dtype)

    @property
    def llm_dtype(self) -> torch.dtype:
        return self.llm.get_input_embeddings().weight.dtype

    def train(self, mode: bool = True) -> LADModel:
        super().train(mode)
        self.encoder.eval()
        self.llm.eval()
        return self

    def amp(self, device: torch.device) -> contextlib.AbstractContextManager:
        """model_conf.autocast's context on ``device``; without it a no-op that leaves an
        outer autocast (ESPnet's --use_amp) as it is."""
        if self.conf.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=getattr(torch, self.conf.autocast))

    def in_content_stage(self) -> bool:
        """Training within the first model_conf.content_updates updates."""
        return self.training and int(self.num_updates) < self.conf.content_updates

    def teacher_forcing_prob(self) -> float:
        if not (self.training and self.gate is not None and self.conf.teacher_forcing):
            return 0.0
        return teacher_forcing_prob(int(self.num_updates), self.total_updates)

    # -- the pieces ------------------------------------------------------------------
    def encode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Frozen Whisper encoder: H (B, T, d_w) and mask (B, T).

        ``speech`` is either waveforms (B, S) or, after stage 4 (dump_feats), the encoder
        states themselves (B, T, d_w) with frame counts as lengths.
        """
        if speech.dim() == 3:
            if speech.size(-1) != self.encoder.output_size:
                raise ValueError(
                    f"speech features of size {speech.size(-1)} do not match the encoder's "
                    f"{self.encoder.output_size} (multi-channel audio? stage 3 makes it mono)"
                )
            mask = padding_mask(speech_lengths, speech.size(1))
            return speech.to(self.query_bank.queries.dtype), mask
        with torch.no_grad():
            enc, mask = self.encoder(speech, speech_lengths)
        return enc.to(self.query_bank.queries.dtype), mask

    def speech_to_llm(
        self,
        enc: torch.Tensor,
        enc_mask: torch.Tensor,
        lang: Optional[torch.Tensor] = None,
        p_tf: float = 0.0,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """H -> Z (B, L, d_llm) in the LLM's embedding space, and the gate logits (B, K),
        both in the trainable parameters' dtype (under model_conf.autocast too).
        p_tf: probability of forcing the true language's bank (training only)."""
        B = enc.size(0)
        dtype = self.query_bank.queries.dtype
        with self.amp(enc.device):
            if self.gate is None:
                logits = None
                weights = enc.new_ones(B, 1)  # (B, 1): the one shared bank
            else:
                logits = self.gate(enc, enc_mask).to(dtype)  # (B, K)
                weights = route(logits, self.conf.routing, p_tf, lang)
            queries = self.query_bank(weights)  # (B, L, d_w)
            z = self.qformer(queries, enc, enc_mask)
        return z.to(dtype), logits

    def llm_inputs(
        self, z: torch.Tensor, scores: Optional[torch.Tensor] = None
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """What the LLM reads of Z (B, L, d_llm): Z itself (lengths None), or with
        in_ctc_compress the queries the greedy CTC reading keeps, packed to the front, and
        their counts (B,) (lad.model.losses.pack_kept); with in_ctc_mixture each kept query
        as its CTC posterior's mixture of token embeddings. scores: Z's CTC logits where the
        caller has them (the training step's, with their gradient), else computed here."""
        c = self.conf
        if not c.in_ctc_compress:
            return z, None
        weight = self.llm.get_input_embeddings().weight
        if scores is None:
            with torch.set_grad_enabled(torch.is_grad_enabled() and c.in_ctc_mixture):
                scores = ctc_token_logits(
                    z.float(), weight.float(), self.ctc_blank.float(), c.in_ctc_temperature
                )
        keep = ctc_greedy_keep(scores.detach())[1]
        if c.in_ctc_mixture:  # (B, L, V) posteriors over the tokens, blank left out
            z = (scores[..., :-1].float().softmax(-1) @ weight.float()).to(z.dtype)
        return pack_kept(z, keep)

    def student_hidden(self, z: torch.Tensor, prompt: Optional[ChatPrompt] = None) -> torch.Tensor:
        """Final LLM hidden state predicting the first response token to speech. (B, d_llm)
        prompt: another template rendering (e.g. with an instruction); default the training one.
        """
        return self.frozen_llm.student_hidden(prompt or self.prompt, *self.llm_inputs(z))

    def teacher_hidden(
        self, text: torch.Tensor, text_lengths: torch.Tensor, prompt: Optional[ChatPrompt] = None
    ) -> torch.Tensor:
        """The same for the transcript as the user turn. (B, d_llm)"""
        return self.frozen_llm.teacher_hidden(prompt or self.prompt, text, text_lengths)

    @torch.no_grad()
    def fidelity(
        self,
        z: torch.Tensor,
        h_s: torch.Tensor,
        h_t: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """How close the student is to the text-only LLM, per utterance (B,): L_OUT, the
        next-token KL(text || speech) and top-1 agreement at the response start (with both
        top-1 token ids), and whether Z spells the transcript (q2t_acc, L_IN's alignment).
        Validation statistics and stage 8 both report these."""
        head = self.llm.get_output_embeddings()
        logits_s, logits_t = head(h_s).float(), head(h_t.to(h_s.dtype)).float()
        top_s, top_t = logits_s.argmax(-1), logits_t.argmax(-1)
        return dict(
            l_out=output_loss(h_s.float(), h_t.float()),
            kl=next_token_kl(logits_t, logits_s),
            top1_speech=top_s,
            top1_text=top_t,
            top1_agree=(top_s == top_t).float(),
            q2t_acc=self.query_text_accuracy(z, text, text_lengths),
        )

    def query_text_accuracy(
        self, z: torch.Tensor, text: torch.Tensor, text_lengths: torch.Tensor
    ) -> torch.Tensor:
        """q2t per utterance (B,): how well Z spells the transcript, read as the content
        loss reads it (L_IN's alignment, or the greedy CTC reading with in_ctc_weight)."""
        weight, c = self.llm.get_input_embeddings().weight.float(), self.conf
        if c.in_ctc_weight > 0:
            blank, tau = self.ctc_blank.float(), c.in_ctc_temperature
            logits = ctc_token_logits(z.float(), weight, blank, tau)
            return ctc_token_accuracy(logits, text, text_lengths)
        return query_token_accuracy(
            *aligned_token_logits(z.float(), text, text_lengths, weight, c.in_align)
        )

    @torch.no_grad()
    def query_reading(self, z: torch.Tensor, text_lengths: torch.Tensor) -> list[list[int]]:
        """What Z spells, as q2t reads it: the greedy CTC reading (in_ctc_weight), else the
        nearest token of each of the min(T, L) queries L_IN aligns with the transcript.
        z (B, L, d_llm), text_lengths (B,) -> one id list per utterance."""
        weight, c = self.llm.get_input_embeddings().weight.float(), self.conf
        if c.in_ctc_weight > 0:
            blank, tau = self.ctc_blank.float(), c.in_ctc_temperature
            return ctc_greedy(ctc_token_logits(z.float(), weight, blank, tau))
        z_sel, valid = aligned_queries(z.float(), text_lengths, z.size(1), c.in_align)
        nearest = (z_sel @ weight.T - 0.5 * weight.pow(2).sum(-1)).argmax(-1)  # (B, n)
        return [row[: int(n)] for row, n in zip(nearest.tolist(), valid.sum(1), strict=True)]

    # -- ESPnet interface ------------------------------------------------------------
    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        lang: torch.Tensor,
        lang_lengths: Optional[torch.Tensor] = None,
        teacher: Optional[torch.Tensor] = None,
        teacher_lengths: Optional[torch.Tensor] = None,
        response: Optional[torch.Tensor] = None,
        response_lengths: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> tuple[torch.Tensor, dict[str, Optional[torch.Tensor]], torch.Tensor]:
        """teacher: the stage-5 cache of h_t (B, d_llm), when the data has one; otherwise
        the frozen LLM computes it here from the transcript. response (B, R), right-padded
        with -1: the text-only LLM's greedy response ids (stage 5), for response_kl_weight;
        the cache then holds the teacher's states along the response (B, R, d_llm), zero-
        padded, and no teacher pass runs here."""
        with self.amp(speech.device):
            args = (text, text_lengths, lang, teacher, response, response_lengths)
            return self._forward(speech, speech_lengths, *args)

    def _forward(
        self, speech, speech_lengths, text, text_lengths, lang, teacher, response, response_lengths
    ) -> tuple[torch.Tensor, dict[str, Optional[torch.Tensor]], torch.Tensor]:
        """forward's step, under model_conf.autocast."""
        B = speech.size(0)
        assert speech_lengths.shape == (B,), speech_lengths.shape
        lang = lang.view(B).long()
        text = text.clamp(min=0)  # padding (-1) -> a valid id; lengths mask it out
        c = self.conf
        scores = None  # Z's CTC logits, with in_ctc_weight

        enc, enc_mask = self.encode(speech, speech_lengths)
        p_tf = self.teacher_forcing_prob()  # one read of the update counter per step
        z, logits = self.speech_to_llm(enc, enc_mask, lang, p_tf)  # (B, L, d_llm), (B, K)
        with torch.no_grad():
            text_embeds = self.llm.get_input_embeddings()(text)  # (B, N, d_llm)
        l_in = input_loss(z, text_embeds, text_lengths, c.in_align).mean()
        loss = c.in_weight * l_in
        stats: dict[str, Optional[torch.Tensor]] = dict(l_in=l_in.detach())
        if c.in_ce_weight > 0:
            weight = self.llm.get_input_embeddings().weight
            scores = aligned_token_logits(z, text, text_lengths, weight, c.in_align)
            l_in_ce = input_token_ce(*scores).mean()
            loss = loss + c.in_ce_weight * l_in_ce
            stats["l_in_ce"] = l_in_ce.detach()
        if c.in_ctc_weight > 0:
            weight = self.llm.get_input_embeddings().weight
            scores = ctc_token_logits(z, weight, self.ctc_blank, c.in_ctc_temperature)
            l_in_ctc = query_ctc(scores, text, text_lengths).mean()
            loss = loss + c.in_ctc_weight * l_in_ctc
            stats["l_in_ctc"] = l_in_ctc.detach()
            pull_weight = c.in_ctc_pull_weight
            if c.content_pull_weight is not None and self.in_content_stage():
                pull_weight = c.content_pull_weight
            if pull_weight > 0:
                labels = ctc_alignment(scores, text, text_lengths)
                l_in_pull = ctc_embedding_pull(z, weight, labels).mean()
                loss = loss + pull_weight * l_in_pull
                stats["l_in_pull"] = l_in_pull.detach()
            feasible = ctc_feasible(text, text_lengths, c.num_queries)
            stats["ctc_feasible"] = feasible.float().mean()
        if logits is not None:
            l_lid = F.cross_entropy(logits.float(), lang)
            loss = loss + c.lid_weight * l_lid
            probs = logits.detach().float().softmax(-1)
            stats["l_lid"] = l_lid.detach()
            stats["gate_acc"] = (probs.argmax(-1) == lang).float().mean()
            stats["gate_entropy"] = -(probs * probs.clamp(min=1e-12).log()).sum(-1).mean()
            if self.training:
                stats["p_tf"] = torch.tensor(p_tf)
        if self.in_content_stage():  # no LLM pass: the output terms are not trained yet
            stats["loss"] = loss.detach()
            return force_gatherable((loss, stats, B), loss.device)

        z_llm, z_lengths = self.llm_inputs(z, scores)  # what the LLM reads
        use_response = c.response_kl_weight > 0 and response is not None
        if use_response:  # teacher-forced on the response: its first position is h_s's
            assert response_lengths is not None
            response = response.clamp(min=0)  # padding (-1) -> a valid id, masked below
            hs_seq = self.frozen_llm.student_response_hidden(
                self.prompt, z_llm, response, z_lengths
            )
            if teacher is None:
                with torch.no_grad():
                    ht_seq = self.frozen_llm.teacher_response_hidden(
                        self.prompt, text, text_lengths, response
                    )  # (B, R, d_llm)
            else:  # the stage-5 states along the same responses
                assert teacher.shape == hs_seq.shape, (teacher.shape, hs_seq.shape)
                ht_seq = teacher.to(hs_seq.dtype)
            h_s, h_t = hs_seq[:, 0], ht_seq[:, 0]
        else:
            h_s = self.frozen_llm.student_hidden(self.prompt, z_llm, z_lengths)
            with torch.no_grad():
                if teacher is None:
                    h_t = self.teacher_hidden(text, text_lengths)
                else:
                    assert teacher.shape == h_s.shape, (teacher.shape, h_s.shape)
                    h_t = teacher.to(h_s.dtype)
        l_out = output_loss(h_s.float(), h_t.float()).mean()
        loss = loss + c.out_weight * l_out
        stats["l_out"] = l_out.detach()
        if not self.training:  # validation only (too slow for every training step)
            fidelity = self.fidelity(z, h_s, h_t, text, text_lengths)
            stats["q2t_acc"] = fidelity["q2t_acc"].mean()
            stats["top1_agree"] = fidelity["top1_agree"].mean()
        if c.kl_weight > 0:
            head = self.llm.get_output_embeddings()
            with torch.no_grad():
                logits_t = head(h_t)
            kl = next_token_kl(logits_t, head(h_s)).mean()
            loss = loss + c.kl_weight * kl
            stats["kl"] = kl.detach()
        if use_response:
            head = self.llm.get_output_embeddings()
            with torch.no_grad():
                logits_t = head(ht_seq[:, 1:])  # (B, R-1, V)
            kl_seq = next_token_kl(logits_t, head(hs_seq[:, 1:]))  # (B, R-1)
            valid = (
                torch.arange(1, hs_seq.size(1), device=z.device)[None] < response_lengths[:, None]
            )
            valid = valid.to(kl_seq.dtype)
            response_kl = ((kl_seq * valid).sum(1) / valid.sum(1).clamp(min=1.0)).mean()
            loss = loss + c.response_kl_weight * response_kl
            stats["response_kl"] = response_kl.detach()
        stats["loss"] = loss.detach()

        loss, stats, weight = force_gatherable((loss, stats, B), loss.device)
        return loss, stats, weight

    def collect_feats(self, **batch: torch.Tensor) -> dict[str, torch.Tensor]:
        return {}  # no normalisation statistics: Whisper's log-mel is self-normalised

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def count_update(self) -> None:
        self.num_updates += 1


def _drop_frozen_keys(module, state_dict, prefix, local_metadata):
    for key in list(state_dict):
        if key[len(prefix) :].startswith(FROZEN_PREFIXES):
            del state_dict[key]
    return state_dict


def _allow_missing_frozen_keys(module, incompatible_keys):
    missing = incompatible_keys.missing_keys
    frozen = [k for k in missing if k.startswith(FROZEN_PREFIXES)]
    for k in frozen:
        missing.remove(k)
    if frozen:
        logging.debug(f"{len(frozen)} frozen backbone tensors come from their specs, not the file")
