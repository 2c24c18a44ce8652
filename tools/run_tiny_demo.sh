#!/usr/bin/env bash
# A tiny end-to-end LAD run on this machine, offline: synthesise a small 6-language corpus
# with espeak-ng, collect stats, train LAD-hard on tiny random backbones with ESPnet's
# Trainer, and print per-epoch losses. Re-running resumes (finished steps are skipped).
#
# Usage: tools/run_tiny_demo.sh [--config conf/tiny/lad_hard.yaml] [--exp exp/tiny_demo] [--max_epoch 4]
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (run_tiny_demo.sh) $*" >&2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${repo}/conf/tiny/lad_hard.yaml"
exp="${repo}/exp/tiny_demo"
max_epoch=4

while [ $# -gt 0 ]; do
    case "$1" in
        --config) config="$2"; shift 2 ;;
        --exp) exp="$2"; shift 2 ;;
        --max_epoch) max_epoch="$2"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) log "unknown option: $1"; exit 2 ;;
    esac
done

"${repo}/tools/setup.sh"
python="${repo}/.venv/bin/python"
data="${exp}/data"
tag="$(basename "${config}" .yaml)"
mkdir -p "${exp}/logs"

log "Stage 1: synthesise the demo corpus -> ${data}"
if [ ! -f "${data}/.done" ]; then
    "${python}" -m lad.bin.make_demo_data --out "${data}" --langs "en de es vi zh id" \
        --train_per_lang 8 --valid_per_lang 2
    touch "${data}/.done"
fi

data_args=()
for split in train valid; do
    data_args+=(--"${split}"_data_path_and_name_and_type "${data}/${split}/wav.scp,speech,sound")
    data_args+=(--"${split}"_data_path_and_name_and_type "${data}/${split}/text,text,text")
    data_args+=(--"${split}"_data_path_and_name_and_type "${data}/${split}/utt2lang,lang,text")
done
common=(--config "${config}" --lang_list "${data}/lang_list" "${data_args[@]}")

log "Stage 2: collect stats -> ${exp}/stats (log: ${exp}/logs/stats.log)"
if [ ! -f "${exp}/stats/.done" ]; then
    "${python}" -m lad.bin.lad_train "${common[@]}" --collect_stats true \
        --output_dir "${exp}/stats" > "${exp}/logs/stats.log" 2>&1
    touch "${exp}/stats/.done"
fi

log "Stage 3: train ${tag} for ${max_epoch} epochs -> ${exp}/${tag} (log: ${exp}/logs/train_${tag}.log)"
shape_args=()
for split in train valid; do
    for name in speech text; do
        shape_args+=(--"${split}"_shape_file "${exp}/stats/${split}/${name}_shape")
    done
done
"${python}" -m lad.bin.lad_train "${common[@]}" "${shape_args[@]}" \
    --fold_length 800000 --fold_length 500 --max_epoch "${max_epoch}" --resume true \
    --output_dir "${exp}/${tag}" >> "${exp}/logs/train_${tag}.log" 2>&1

log "Per-epoch losses of ${tag}:"
"${python}" -m lad.bin.summarize_training "${exp}/${tag}"
log "Done. TensorBoard: .venv/bin/tensorboard --logdir ${exp}/${tag}/tensorboard"
