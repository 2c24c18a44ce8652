import torch

from lad.model.backbones import build_byte_tokenizer
from lad.model.prompts import PLACEHOLDER, ChatPrompt


def test_split_around_user_turn_chatml():
    tok = build_byte_tokenizer()
    prompt = ChatPrompt(tok)
    assert tok.decode(prompt.prefix_ids) == "<|im_start|>user\n"
    assert tok.decode(prompt.suffix_ids) == "<|im_end|>\n<|im_start|>assistant\n"
    # Specials are single tokens, not spelled out in bytes.
    assert prompt.prefix_ids[0] == tok.convert_tokens_to_ids("<|im_start|>")


def test_instruction_goes_after_speech():
    tok = build_byte_tokenizer()
    prompt = ChatPrompt(tok, instruction="Answer briefly.")
    assert tok.decode(prompt.suffix_ids).startswith("\nAnswer briefly.<|im_end|>")


def test_fallback_template_without_chat_template():
    tok = build_byte_tokenizer(chat_template=None)
    prompt = ChatPrompt(tok)
    assert prompt.text == f"<|endoftext|>User: {PLACEHOLDER}\nAssistant:"
    assert tok.decode(prompt.prefix_ids) == "<|endoftext|>User: "
    assert tok.decode(prompt.suffix_ids) == "\nAssistant:"


def test_teacher_ids_right_padded_with_last_index():
    tok = build_byte_tokenizer()
    prompt = ChatPrompt(tok)
    text = torch.tensor([[10, 11, 12], [20, -1, -1]])
    ids, mask, last = prompt.teacher_ids(text, torch.tensor([3, 1]))
    S = len(prompt.suffix_ids)
    assert ids.shape == (2, 3 + S)  # the prefix is left out: it comes from the prefix cache
    assert ids[0].tolist() == [10, 11, 12] + prompt.suffix_ids
    assert ids[1, : 1 + S].tolist() == [20] + prompt.suffix_ids
    assert mask.sum(1).tolist() == [3 + S, 1 + S]
    assert last.tolist() == [3 + S - 1, 1 + S - 1]
    assert ids[1, last[1]] == prompt.suffix_ids[-1]


def test_student_embeds_layout():
    tok = build_byte_tokenizer()
    prompt = ChatPrompt(tok)
    emb = torch.nn.Embedding(len(tok), 6)
    z = torch.randn(2, 4, 6)
    x = prompt.student_embeds(emb, z)
    P, S = len(prompt.prefix_ids), len(prompt.suffix_ids)
    assert x.shape == (2, P + 4 + S, 6)
    assert torch.equal(x[1, P : P + 4], z[1])
    assert torch.equal(x[0, :P], emb(torch.tensor(prompt.prefix_ids)))
    assert torch.equal(x[0, P + 4 :], emb(torch.tensor(prompt.suffix_ids)))
