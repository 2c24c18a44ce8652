#!/usr/bin/env bash
# MLS: LAD on Multilingual LibriSpeech (OpenSLR 94; read audiobooks, flac or opus,
# CC-BY-4.0), its train/dev/test splits. MLS has en de nl fr es it pt pl; by default the
# paper's languages among them, en de es. The releases have public addresses
# (dl.fbaipublicfiles.com/mls): put mls_<language>[_opus] under ${MLS} (db.sh), or let
# stage 1 download them: --local_data_opts "--download true" (see local/data.sh).
#   ./run.sh                                  paper configs (conf/paper), all stages
#   ./run.sh --scale mini                     small models (conf/mini) on the real data
#   ./run.sh --langs "de es" --stop_stage 3   other languages; data stages only
#   ./run.sh --local_data_opts "--subset 9h"  the limited-supervision 10-hour training sets
set -euo pipefail
langs="en de es"
./lad.sh --langs "${langs}" --systems lad_hard --scale paper "$@"
