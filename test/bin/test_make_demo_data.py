from lad.bin.make_demo_data import SENTENCES, main
from lad.data.kaldi import read_kaldi_file, validate_data_dir


def test_demo_corpus(tmp_path):
    main(
        [
            "--out",
            str(tmp_path),
            "--langs",
            "en vi",
            "--train_per_lang",
            "3",
            "--valid_per_lang",
            "1",
        ]
    )
    assert validate_data_dir(tmp_path / "train") == 6
    assert validate_data_dir(tmp_path / "valid") == 2
    assert (tmp_path / "lang_list").read_text() == "en\nvi\n"
    train, valid = (
        read_kaldi_file(tmp_path / "train" / "text"),
        read_kaldi_file(tmp_path / "valid" / "text"),
    )
    assert not set(train.values()) & set(valid.values())  # disjoint sentences
    spk_train = set(read_kaldi_file(tmp_path / "train" / "utt2spk").values())
    spk_valid = set(read_kaldi_file(tmp_path / "valid" / "utt2spk").values())
    assert not spk_train & spk_valid
    lang = read_kaldi_file(tmp_path / "train" / "utt2lang")
    assert all(u.startswith(lang[u]) for u in lang)
    assert valid["vi-valid-m7-0000"] == SENTENCES["vi"][-1]
