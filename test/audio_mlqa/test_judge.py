"""LLM judge: reply parsing, the HTTP client against a loopback server, the local backend, and
the `judge` subcommand (resume, summary, failures, the API key kept out of every output)."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from lad.audio_mlqa.judge import (
    HttpJudge,
    JudgeError,
    LocalJudge,
    Verdict,
    build_judge,
    format_prompt,
    judge_name,
    load_config,
    load_prompt,
    parse_score,
    progress_path,
    resolve_config,
    summary_path,
)
from lad.bin.audio_mlqa import judge as judge_cli
from lad.model.backbones import load_llm
from test.conftest import REPO

CONF = REPO / "egs" / "audio_mlqa" / "eval1" / "conf"
KEY_ENV = "LAD_TEST_JUDGE_KEY"
KEY = f"sk-test-{uuid.uuid4().hex}"  # must never show up in logs, errors or files

# ---------------------------------------------------------------------------------------------
# Reply parsing


@pytest.mark.parametrize(
    "reply, score",
    [
        ("Score: 4", 4),
        ("score: 0", 0),
        ("SCORE:5", 5),
        ("Score : 3", 3),
        ("Score = 2", 2),
        ("**Score:** 4", 4),
        ("**Score: 4**", 4),
        ("Score: **1**", 1),
        ("Score: 3.", 3),
        ("Score: 3/5", 3),
        ("Final score: 2\nThe response names the wrong year.", 2),
        ("The response is right.\n\nScore: 5", 5),
        ("Score: 2\nScore: 5", 2),  # the first match
        ("Score: <n>\nScore: 1", 1),  # an echoed placeholder is no match
        ("4", 4),
        (" 0\n", 0),
        ("5.", 5),
        ("**3**", 3),
        ("(2)", 2),
        ("Score: 6", None),  # out of range: a bad reply, no fallback
        ("Score: 10", None),
        ("Score: -1", None),
        ("Score: 4.5", None),
        ("Score: 3,5", None),
        ("7", None),
        ("-1", None),
        ("4/5", None),
        ("I would give it a 4.", None),
        ("Rating: 4", None),
        ("Scores: 4", None),
        ("Score:", None),
        ("", None),
        (None, None),
        ("The answer is correct", None),
        ("1 2", None),
    ],
)
def test_parse_score(reply, score):
    assert parse_score(reply) == score


# ---------------------------------------------------------------------------------------------
# Prompt and configs


def test_prompt_template(tmp_path):
    template = load_prompt(CONF / "judge_prompt.txt")
    prompt = format_prompt(
        template, "Who? ", "A {braced} context.", ["Goethe", "J. W. Goethe"], "G."
    )
    assert "\nWho?\n" in prompt
    assert "A {braced} context." in prompt
    assert "\n- Goethe\n- J. W. Goethe\n" in prompt
    assert "\nG.\n" in prompt
    assert prompt.rstrip().endswith("Score: <an integer from 0 to 5>")
    assert "{" not in template.format(question="", context="", references="", response="")
    assert format_prompt("{question}|{context}|{references}|{response}", "q", "c", [], "r") == (
        "q|c|(none)|r"
    )
    bad = tmp_path / "bad.txt"
    bad.write_text("{question} {context} {response}")
    with pytest.raises(ValueError, match="references"):
        load_prompt(bad)
    bad.write_text("{question} {context} {references} {response} {extra}")
    with pytest.raises(ValueError, match="extra"):
        load_prompt(bad)


def test_confs_load(monkeypatch):
    http = load_config(CONF / "judge_http.yaml")
    assert resolve_config(http)["base_url"] == "https://api.openai.com/v1"
    assert judge_name(http) == "http:gpt-4.1"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(JudgeError, match="OPENAI_API_KEY"):
        build_judge(http)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    judge = build_judge(http)  # nothing is contacted
    assert isinstance(judge, HttpJudge)
    assert judge.url == "https://api.openai.com/v1/chat/completions"
    assert judge.max_retries == 5 and judge.workers == 4
    assert KEY not in repr(judge) and KEY not in str(vars(judge))

    local = resolve_config(load_config(CONF / "judge_local.yaml"))
    assert local["type"] == "local" and local["scoring"] == "logits"
    assert local["model"] == "${LAD_ROOT}/tools/models/smollm2-135m-instruct"

    with pytest.raises(ValueError, match="unknown keys"):
        resolve_config({**http, "api_key": "x"})
    with pytest.raises(ValueError, match="missing"):
        resolve_config({"type": "http", "model": "m"})
    with pytest.raises(ValueError, match="judge type"):
        resolve_config({"type": "grpc", "model": "m"})


# ---------------------------------------------------------------------------------------------
# A chat-completions server on loopback. Each prompt names a script with "MARK-<name>"; the
# n-th request for a script gets its n-th step (the last one repeats).


def chat(content: str) -> tuple:
    return ("ok", content)


SCRIPTS = {
    "good": [chat("Score: 4")],
    "noscore": [chat("The answer looks right."), chat("Score: 3")],
    "err500": [("status", 500, "echo"), chat("**Score:** 5")],
    "r429": [("status", 429, "slow down"), chat("score: 2")],
    "garbled": [("raw", b"<html>not json</html>"), chat("Score: 1")],
    "echo": [chat("Score: 0 (your key is {auth})")],
    "refused": [("status", 400, "context too long")],
    "bad": [chat("I cannot grade this.")],
    "unauthorized": [("status", 401, "invalid key {auth}")],
    "slow": [("sleep", 1.0), chat("Score: 5")],
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        state = self.server.state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        name = re.search(r"MARK-(\w+)", body["messages"][0]["content"]).group(1)
        with state["lock"]:
            state["auth"].append(auth)
            state["bodies"].append(body)
            steps = SCRIPTS[name]
            step = steps[min(state["calls"][name], len(steps) - 1)]
            state["calls"][name] += 1
        kind = step[0]
        try:
            if kind == "sleep":
                time.sleep(step[1])
                return
            if kind == "ok":
                content = step[1].format(auth=auth)
                payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                self.reply(200, json.dumps(payload).encode())
            elif kind == "raw":
                self.reply(200, step[1])
            else:
                text = f"{step[2]} (Authorization: {auth})".format(auth=auth)
                self.reply(step[1], json.dumps({"error": {"message": text}}).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass

    def reply(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if code == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv(KEY_ENV, KEY)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.state = dict(lock=threading.Lock(), calls=defaultdict(int), auth=[], bodies=[])
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    httpd.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def http_judge(server, **kw) -> HttpJudge:
    conf = dict(base_url=server.base_url, model="test-judge", api_key_env=KEY_ENV)
    conf.update(max_retries=2, backoff=0.0, timeout=5.0)
    return HttpJudge(**{**conf, **kw})


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text


def test_http_judge_scores_and_retries(server, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    judge = http_judge(server, workers=3)
    names = ["good", "noscore", "err500", "r429", "garbled", "echo", "refused", "bad"]
    verdicts = judge.judge([f"Grade this. MARK-{n}" for n in names])
    assert [v.score for v in verdicts] == [4, 3, 5, 2, 1, 0, None, None]
    assert dict(server.state["calls"]) == dict(
        good=1, noscore=2, err500=2, r429=2, garbled=2, echo=1, refused=1, bad=3
    )
    assert verdicts[0] == Verdict(4, "Score: 4", "")
    assert verdicts[5].reply == "Score: 0 (your key is Bearer ***)"  # the echoed key redacted
    assert verdicts[6].error == (
        'HTTP 400 {"error": {"message": "context too long (Authorization: Bearer ***)"}}'
    )
    assert verdicts[7].reply == "I cannot grade this."
    assert (
        verdicts[7].error
        == "no score after 3 attempts: no score in the reply 'I cannot grade this.'"
    )
    # The request: the configured model, greedy, the prompt as one user message, the key.
    assert set(server.state["auth"]) == {f"Bearer {KEY}"}
    body = server.state["bodies"][0]
    assert body["model"] == "test-judge" and body["temperature"] == 0 and body["max_tokens"] == 16
    assert body["messages"][0]["role"] == "user"
    out = capsys.readouterr()
    assert "HTTP 500" in caplog.text  # the retries are logged ...
    assert_no_key(caplog.text, out.out, out.err, repr(judge), *[str(v) for v in verdicts])


def test_http_judge_fatal_status_and_timeout(server, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    judge = http_judge(server)
    with pytest.raises(JudgeError, match="HTTP 401") as e:
        judge.judge(["MARK-unauthorized"])
    assert server.state["calls"]["unauthorized"] == 1  # not retried
    assert "Bearer ***" in str(e.value)
    assert e.value.__cause__ is None and e.value.__suppress_context__  # traceback: only this
    slow = http_judge(server, timeout=0.2).judge(["MARK-slow"])
    assert slow[0].score == 5 and server.state["calls"]["slow"] == 2
    assert "timed out" in caplog.text
    out = capsys.readouterr()
    assert_no_key(str(e.value), caplog.text, out.out, out.err)


def test_http_judge_connection_refused_backoff(monkeypatch):
    monkeypatch.setenv("no_proxy", "*")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    judge = HttpJudge(f"http://127.0.0.1:{port}/v1/", "m", api_key_env=None, max_retries=3)
    judge.backoff = 0.5
    sleeps = []
    judge.sleep = sleeps.append
    (verdict,) = judge.judge(["MARK-good"])
    assert verdict.score is None and verdict.reply == ""
    assert verdict.error.startswith("no score after 4 attempts: URLError")
    assert sleeps == [0.5, 1.0, 2.0]
    with pytest.raises(ValueError, match="http"):
        HttpJudge("api.openai.com/v1", "m", api_key_env=None)


# ---------------------------------------------------------------------------------------------
# The `judge` subcommand with the HTTP judge


ITEMS = [  # (id, lang, script): en 4 3 -, de 5 2 1, zh 0 -
    ("q1", "en", "good"),
    ("q2", "en", "noscore"),
    ("q3", "en", "bad"),
    ("q4", "de", "err500"),
    ("q5", "de", "r429"),
    ("q6", "de", "garbled"),
    ("q7", "zh", "echo"),
    ("q8", "zh", "refused"),
]


def write_inputs(tmp_path: Path, items=ITEMS) -> tuple[Path, Path]:
    manifest, answers = tmp_path / "manifest.jsonl", tmp_path / "answers.jsonl"
    with manifest.open("w") as m, answers.open("w") as a:
        for qid, lang, script in items:
            item = dict(id=qid, lang=lang, context=f"Context {qid}.", question=f"MARK-{script}?")
            item.update(answers=[f"ref {qid}"], title="T")
            m.write(json.dumps(item) + "\n")
            a.write(json.dumps(dict(id=qid, lang=lang, response=f"resp {qid}", answer="x")) + "\n")
    return manifest, answers


def judge_main(argv: list[str]) -> None:
    """`python -m lad.bin.audio_mlqa judge ...` without importing the other subcommands."""
    judge_cli.main(argv)


def run_judge(tmp_path: Path, config: Path, manifest: Path, answers: Path, *extra: str) -> Path:
    out = tmp_path / "exp" / "judged.jsonl"
    judge_main(
        ["--manifest", str(manifest), "--answers", str(answers), "--config", str(config)]
        + ["--prompt", str(CONF / "judge_prompt.txt"), "--out", str(out), *extra]
    )
    return out


def http_config(tmp_path: Path, server, **kw) -> Path:
    path = tmp_path / "judge.yaml"
    conf = dict(base_url=server.base_url, model="test-judge", api_key_env=KEY_ENV)
    conf.update(max_retries=2, backoff=0.0, timeout=5.0, workers=2)
    path.write_text(json.dumps({**conf, **kw}))  # JSON is YAML
    return path


def all_output_text(tmp_path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_judge_cli_http(server, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    manifest, answers = write_inputs(tmp_path)
    config = http_config(tmp_path, server)
    out = run_judge(tmp_path, config, manifest, answers, "--chunk", "3")

    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["lang"], r["score"]) for r in records] == [
        ("q1", "en", 4),
        ("q2", "en", 3),
        ("q3", "en", None),
        ("q4", "de", 5),
        ("q5", "de", 2),
        ("q6", "de", 1),
        ("q7", "zh", 0),
        ("q8", "zh", None),
    ]
    assert records[0]["reply"] == "Score: 4" and "error" not in records[0]
    assert records[2]["error"].startswith("no score after 3 attempts")
    assert records[6]["reply"] == "Score: 0 (your key is Bearer ***)"
    # The prompt sent: the manifest's question, context and references, the answer's response.
    prompts = [b["messages"][0]["content"] for b in server.state["bodies"]]
    (prompt,) = [p for p in prompts if "MARK-good" in p]
    assert "Context q1." in prompt and "- ref q1" in prompt and "resp q1" in prompt
    assert not progress_path(out).exists()

    summary = json.loads(summary_path(out).read_text())
    assert summary_path(out) == tmp_path / "exp" / "judged.summary.json"
    assert summary["langs"] == {
        "en": dict(mean=3.5, n=3, failures=1),
        "de": dict(mean=8 / 3, n=3, failures=0),
        "zh": dict(mean=0.0, n=2, failures=1),
    }
    assert summary["macro"] == pytest.approx((3.5 + 8 / 3 + 0.0) / 3, abs=1e-12)
    assert (summary["n"], summary["failures"], summary["judge"]) == (8, 2, "http:test-judge")
    assert "progress: judge http:test-judge: 8/8 items (100 %)" in caplog.text
    assert "judge http:test-judge: 2 failures" in caplog.text

    # A rerun judges only the two failures again.
    calls = dict(server.state["calls"])
    run_judge(tmp_path, config, manifest, answers)
    assert {k: v - calls[k] for k, v in server.state["calls"].items()} == dict(
        good=0, noscore=0, err500=0, r429=0, garbled=0, echo=0, refused=1, bad=3
    )
    assert "8 items, 6 already judged, 2 to go" in caplog.text

    # A changed response is judged again (its prompt key changed), the others are kept.
    lines = answers.read_text().splitlines()
    lines[0] = lines[0].replace("resp q1", "resp q1 changed")
    answers.write_text("\n".join(lines) + "\n")
    run_judge(tmp_path, config, manifest, answers)
    assert server.state["calls"]["good"] == 2

    out_text = capsys.readouterr()
    assert_no_key(caplog.text, out_text.out, out_text.err, all_output_text(tmp_path))


def test_judge_cli_resumes_from_progress(server, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    manifest, answers = write_inputs(tmp_path, ITEMS[:2])
    config = http_config(tmp_path, server)
    out = run_judge(tmp_path, config, manifest, answers)
    first = out.read_text()
    # As if interrupted: the first record only in the progress file, then a torn line.
    line = first.splitlines()[0]
    out.unlink()
    progress_path(out).write_text(line + "\n" + line[:20])
    calls = dict(server.state["calls"])
    run_judge(tmp_path, config, manifest, answers)
    assert server.state["calls"]["good"] == calls["good"]  # q1 came from the progress file
    assert server.state["calls"]["noscore"] == calls["noscore"] + 1
    assert out.read_text().splitlines()[0] == line
    assert [json.loads(x)["score"] for x in out.read_text().splitlines()] == [4, 3]
    assert "cut a torn last line" in caplog.text
    assert not progress_path(out).exists()


def test_judge_cli_all_failed_and_bad_inputs(server, tmp_path):
    manifest, answers = write_inputs(tmp_path, [("q3", "en", "bad"), ("q8", "zh", "refused")])
    config = http_config(tmp_path, server)
    with pytest.raises(SystemExit) as e:
        run_judge(tmp_path, config, manifest, answers)
    assert e.value.code not in (0, None)
    summary = json.loads(summary_path(tmp_path / "exp" / "judged.jsonl").read_text())
    assert (summary["n"], summary["failures"], summary["macro"]) == (2, 2, None)
    assert summary["langs"]["en"] == dict(mean=None, n=1, failures=1)

    (tmp_path / "other").mkdir()
    other, _ = write_inputs(tmp_path / "other", [("q1", "en", "good")])
    with pytest.raises(ValueError, match=r"q3 \(en\) is not in"):
        run_judge(tmp_path, config, other, answers)


def test_judge_help(capsys):
    with pytest.raises(SystemExit) as e:
        judge_main(["--help"])
    assert e.value.code == 0
    assert "--answers" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Local backend: a tiny random Llama with the byte tokenizer

TINY_LLAMA = dict(
    hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
    num_key_value_heads=2, max_position_embeddings=2048,
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_llm():
    return load_llm({"config": TINY_LLAMA, "tokenizer": "bytes"})


def test_local_judge_parses_generated_reply(tiny_llm, monkeypatch):
    model, tokenizer = tiny_llm
    judge = LocalJudge(model, tokenizer, max_new_tokens=8, batch_size=2)
    reply = tokenizer("Score: 3<|im_end|>", add_special_tokens=False).input_ids
    seen = []

    def fake_generate(input_ids, attention_mask, **kw):
        seen.append((input_ids, attention_mask, kw))
        new = torch.tensor(reply).expand(input_ids.size(0), -1)
        return torch.cat([input_ids, new], dim=1)

    monkeypatch.setattr(model, "generate", fake_generate)
    verdicts = judge.judge(["short MARK", "a longer prompt MARK", "third"])
    assert [(v.score, v.reply, v.error) for v in verdicts] == [(3, "Score: 3", "")] * 3
    ids, mask, kw = seen[0]  # batches of 2, then 1
    assert [s[0].size(0) for s in seen] == [2, 1]
    assert kw == dict(max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert mask[0, 0] == 0 and mask[1].all()  # left padding
    text = tokenizer.decode(ids[0][mask[0].bool()])
    assert text == "<|im_start|>user\nshort MARK<|im_end|>\n<|im_start|>assistant\n"


def test_local_judge_random_model(tiny_llm):
    model, tokenizer = tiny_llm
    judge = LocalJudge(model, tokenizer, max_new_tokens=6)
    verdicts = judge.judge(["Score this: MARK-1", "MARK-2"])
    assert [v.score for v in verdicts] == [None, None]  # byte garbage: failures, counted
    assert all(v.error.startswith("no score in the reply") for v in verdicts)

    logits = LocalJudge(model, tokenizer, batch_size=2, scoring="logits")
    assert logits.score_ids == [tokenizer.convert_tokens_to_ids(str(n)) for n in range(6)]
    prompts = ["a", "a much longer prompt, padded on the left of the short one"]
    together = logits.score_probs(prompts)
    alone = logits.score_probs(prompts[:1])
    assert torch.allclose(torch.tensor(together[0]), torch.tensor(alone[0]), atol=1e-5)
    assert sum(together[1]) == pytest.approx(1.0)
    verdicts = logits.judge(prompts)
    for v, p in zip(verdicts, together, strict=True):
        assert v.score == max(range(6), key=lambda n, p=p: p[n]) and v.error == ""
        assert parse_score(v.reply) == v.score
        assert re.fullmatch(r"Score: \d \(p 0-5:( \d\.\d\d){6}\)", v.reply)


def test_judge_cli_local(tiny_llm, tmp_path):
    model, tokenizer = tiny_llm
    model_dir = tmp_path / "tiny_judge"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    manifest, answers = write_inputs(tmp_path, ITEMS[:3])
    config = tmp_path / "local.yaml"
    config.write_text(f"type: local\nmodel: {model_dir}\nmax_new_tokens: 4\ndevice: cpu\n")
    with pytest.raises(SystemExit):  # the random model never replies with a score
        run_judge(tmp_path, config, manifest, answers)
    summary = json.loads(summary_path(tmp_path / "exp" / "judged.jsonl").read_text())
    assert (summary["n"], summary["failures"], summary["judge"]) == (3, 3, f"local:{model_dir}")

    config.write_text(f"type: local\nmodel: {model_dir}\nscoring: logits\ndevice: cpu\n")
    out = run_judge(tmp_path, config, manifest, answers)
    scores = [json.loads(x)["score"] for x in out.read_text().splitlines()]
    assert len(scores) == 3 and all(s in range(6) for s in scores)
    summary = json.loads(summary_path(out).read_text())
    assert (summary["n"], summary["failures"]) == (3, 0)
    assert summary["macro"] == pytest.approx(sum(scores) / 3)
