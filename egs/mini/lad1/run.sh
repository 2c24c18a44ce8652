#!/usr/bin/env bash
# mini: LAD on a synthetic six-language ASR corpus (espeak-ng, offline), small real models.
#   --scale mini (default): whisper-base + SmolLM2-135M-Instruct (tools/models, prepared
#                           by tools/setup.sh), 160/20/30 utterances per language
#   --scale mini_long:      conf/mini's models, settings and test set with 5x the training
#                           speech (800 utterances per language, 4.9 h) and 3.2x the updates
#                           (3,800 of 8 utterances: 3,000 content, 800 distillation; 6.3
#                           passes, validated every 200; RESULTS_mini_long.md)
#   --scale tiny:           tiny random backbones and a handful of utterances (CI)
# Compare systems with --systems "ml_diva lad_hard lad_soft".
set -euo pipefail

scale=mini
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[i]}" = --scale ] && scale="${args[i + 1]:-}"
done

case "${scale}" in
    tiny) sizes="--train_per_lang 8 --dev_per_lang 2 --test_per_lang 2"; langs="en de zh" ;;
    mini) sizes="--train_per_lang 160 --dev_per_lang 20 --test_per_lang 30"; langs="en de es vi zh id" ;;
    mini_long) sizes="--train_per_lang 800 --dev_per_lang 20 --test_per_lang 30"; langs="en de es vi zh id" ;;
    *) echo "$0: --scale must be tiny, mini or mini_long" >&2; exit 2 ;;
esac
conf_scale="${scale}"
extra=()
if [ "${scale}" = mini_long ]; then  # conf/mini's configs, trained longer on more data
    conf_scale=mini  # a longer content stage: with 4,800 utterances the reading still learns
    extra=(--train_args "--num_iters_per_epoch 200 --max_epoch 19 --model_conf content_updates=3000")
fi

./lad.sh --langs "${langs}" --local_data_opts "${sizes}" --feats_type whisper \
    --datadir "data/${scale}" --dumpdir "dump/${scale}" --expdir "exp/${scale}" "${extra[@]}" \
    "$@" --scale "${conf_scale}"
