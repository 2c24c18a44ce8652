#!/usr/bin/env bash
# FLEURS: LAD on Google's FLEURS (read Wikipedia sentences, 16 kHz wav, CC-BY-4.0), its
# train/dev/test splits. Languages by default: the paper's six, en de es vi zh id (zh is
# cmn_hans_cn). Download the Hugging Face dataset google/fleurs's files of those languages
# (data/<code>/*) and set ${FLEURS} (db.sh) to the folder holding data/; see local/data.sh.
#   ./run.sh                                  paper configs (conf/paper), all stages
#   ./run.sh --scale mini                     small models (conf/mini) on the real data
#   ./run.sh --langs "de es" --stop_stage 3   other languages; data stages only
#   ./run.sh --extra_datadirs ../../commonvoice/lad1/data   train on FLEURS + Common Voice
set -euo pipefail
langs="en de es vi zh id"
./lad.sh --langs "${langs}" --systems lad_hard --scale paper "$@"
