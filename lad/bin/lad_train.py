#!/usr/bin/env python3
"""Train (or collect stats for) a LAD / ML-DiVA model with ESPnet's Trainer.

    python -m lad.bin.lad_train --config conf/tiny/lad_hard.yaml \
        --train_data_path_and_name_and_type dump/raw/train/wav.scp,speech,sound \
        --train_data_path_and_name_and_type dump/raw/train/text,text,text \
        --train_data_path_and_name_and_type dump/raw/train/utt2lang,lang,text ...
"""

from typing import Optional

from lad.tasks.lad import LADTask


def get_parser():
    return LADTask.get_parser()


def main(cmd: Optional[list[str]] = None) -> None:
    LADTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
