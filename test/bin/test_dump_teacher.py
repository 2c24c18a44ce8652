"""Stage 5: the teacher cache holds the LLM's state on each transcript; stale ones are refused."""

from __future__ import annotations

import json

import kaldiio
import pytest
import torch

from lad.bin import dump_teacher
from lad.data.kaldi import write_kaldi_file
from lad.model.teacher_cache import check_data_caches
from test.conftest import TINY_CONF, build_model

TEXTS = {
    "en-1": "What is the capital of Canada?",
    "de-1": "Wie spät ist es?",
    "zh-1": "今天天气怎么样？",
    "en-2": "Hi.",
}


@pytest.fixture()
def cache(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_kaldi_file(data / "text", sorted(TEXTS.items()))
    out = tmp_path / "teacher"
    argv = ["--data", str(data), "--out", str(out), "--config", str(TINY_CONF / "lad_hard.yaml")]
    dump_teacher.main([*argv, "--batch_size", "3"])  # two batches, one padded
    return data, out, argv


def test_cache_equals_the_models_teacher_pass(cache):
    data, out, _ = cache
    model = build_model().eval()
    stored = dict(kaldiio.load_scp(str(out / "teacher.scp")))
    keys = [line.split()[0] for line in (out / "teacher.scp").read_text().splitlines()]
    text_keys = [line.split()[0] for line in (data / "text").read_text().splitlines()]
    assert keys == text_keys  # the text file's order: ESPnet's streaming reader needs it
    for utt, text in TEXTS.items():
        ids = model.tokenizer(text, add_special_tokens=False).input_ids
        with torch.no_grad():
            h_t = model.teacher_hidden(torch.tensor([ids]), torch.tensor([len(ids)]))[0]
        assert stored[utt].shape == h_t.shape and stored[utt].dtype == "float32"
        assert torch.allclose(torch.from_numpy(stored[utt]), h_t, atol=1e-5), utt
    fingerprint = json.loads((out / "fingerprint.json").read_text())
    assert fingerprint["prompt"] == model.prompt.text
    assert fingerprint["frozen_dtype"] == "float32"


def test_rerun_is_skipped_and_stale_caches_are_refused(cache, caplog):
    data, out, argv = cache
    ark_mtime = (out / "teacher.ark").stat().st_mtime_ns
    dump_teacher.main(argv)
    assert (out / "teacher.ark").stat().st_mtime_ns == ark_mtime  # up to date: not redone
    model = build_model()
    entries = [
        (str(data / "text"), "text", "text"),
        (str(out / "teacher.scp"), "teacher", "kaldi_ark"),
    ]
    spec = model_spec()
    assert check_data_caches(entries, spec, model.prompt.text, None) == 1
    with pytest.raises(ValueError, match="frozen_dtype"):
        check_data_caches(entries, spec, model.prompt.text, "bfloat16")
    with pytest.raises(ValueError, match="prompt"):
        check_data_caches(entries, spec, model.prompt.text + "x", None)
    (data / "text").write_text("en-1 Another transcript.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="stale or for another run.*text_sha256"):
        check_data_caches(entries, spec, model.prompt.text, None)
    (out / ".done").unlink()
    with pytest.raises(FileNotFoundError, match="no finished teacher cache"):
        check_data_caches(entries, spec, model.prompt.text, None)


def model_spec():
    import yaml

    return yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())["llm"]


def test_systems_of_one_llm_share_a_cache_key(tmp_path, capsys):
    def key(config) -> str:
        dump_teacher.main(["--config", str(config), "--print_key", "true"])
        return capsys.readouterr().out.strip()

    keys = {name: key(TINY_CONF / f"{name}.yaml") for name in ("ml_diva", "lad_hard", "lad_soft")}
    assert len(set(keys.values())) == 1 and len(keys["lad_hard"]) == 16
    bf16 = tmp_path / "bf16.yaml"
    text = (TINY_CONF / "lad_hard.yaml").read_text()
    bf16.write_text(text.replace("model_conf:\n", "model_conf:\n    frozen_dtype: bfloat16\n", 1))
    assert "frozen_dtype: bfloat16" in bf16.read_text()
    assert key(bf16) != keys["lad_hard"]  # another dtype: another teacher state
    with pytest.raises(SystemExit):
        dump_teacher.main(["--config", str(bf16)])  # no --data/--out


def test_responses_stored_when_the_config_trains_on_them(tmp_path):
    """response_kl_weight > 0: the cache also holds each transcript's greedy response ids
    (at most response_tokens, up to the end-of-turn token), under its own key; a training
    run that wants them refuses data without them."""
    import yaml

    from lad.inference import TextLLM
    from lad.model.teacher_cache import response_lengths

    conf = yaml.safe_load((TINY_CONF / "lad_hard.yaml").read_text())
    conf["model_conf"].update(response_kl_weight=1.0, response_tokens=5)
    config = tmp_path / "conf.yaml"
    config.write_text(yaml.safe_dump(conf))
    data = tmp_path / "data"
    data.mkdir()
    write_kaldi_file(data / "text", sorted(TEXTS.items()))
    out = tmp_path / "teacher"
    dump_teacher.main(["--data", str(data), "--out", str(out), "--config", str(config)])
    rows = dict(line.split(" ", 1) for line in (out / "response").read_text().splitlines())
    assert list(rows) == sorted(TEXTS)  # the text file's order
    model = build_model(extra=["--model_conf", "response_kl_weight=1.0"]).eval()
    text_llm = TextLLM(model.llm, model.tokenizer, None, 5)
    for utt, text in TEXTS.items():
        ids = text_llm.response_ids([text])
        n = int(response_lengths(ids, model.tokenizer.eos_token_id)[0])
        assert [int(t) for t in rows[utt].split()] == ids[0, :n].tolist(), utt
    fingerprint = json.loads((out / "fingerprint.json").read_text())
    assert fingerprint["response_tokens"] == 5 and fingerprint["teacher_states"] == "response"
    # the states: the teacher's along each response, one row per response token, row 0 h_t
    stored = dict(kaldiio.load_scp(str(out / "teacher.scp")))
    for utt, text in TEXTS.items():
        ids = model.tokenizer(text, add_special_tokens=False).input_ids
        response = torch.tensor([[int(t) for t in rows[utt].split()]])
        with torch.no_grad():
            states = model.frozen_llm.teacher_response_hidden(
                model.prompt, torch.tensor([ids]), torch.tensor([len(ids)]), response
            )[0]
            h_t = model.teacher_hidden(torch.tensor([ids]), torch.tensor([len(ids)]))[0]
        assert stored[utt].shape == (response.size(1), h_t.size(0)), utt
        assert torch.allclose(torch.from_numpy(stored[utt]), states, atol=1e-5), utt
        assert torch.allclose(torch.from_numpy(stored[utt][0]), h_t, atol=1e-5), utt
    # another cache key: systems without responses keep theirs
    assert dump_teacher_key(TINY_CONF / "lad_hard.yaml") != dump_teacher_key(config)
    entries = [
        (str(data / "text"), "text", "text"),
        (str(out / "teacher.scp"), "teacher", "kaldi_ark"),
    ]
    spec = conf["llm"]
    with pytest.raises(ValueError, match="needs the text-only LLM's responses"):
        check_data_caches(entries, spec, model.prompt.text, None, 5)
    entries.append((str(out / "response"), "response", "text_int"))
    assert check_data_caches(entries, spec, model.prompt.text, None, 5) == 1
    # a cache made before the states followed the responses is refused, by name
    del fingerprint["teacher_states"]
    (out / "fingerprint.json").write_text(json.dumps(fingerprint))
    with pytest.raises(ValueError, match="stale or for another run.*teacher_states"):
        check_data_caches(entries, spec, model.prompt.text, None, 5)


def dump_teacher_key(config) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        dump_teacher.main(["--config", str(config), "--print_key", "true"])
    return buf.getvalue().strip()
