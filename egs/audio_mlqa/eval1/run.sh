#!/usr/bin/env bash
# Audio-MLQA: MLQA's questions spoken by TTS, the context given as text (Gopal et al. 2026:
# 250 items per language in en de es vi zh, judged 0-5 by GPT-4.1). Builds the benchmark,
# answers it with trained LAD/ML-DiVA models and the baselines, scores EM/F1 and a judge.
#   1 build   MLQA test files (context and question in one language) -> data/manifest.jsonl
#             or, with --hub_dir, the released set's parquet files   -> data/manifest_spoken.jsonl
#   2 speak   the questions -> 16 kHz audio (conf/tts_*.yaml)          -> data/manifest_spoken.jsonl
#             (skipped with --hub_dir: the released set has its audio)
#   3 check   intelligibility with an ASR model (--check true)          -> data/manifest_checked.jsonl
#   4 answer  each system                                              -> exp/<system>/answers.jsonl
#   5 score   EM/F1 with MLQA's normalisation                          -> exp/<system>/scores.json
#   6 judge   calibrate the LLM judge (gold/wrong/empty answers)       -> exp/judge_calibration/
#             then 0-5 by the judge (conf/judge_*.yaml)                -> exp/<system>/judged.jsonl
#   7 report  the systems side by side (no judge gains if uncalibrated) -> exp/RESULTS.md
# Usage: ./run.sh --lad_models "lad_hard=../../mini/lad1/exp/mini/lad_hard/packed" [--option value ...]
#        ./run.sh --hub_dir downloads/Audio-MLQA [--download true] --lad_models ... (the release)
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (run.sh:${BASH_LINENO[0]}) $*" >&2; }

# shellcheck disable=SC1091
. ./db.sh
stage=1
stop_stage=7
mlqa="${MLQA}"           # the MLQA_V1 folder (db.sh)
download=false           # true: fetch MLQA_V1.zip into ${mlqa} (or the release into ${hub_dir})
hub_dir=""               # the released Audio-MLQA (shreyasg97/Audio-MLQA, parquet): stage 1 reads
                         # it instead of MLQA, stage 2 is skipped
hub_split=""             # its split ("": the only one there is; else e.g. test)
column_map=""            # "ours=theirs,..." when its column names are not guessed (build --help)
langs="en de es vi zh"   # also ar hi
per_lang=250
seed=0
split="test"            # MLQA split: test or dev
datadir=data
expdir=exp
tts_config=conf/tts_espeak.yaml
check=false              # stage 3 on or off
check_asr_config=conf/asr_whisper.yaml
max_cer=0.3
drop_flagged=false       # drop items whose audio the ASR misreads (CER > max_cer)
lad_models=""            # "name=<packed model dir> ..." (stage 10 of a lad1 recipe)
baselines="text cascade" # text: the LLM on the question text; cascade: ASR -> the LLM
llm_config=""            # the baselines' LLM (a config with llm:); default: the first LAD model's
asr_config=conf/asr_whisper.yaml   # the cascade's ASR (whisper or espnet)
prompt=conf/answer_prompt.txt
max_new_tokens=48
judge=true
judge_config=conf/judge_local.yaml # conf/judge_http.yaml for an API judge (key from the env)
judge_prompt=conf/judge_prompt.txt
calib_per_lang=20        # items per language of the judge's calibration (0: all)
min_separation=1.0       # the judge is calibrated when mean gold - mean wrong >= this
min_pairwise=0.75        # ... and gold beats wrong (and empty) on at least this fraction
baseline=text            # the relative gains in RESULTS.md are over this system
nj=2
ngpu=0

help_message="$(sed -n '2,16p' "$0")"
options=" stage stop_stage mlqa download hub_dir hub_split column_map langs per_lang seed split
    datadir expdir tts_config check
    check_asr_config max_cer drop_flagged lad_models baselines llm_config asr_config prompt
    max_new_tokens judge judge_config judge_prompt calib_per_lang min_separation min_pairwise
    baseline nj ngpu "
# shellcheck disable=SC1091
. ./parse_options.sh
# shellcheck disable=SC1091
. ./path.sh
# logged_progress: a long command's output to its log, its progress line every 30 s
# shellcheck source=egs/TEMPLATE/lad1/progress.sh
. "${LAD_ROOT}/egs/TEMPLATE/lad1/progress.sh"
# shellcheck disable=SC1091
. ./cmd.sh
read -r -a decode_launcher <<< "${decode_cmd}"
device=cpu
[ "${ngpu}" -gt 0 ] && device=cuda
mlqa_py() { "${decode_launcher[@]}" python -m lad.bin.audio_mlqa "$@"; }

# The systems by name: lad.audio_mlqa.systems resolves and checks them (stage 4 passes each
# name back with the same options).
systems_opts=(--lad_models "${lad_models}" --llm_config "${llm_config}" --asr_config "${asr_config}")
names_text="$(python -m lad.bin.audio_mlqa systems "${systems_opts[@]}" --baselines "${baselines}")"
mapfile -t names <<< "${names_text}"

manifest="${datadir}/manifest.jsonl"
spoken="${datadir}/manifest_spoken.jsonl"
final="${spoken}"
[ "${check}" = true ] && final="${datadir}/manifest_checked.jsonl"

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ] && [ -n "${hub_dir}" ]; then
    if [ ! -d "${hub_dir}" ]; then
        if [ "${download}" != true ]; then
            log "no Audio-MLQA at ${hub_dir}: rerun with --download true to fetch its parquet files"
            log "from the Hub (shreyasg97/Audio-MLQA), or copy them there"
            exit 1
        fi
        log "Stage 1: downloading shreyasg97/Audio-MLQA (parquet files, README.md) to ${hub_dir}"
        python -c 'import sys; from lad.audio_mlqa.hub import download_release as d; d(sys.argv[1])' \
            "${hub_dir}"
    fi
    log "Stage 1: the released set in ${hub_dir} (split ${hub_split:-the only one}) -> ${spoken}"
    mkdir -p "${datadir}"
    python -m lad.bin.audio_mlqa build --from_hub_dir "${hub_dir}" --hub_split "${hub_split}" \
        --column_map "${column_map}" --langs "${langs}" --wav_dir "${datadir}/wav" --out "${spoken}"
elif [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    if [ ! -d "${mlqa}/${split}" ]; then
        url=https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip
        if [ "${download}" != true ]; then
            log "no MLQA at ${mlqa}: download ${url}, unzip it, and set MLQA in db.sh or pass"
            log "--mlqa <dir>/MLQA_V1 (or rerun with --download true to do it here)"
            exit 1
        fi
        log "Stage 1: downloading ${url}"
        mkdir -p "$(dirname "${mlqa}")"
        wget -c -O "${mlqa}.zip" "${url}"
        unzip -q -o "${mlqa}.zip" -d "$(dirname "${mlqa}")"
    fi
    log "Stage 1: build ${per_lang} items per language (${langs}) from ${mlqa}/${split}"
    mkdir -p "${datadir}"
    python -m lad.bin.audio_mlqa build --mlqa "${mlqa}" --langs "${langs}" --split "${split}" \
        --per_lang "${per_lang}" --seed "${seed}" --out "${manifest}"
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ] && [ -n "${hub_dir}" ]; then
    log "Stage 2: skipped: the audio comes with the released set (${hub_dir})"
elif [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    log "Stage 2: speak the questions (${tts_config}) -> ${spoken}"
    python -m lad.bin.audio_mlqa speak --manifest "${manifest}" --out "${spoken}" \
        --wav_dir "${datadir}/wav" --tts_config "${tts_config}" --nj "${nj}"
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ] && [ "${check}" = true ]; then
    log "Stage 3: intelligibility check (${check_asr_config}) -> ${final}"
    mlqa_py check --manifest "${spoken}" --asr_config "${check_asr_config}" --out "${final}" \
        --report "${datadir}/check_report.tsv" --max_cer "${max_cer}" --drop "${drop_flagged}"
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
    for name in "${names[@]}"; do
        log "Stage 4: ${name} answers ${final} (log: ${expdir}/${name}/logs/answer.log)"
        mkdir -p "${expdir}/${name}/logs"
        logged_progress "${expdir}/${name}/logs/answer.log" mlqa_py answer --manifest "${final}" \
            --prompt "${prompt}" --system "${name}" "${systems_opts[@]}" \
            --max_new_tokens "${max_new_tokens}" --device "${device}" \
            --out "${expdir}/${name}/answers.jsonl"
    done
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
    for name in "${names[@]}"; do
        log "Stage 5: EM/F1 of ${name}"
        python -m lad.bin.audio_mlqa score --manifest "${final}" \
            --answers "${expdir}/${name}/answers.jsonl" --out "${expdir}/${name}/scores.json"
    done
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ] && [ "${judge}" = true ]; then
    log "Stage 6: calibrate the judge (${judge_config}) -> ${expdir}/judge_calibration"
    mlqa_py calibrate --manifest "${final}" --config "${judge_config}" --prompt "${judge_prompt}" \
        --calib_per_lang "${calib_per_lang}" --seed "${seed}" --min_separation "${min_separation}" \
        --min_pairwise "${min_pairwise}" --out "${expdir}/judge_calibration/judged.jsonl"
    for name in "${names[@]}"; do
        log "Stage 6: judge ${name} (${judge_config})"
        mlqa_py judge --manifest "${final}" --answers "${expdir}/${name}/answers.jsonl" \
            --config "${judge_config}" --prompt "${judge_prompt}" --out "${expdir}/${name}/judged.jsonl"
    done
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
    log "Stage 7: ${expdir}/RESULTS.md"
    python -m lad.bin.audio_mlqa report --expdir "${expdir}" --systems "${names[@]}" \
        --baseline "${baseline}" --manifest "${final}" --out "${expdir}/RESULTS.md"
fi
log "Successfully finished stages ${stage}-${stop_stage}"
