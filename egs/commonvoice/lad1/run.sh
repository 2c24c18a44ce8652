#!/usr/bin/env bash
# Common Voice: LAD on Mozilla Common Voice (crowd-sourced read speech, mp3, CC0), its
# official train/dev/test splits. Languages by default: the paper's six, en de es vi zh id
# (zh is the zh-CN locale). Common Voice comes from the Mozilla Data Collective (no stable
# URL): put each language's extracted release folder at ${COMMONVOICE}/<locale> (db.sh).
#   ./run.sh                                  paper configs (conf/paper), all stages
#   ./run.sh --scale mini                     small models (conf/mini) on the real data
#   ./run.sh --langs "de es" --stop_stage 3   other languages; data stages only
#   ./run.sh --local_data_opts "--min_votes 1 --cv_locale_map zh=zh-TW"
set -euo pipefail
langs="en de es vi zh id"
./lad.sh --langs "${langs}" --systems lad_hard --scale paper "$@"
