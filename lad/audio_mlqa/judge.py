"""LLM judge: a score 0-5 for a free-form answer to a reading-comprehension question.

    template = load_prompt("conf/judge_prompt.txt")  # {question} {context} {references} {response}
    judge = build_judge(load_config("conf/judge_http.yaml"))
    verdicts = judge.judge([format_prompt(template, q, c, refs, resp)])
    verdicts[0].score  # 0-5, or None: counted as a failure
    setup = JudgeSetup(Path("conf/judge_http.yaml"), Path("conf/judge_prompt.txt"))
    judge_answers(manifest, answers, setup, out)  # stage judge: resumable, summarised

The judge replies ``Score: <n>``; parse_score takes the first such match, else a reply that is
a lone integer 0-5; anything else is a bad reply (None).

Backends (the config's ``type``):
  http   an OpenAI-compatible chat-completions endpoint, standard library only. The API key is
         read from the environment variable named by ``api_key_env`` (never from the config) and
         is kept out of reprs, logs, errors and replies. Connection errors, timeouts, HTTP
         429/5xx and replies without a score are retried with exponential backoff; after
         ``max_retries`` retries the item's score is None. HTTP 401/403/404 (a wrong key, URL
         or model) stop the run with JudgeError.
  local  a transformers causal LM directory and its chat template: a greedy reply parsed the
         same way, or (scoring: logits) the most likely score token after "Score: ".
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import re
import string
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from lad.data.files import cut_torn_tail, progress_path, read_jsonl, write_json, write_jsonl
from lad.log import Progress
from lad.spec import builder_keys, check_spec, expand_path

PROMPT_FIELDS = ("question", "context", "references", "response")
MIN_SCORE, MAX_SCORE = 0, 5
SCORE_PREFIX = "Score: "  # the reply format the prompt asks for

MAX_BACKOFF = 60.0
RETRY_STATUS = {408, 409, 429}  # and every 5xx
FATAL_STATUS = {401, 403, 404}  # the key, URL or model is wrong: no item can succeed


class JudgeError(RuntimeError):
    """The judge cannot work at all (bad configuration, rejected key, unknown model)."""


@dataclass
class Verdict:
    score: Optional[int]  # 0-5; None when the judge gave no usable score
    reply: str  # the judge's last raw reply ("" when none came back)
    error: str = ""  # why there is no score ("" when scored)


# ---------------------------------------------------------------------------------------------
# Prompt and reply


def load_prompt(path: Union[str, Path]) -> str:
    """A judge prompt template; it must use each of PROMPT_FIELDS and nothing else."""
    template = Path(path).read_text(encoding="utf-8")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise ValueError(
            f"{path}: not a format template ({e}); write literal braces as {{{{ }}}}"
        ) from None
    if fields != set(PROMPT_FIELDS):
        raise ValueError(
            f"{path}: fields {sorted(fields)}; expected exactly {sorted(PROMPT_FIELDS)}"
        )
    return template


def format_prompt(
    template: str, question: str, context: str, references: list[str], response: str
) -> str:
    refs = "\n".join(f"- {r}" for r in references) if references else "(none)"
    return template.format(
        question=question.strip(), context=context.strip(), references=refs, response=response
    )


_SCORE_RE = re.compile(r"\bscore\W{0,3}?\s*[:=]\s*[*_`\"'(\[]*\s*(-?\d+(?:[.,]\d+)?)", re.I)
_LONE_RE = re.compile(r"[\s*_`\"'(\[]*(\d+)[\s*_`\"')\].]*")


def parse_score(reply: Optional[str]) -> Optional[int]:
    """The score in a judge's reply: the first ``Score: n`` (any case, markdown emphasis
    allowed), else a reply that is only an integer; None unless it is an integer 0-5."""
    if not reply:
        return None
    m = _SCORE_RE.search(reply) or _LONE_RE.fullmatch(reply)
    if m is None:
        return None
    value = m.group(1)
    if not value.isdigit():  # negative or fractional
        return None
    score = int(value)
    return score if MIN_SCORE <= score <= MAX_SCORE else None


def prompt_key(judge_name: str, prompt: str) -> str:
    """Identifies what was judged: a stored score is reused only for the same judge and prompt."""
    return hashlib.sha1(f"{judge_name}\n{prompt}".encode()).hexdigest()[:16]


def template_key(template: str) -> str:
    """Identifies a prompt template in summaries: the report checks that the systems and the
    judge's calibration were judged with the same one."""
    return hashlib.sha1(template.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Config (the judges are built at the end of the module)


def load_config(path: Union[str, Path]) -> dict[str, Any]:
    conf = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(conf, dict):
        raise ValueError(f"{path}: a judge config must be a mapping")
    return conf


class AbsJudge(ABC):
    @abstractmethod
    def judge(self, prompts: list[str]) -> list[Verdict]:
        """One verdict per prompt, in order."""


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint


class _Retry(Exception):
    """A failed attempt worth retrying."""

    def __init__(self, reason: str, retry_after: Optional[float] = None):
        super().__init__(reason)
        self.retry_after = retry_after


class _Fail(Exception):
    """A failed item not worth retrying (e.g. HTTP 400: the request itself is refused)."""


class HttpJudge(AbsJudge):
    """POST {base_url}/chat/completions, temperature 0. The key stays in the environment: it is
    read for each request and never stored on the object.

    base_url and model are required; api_key_env: the variable holding the key (null: send no
    Authorization header, for a local server); max_retries: retries after the first attempt;
    backoff: seconds before the first retry, doubled each retry (capped at MAX_BACKOFF);
    timeout: seconds per request; workers: concurrent requests.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: Optional[str] = "OPENAI_API_KEY",
        max_retries: int = 5,
        backoff: float = 2.0,
        timeout: float = 60.0,
        max_tokens: int = 16,
        workers: int = 1,
    ):
        if api_key_env and not os.environ.get(api_key_env):
            raise JudgeError(
                f"the judge's API key is read from the environment variable {api_key_env}, "
                "which is not set (set api_key_env: null for a server without a key)"
            )
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"judge base_url {base_url!r} must start with http:// or https://")
        if max_retries < 0 or workers < 1:
            raise ValueError(f"max_retries {max_retries} must be >= 0, workers {workers} >= 1")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self.max_tokens = int(max_tokens)
        self.workers = int(workers)
        self.sleep = time.sleep

    def __repr__(self) -> str:
        return (
            f"HttpJudge(url={self.url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"
        )

    def _key(self) -> Optional[str]:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def _redact(self, text: str) -> str:
        key = self._key()
        return text.replace(key, "***") if key else text

    def judge(self, prompts: list[str]) -> list[Verdict]:
        if self.workers == 1 or len(prompts) < 2:
            return [self.judge_one(p) for p in prompts]
        with ThreadPoolExecutor(min(self.workers, len(prompts))) as pool:
            return list(pool.map(self.judge_one, prompts))

    def judge_one(self, prompt: str) -> Verdict:
        attempts = self.max_retries + 1
        reply, error, retry_after = "", "", None
        for attempt in range(attempts):
            if attempt:
                delay = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, MAX_BACKOFF))
                self.sleep(delay)
            retry_after = None
            try:
                reply = self._redact(self._request(prompt))
            except _Retry as e:
                reply, error, retry_after = "", self._redact(str(e)), e.retry_after
            except _Fail as e:
                reply, error = "", self._redact(str(e))
                logging.warning(f"judge request failed, not retried: {error}")
                return Verdict(None, reply, error)
            else:
                score = parse_score(reply)
                if score is not None:
                    return Verdict(score, reply)
                error = f"no score in the reply {reply[:80]!r}"
            logging.warning(f"judge attempt {attempt + 1}/{attempts}: {error}")
        return Verdict(None, reply, f"no score after {attempts} attempts: {error}")

    def _request(self, prompt: str) -> str:
        body = dict(
            model=self.model,
            messages=[{"role": "user", "content": prompt}],
            temperature=0,
            max_tokens=self.max_tokens,
        )
        headers = {"Content-Type": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        # Exceptions are re-raised "from None": the originals hold the request and its headers.
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, _read_error(e)
            reason = self._redact(f"HTTP {status} {text}".strip())
            if status in FATAL_STATUS:
                raise JudgeError(f"{self.url} (model {self.model}): {reason}") from None
            if status in RETRY_STATUS or status >= 500:
                raise _Retry(reason, _retry_after(e.headers.get("Retry-After"))) from None
            raise _Fail(reason) from None
        except (OSError, http.client.HTTPException) as e:
            # connection refused/reset, timeouts, DNS (URLError), truncated or garbled responses
            raise _Retry(f"{type(e).__name__}: {getattr(e, 'reason', e)}") from None
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retry(f"malformed response {raw[:80]!r}") from None
        if not isinstance(content, str):
            raise _Retry(f"malformed response {raw[:80]!r}")
        return content


def _read_error(e: urllib.error.HTTPError) -> str:
    try:
        text = e.read(300).decode("utf-8", "replace")
    except Exception:
        text = ""
    finally:
        e.close()
    return " ".join(text.split())[:200]


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


# ---------------------------------------------------------------------------------------------
# Local transformers model


class LocalJudge(AbsJudge):
    """A causal LM judging each prompt as a user turn of its chat template.

    scoring="generate": a greedy reply of at most max_new_tokens, parsed by parse_score.
    scoring="logits": the assistant turn is prefilled with "Score: " and the score is the most
    likely of the tokens "0".."5" next: one forward pass, and always a score, so that a small
    model that cannot keep the reply format still ranks answers (the reply records the
    probabilities, e.g. "Score: 4 (p 0-5: 0.01 0.02 0.05 0.12 0.55 0.25)").
    """

    def __init__(
        self,
        model,
        tokenizer,
        max_new_tokens: int = 16,
        batch_size: int = 8,
        scoring: str = "generate",
    ):
        if scoring not in ("generate", "logits"):
            raise ValueError(f"local judge scoring {scoring!r}: expected 'generate' or 'logits'")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_new_tokens = int(max_new_tokens)
        self.batch_size = int(batch_size)
        self.scoring = scoring
        pad = tokenizer.pad_token_id
        self.pad_id = tokenizer.eos_token_id if pad is None else pad
        if self.pad_id is None:
            raise ValueError("the judge's tokenizer has neither a pad nor an eos token")
        self.score_ids = self._score_ids() if scoring == "logits" else None

    def __repr__(self) -> str:
        name = type(self.model).__name__
        return f"LocalJudge(model={name}, scoring={self.scoring!r})"

    @classmethod
    def from_pretrained(
        cls,
        model: str,
        max_new_tokens: int = 16,
        batch_size: int = 8,
        scoring: str = "generate",
        device: str = "auto",
        dtype: Optional[str] = None,
    ) -> LocalJudge:
        """model: a model directory (${LAD_ROOT} is expanded) or a hub id; scoring: "generate"
        or "logits"; device "auto": cuda if available, else cpu; dtype e.g. bfloat16 (None:
        the transformers default)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = expand_path(model)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        logging.info(f"Loading the judge LM from {path} on {device}")
        kwargs = {"dtype": getattr(torch, dtype)} if dtype else {}
        llm = AutoModelForCausalLM.from_pretrained(path, **kwargs).to(device)
        tokenizer = AutoTokenizer.from_pretrained(path)
        return cls(llm, tokenizer, max_new_tokens, batch_size, scoring)

    def chat_texts(self, prompts: list[str]) -> list[str]:
        """Each prompt as a user turn, ready for the assistant's reply."""
        tok = self.tokenizer
        if not tok.chat_template:
            return [p + "\n" for p in prompts]
        return [
            tok.apply_chat_template(
                [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]

    def rows(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer(texts, add_special_tokens=False).input_ids

    def _score_ids(self) -> list[int]:
        """The token of each score 0-5 after SCORE_PREFIX; each must be a single token."""
        base = self.rows([SCORE_PREFIX])[0]
        ids = []
        for n, row in enumerate(self.rows([f"{SCORE_PREFIX}{n}" for n in range(6)])):
            if len(row) != len(base) + 1 or row[: len(base)] != base:
                raise ValueError(f"logits scoring: {SCORE_PREFIX!r} + {n} is not one more token")
            ids.append(row[-1])
        return ids

    def _device(self):
        return next(self.model.parameters()).device

    def generate(self, prompts: list[str]) -> list[str]:
        """Greedy replies, stripped."""
        import torch

        from lad.model.prompts import pad_rows

        ids, mask = pad_rows(self.rows(self.chat_texts(prompts)), self.pad_id, left=True)  # (B, N)
        with torch.no_grad():
            out = self.model.generate(
                input_ids=ids.to(self._device()),
                attention_mask=mask.to(self._device()),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self.pad_id,
            )
        new = out[:, ids.size(1) :]  # (B, <= max_new_tokens)
        return [t.strip() for t in self.tokenizer.batch_decode(new, skip_special_tokens=True)]

    def score_probs(self, prompts: list[str]) -> list[list[float]]:
        """P(score = 0..5 | prompt, "Score: "), renormalised over the six scores."""
        import torch

        from lad.model.prompts import pad_rows

        texts = [t + SCORE_PREFIX for t in self.chat_texts(prompts)]
        ids, mask = pad_rows(self.rows(texts), self.pad_id, left=True)  # (B, N)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)  # (B, N), left padding
        device = self._device()
        with torch.no_grad():
            logits = self.model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=positions.to(device),
            ).logits[:, -1]  # (B, V)
        probs = logits[:, self.score_ids].float().softmax(-1)  # (B, 6)
        return probs.cpu().tolist()

    def judge(self, prompts: list[str]) -> list[Verdict]:
        verdicts = []
        for i in range(0, len(prompts), self.batch_size):
            batch = prompts[i : i + self.batch_size]
            if self.scoring == "logits":
                for p in self.score_probs(batch):
                    score = max(range(6), key=lambda n, p=p: p[n])
                    reply = f"{SCORE_PREFIX}{score} (p 0-5: {' '.join(f'{x:.2f}' for x in p)})"
                    verdicts.append(Verdict(score, reply))
                continue
            for reply in self.generate(batch):
                score = parse_score(reply)
                error = "" if score is not None else f"no score in the reply {reply[:80]!r}"
                verdicts.append(Verdict(score, reply, error))
        return verdicts


# ---------------------------------------------------------------------------------------------
# Building a judge from its config

JUDGES: dict[str, Callable[..., AbsJudge]] = {
    "http": HttpJudge,
    "local": LocalJudge.from_pretrained,
}


def resolve_config(config: dict[str, Any], source: Optional[str] = None) -> dict[str, Any]:
    """The config (``type``, default http) with the builder's defaults filled in; an unknown
    key or a missing required one is an error naming ``source``. Nothing is loaded or
    contacted."""
    kind, builder, kwargs = check_spec(config, JUDGES, "judge", source, default="http")
    params = builder_keys(builder).items()
    defaults = {name: p.default for name, p in params if p.default is not p.empty}
    return {"type": kind, **defaults, **kwargs}


def judge_name(config: dict[str, Any]) -> str:
    """The judge's identity in prompt keys: its type and model as written in the config."""
    conf = resolve_config(config)
    return f"{conf['type']}:{conf['model']}"


def build_judge(config: dict[str, Any], source: Optional[str] = None) -> AbsJudge:
    conf = resolve_config(config, source)
    return JUDGES[conf.pop("type")](**conf)


# ---------------------------------------------------------------------------------------------
# Judging a system's answers (stage judge): resumable, one record per answered item

JUDGED = "judged.jsonl"
MAX_REPLY = 500  # characters of a reply or an error kept in a record


@dataclass(frozen=True)
class JudgeSetup:
    """Which judge grades with which prompt: the judge's yaml (http or local) and the prompt
    template's file; ``chunk`` items are judged between two writes of the progress file."""

    config: Path
    prompt: Path
    chunk: int = 16

    @classmethod
    def from_args(cls, args) -> JudgeSetup:
        """From the options add_judge_options added."""
        return cls(args.config, args.prompt, args.chunk)


def add_judge_options(parser) -> None:
    """The options of the entry points that run a judge (judge, calibrate): a JudgeSetup."""
    parser.add_argument("--config", type=Path, required=True, help="judge yaml (http or local)")
    parser.add_argument("--prompt", type=Path, required=True, help="judge prompt template")
    parser.add_argument(
        "--chunk", type=int, default=16, help="items judged between two progress writes"
    )


def judged_path(system_dir: Path) -> Path:
    """A system's judged records (stage judge writes them; its summary: summary_path)."""
    return Path(system_dir) / JUDGED


def summary_path(out: Path) -> Path:
    """judged.jsonl -> judged.summary.json (stage report reads it)."""
    return out.with_name(out.stem + ".summary.json")


def read_records(path: Path) -> list[dict]:
    """Judged records from --out or the progress file; a torn or foreign line is skipped."""
    if not path.is_file():
        return []
    records, bad = [], 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(record, dict) and {"id", "score", "key"} <= set(record):
                records.append(record)
            elif line.strip():
                bad += 1
    if bad:
        logging.warning(f"{path}: skipped {bad} unreadable lines (an interrupted write)")
    return records


def build_prompts(manifest: Path, answers: Path, template: str, field: str) -> list[dict]:
    """[{id, lang, prompt}] in the answers' order; every answer must be a manifest item.
    Items are keyed by (lang, id): MLQA gives parallel questions the same id in every language.
    """
    required = ("id", "lang", "context", "question", "answers")
    items = {(r["lang"], r["id"]): r for r in read_jsonl(manifest, required)}
    rows, seen = [], set()
    for a in read_jsonl(answers, ("id", "lang", field)):
        qid = (a["lang"], a["id"])
        if qid in seen:
            raise ValueError(f"{answers}: item {qid[1]} ({qid[0]}) answered twice")
        seen.add(qid)
        item = items.get(qid)
        if item is None:
            raise ValueError(f"{answers}: item {qid[1]} ({qid[0]}) is not in {manifest}")
        question, context, refs = item["question"], item["context"], item["answers"]
        prompt = format_prompt(template, question, context, refs, a[field] or "")
        rows.append(dict(id=item["id"], lang=item["lang"], prompt=prompt))
    if len(seen) < len(items):
        logging.warning(f"{len(items) - len(seen)} manifest items have no answer; not judged")
    return rows


def summarize(records: list[dict]) -> dict:
    """Per language (first-seen order): mean score over scored items, n, failures; macro mean."""
    by_lang: dict[str, list[Optional[int]]] = defaultdict(list)
    for r in records:
        by_lang[r["lang"]].append(r["score"])
    langs = {}
    for lang, scores in by_lang.items():
        ok = [s for s in scores if s is not None]
        langs[lang] = dict(
            mean=sum(ok) / len(ok) if ok else None, n=len(scores), failures=len(scores) - len(ok)
        )
    means = [v["mean"] for v in langs.values() if v["mean"] is not None]
    return dict(
        langs=langs,
        macro=sum(means) / len(means) if means else None,
        n=len(records),
        failures=sum(v["failures"] for v in langs.values()),
    )


def judge_answers(
    manifest: Path, answers: Path, setup: JudgeSetup, out: Path, *, field: str = "response"
) -> dict:
    """Judge the ``field`` of each answer with ``setup``'s judge and prompt; writes ``out`` and
    its summary, returns the summary.

    Only items without a score for the same key (judge and prompt text) are judged again:
    those of ``out`` and of its progress file (each judged chunk is appended to it, flushed and
    fsynced) are reused. At the end ``out`` is written whole (tmp, rename) and the progress
    file removed.
    """
    config = load_config(setup.config)
    resolve_config(config, str(setup.config))
    name = judge_name(config)
    template = load_prompt(setup.prompt)
    rows = build_prompts(manifest, answers, template, field)
    if not rows:
        raise ValueError(f"{answers}: no answers to judge")
    for row in rows:
        row["key"] = prompt_key(name, row["prompt"])

    # 1. What earlier runs judged: out, then the newer progress file; only same-key records.
    progress = progress_path(out)
    if cut_torn_tail(progress):
        logging.warning(f"{progress}: cut a torn last line (a write interrupted by a kill)")
    keys = {(row["lang"], row["id"]): row["key"] for row in rows}
    done: dict[tuple[str, str], dict] = {}
    for r in read_records(out) + read_records(progress):
        if keys.get((r.get("lang"), r["id"])) == r["key"]:
            done[(r["lang"], r["id"])] = r
    pending = [row for row in rows if done.get((row["lang"], row["id"]), {}).get("score") is None]
    reused = len(rows) - len(pending)
    logging.info(f"judge {name}: {len(rows)} items, {reused} already judged, {len(pending)} to go")

    # 2. Judge the rest, appending each chunk to the progress file.
    if pending:
        judge = build_judge(config, str(setup.config))
        out.parent.mkdir(parents=True, exist_ok=True)
        failures, size = 0, max(1, setup.chunk)
        line = Progress(f"judge {name}", len(rows), done=reused)
        with progress.open("a", encoding="utf-8") as f:
            for i in range(0, len(pending), size):
                part = pending[i : i + size]
                verdicts = judge.judge([row["prompt"] for row in part])
                lines = []
                for row, v in zip(part, verdicts, strict=True):
                    record = dict(id=row["id"], lang=row["lang"], score=v.score)
                    record.update(reply=v.reply[:MAX_REPLY], key=row["key"])
                    if v.score is None:
                        record["error"] = v.error[:MAX_REPLY]
                        failures += 1
                    done[(row["lang"], row["id"])] = record
                    lines.append(json.dumps(record, ensure_ascii=False) + "\n")
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
                line.update(len(part))
        line.close()
        logging.info(f"judge {name}: {failures} failures")

    # 3. The whole output, atomically; then the summary.
    records = [done[(row["lang"], row["id"])] for row in rows]
    write_jsonl(out, records)
    progress.unlink(missing_ok=True)
    summary = dict(judge=name, prompt=template_key(template), **summarize(records))
    write_json(summary_path(out), summary)
    for lang, v in summary["langs"].items():
        mean = "n/a" if v["mean"] is None else f"{v['mean']:.3f}"
        logging.info(f"{lang}: mean {mean} over n={v['n']} ({v['failures']} failures)")
    macro = "n/a" if summary["macro"] is None else f"{summary['macro']:.3f}"
    logging.info(f"macro average {macro}; wrote {out} and {summary_path(out)}")
    if summary["failures"]:
        logging.warning(
            f"{summary['failures']}/{len(records)} items have no score; run again to retry them"
        )
    return summary
