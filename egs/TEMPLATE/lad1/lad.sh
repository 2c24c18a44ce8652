#!/usr/bin/env bash
# The shared stage script of lad recipes (linked into every egs/<corpus>/lad1).
#   1 data prep (local/data.sh)          -> ${datadir}/{train,dev,test}_<lang>
#   2 combine languages (per-lang caps)   -> ${datadir}/{train,valid,test}, lang_list
#   3 format audio (16 kHz mono, filters) -> ${dumpdir}/raw/<set>
#   4 frozen-encoder states (--feats_type whisper) -> ${dumpdir}/whisper/<set>
#   5 teacher cache: the frozen LLM's state on each transcript -> ${dumpdir}/teacher/<key>/<set>
#   6 ESPnet collect-stats                -> ${expdir}/<system>_stats
#   7 training (ESPnet Trainer, resumes)  -> ${expdir}/<system>
#   8 greedy responses to speech (+ the text-only LLM's to the transcripts)
#                                         -> ${expdir}/<system>/decode_<set>/responses.jsonl
#   9 scoring per language, gate confusion -> .../score/, ${expdir}/RESULTS.md
#  10 pack a self-contained model dir     -> ${expdir}/<system>/packed
#  11 Hugging Face folder + model card (pushed with --hf_repo) -> ${expdir}/<system>/hf
# Usage: ./lad.sh [--stage N] [--stop_stage M] [--option value ...]
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (lad.sh:${BASH_LINENO[0]}) $*" >&2; }
validate() {  # validate <data dir>...: stop with lad.bin.validate_data_dir's message
    python -m lad.bin.validate_data_dir "$@" >&2 || { log "invalid data directory (above)"; exit 1; }
}
# General
stage=1                 # first stage to run
stop_stage=11           # last stage to run
nj=2                    # parallel jobs of stages 1 and 3; stage 4's pieces (run in turn)
ngpu=0                  # GPUs for training (0: CPU); more than 1: one process per GPU
nproc=1                 # with --ngpu 0: CPU training processes (torchrun, gloo backend)
num_nodes=1             # more than 1: stage 7 on that many Slurm nodes, --ngpu processes on each
                        # (cmd.sh: cmd_backend=slurm, train_cmd "srun --nodes=N --ntasks-per-node=1 ...")
datadir=data            # stage 1-2 output
dumpdir=dump            # stage 3-4 output
expdir=exp              # stage 6-7 output
# Data
langs="en de es vi zh id"  # ISO 639-1 codes; their order is the query bank's order
local_data_opts=""      # extra options for local/data.sh
max_per_lang=""         # cap of training utterances per language (empty: no cap)
extra_datadirs=""       # stage-1 outputs of other recipes to merge in stage 2, e.g.
                        # "../../fleurs/lad1/data": their {train,dev,test}_<lang> that exist
min_sec=0.3             # shorter utterances are dropped in stage 3
max_sec=30              # longer utterances are dropped in stage 3
train_set=train
valid_set=valid
test_sets="test"        # the first is combined from every language's test_<lang> in stage 2;
                        # any others must be data dirs in ${datadir}, e.g. "test test_en"
fit_per_lang=10         # stage 2 also draws this many training utterances per language into
                        # ${datadir}/train_fit, which stages 3-4 and 8-9 treat as a test set
                        # (without the cascade): the fit check, a student must fit what it
                        # trained on (0: none)
feats_type=raw          # raw (encoder runs in training) or whisper (stage 4 states)
# Models
scale=mini              # config directory conf/<scale>: tiny, mini or paper
systems=lad_hard        # systems to train, e.g. "ml_diva lad_hard lad_soft"
train_config=""         # a config file for a single system (overrides --scale/--systems)
train_args=""           # extra options for lad_train
use_deepspeed=false     # stage 7 through ESPnet's DeepSpeedTrainer (pip install -e '.[gpu]');
                        # it needs several processes: --ngpu N or --nproc N (N > 1)
deepspeed_config=conf/ds_zero2.json  # ZeRO-2, bf16, the paper's AdamW (its optimizer and
                        # scheduler replace the config's optim/scheduler)
tag=""                  # experiment name suffix
seeds=""                # e.g. "0 1 2": one run per seed in ${expdir}/<system>_seed<N>
                        # (empty: one run with the config's seed in ${expdir}/<system>)
teacher_cache=true      # stage 5 caches the teacher pass; false: the teacher runs in training
teacher_batch_size=64   # transcripts per LLM call in stage 5 (the same responses and states
                        # as 32, 1.25x faster at mini scale)
# Inference
inference_config=""     # decoding options (default conf/<scale>/decode.yaml)
inference_model=valid.loss.ave.pth  # checkpoint of stage 7 to decode and pack
inference_args=""       # extra options for lad_inference, e.g. --instruction "..."
cascade=true            # stage 8-9: the ASR -> LLM cascade baseline (when an ASR config exists)
asr_config=""           # its ASR (default conf/<scale>/asr.yaml)
cascade_language=given  # given: the ASR is told each utterance's language; detected: it finds it
# Sharing (stage 11)
hf_repo=""              # owner/name on the Hugging Face Hub (one system and seed)
skip_upload_hf=true     # false: push the folder to --hf_repo (needs a token and the network)
hf_datasets=""          # Hub ids of the training data, for the model card

help_message="$(sed -n '2,15p' "$0")"
options=" stage stop_stage nj ngpu nproc num_nodes datadir dumpdir expdir langs local_data_opts max_per_lang
    extra_datadirs min_sec max_sec train_set valid_set test_sets fit_per_lang feats_type scale systems train_config
    train_args use_deepspeed deepspeed_config tag seeds teacher_cache inference_config
    inference_model inference_args cascade asr_config cascade_language hf_repo skip_upload_hf
    hf_datasets "

# shellcheck disable=SC1091
. ./parse_options.sh

# shellcheck disable=SC1091
. ./path.sh
# logged, logged_progress, logged_training
# shellcheck source=egs/TEMPLATE/lad1/progress.sh
. "${LAD_ROOT}/egs/TEMPLATE/lad1/progress.sh"
# shellcheck disable=SC1091
. ./cmd.sh
read -r -a train_launcher <<< "${train_cmd}"
# Distributed training through ESPnet: with GPUs its own launcher (one process per GPU,
# NCCL); on the CPU, torchrun starts --nproc processes that meet over gloo. The batch of
# each update is split over the processes, so the global batch stays the config's.
trainer=(python -m lad.bin.lad_train)
if [ "${ngpu}" -gt 1 ]; then
    trainer+=(--multiprocessing_distributed true)
elif [ "${ngpu}" -eq 0 ] && [ "${nproc}" -gt 1 ]; then
    trainer=(python -m torch.distributed.run --standalone --nproc_per_node "${nproc}"
        -m lad.bin.lad_train --dist_backend gloo)
elif [ "${nproc}" -gt 1 ]; then
    log "--nproc is for CPU training (--ngpu 0); with GPUs, --ngpu N starts one process per GPU"
    exit 2
fi
if [ "${num_nodes}" -gt 1 ]; then
    if [ "${ngpu}" -lt 1 ] || [ "${cmd_backend}" != slurm ]; then
        log "--num_nodes ${num_nodes} needs GPUs (--ngpu N) and cmd_backend=slurm in cmd.sh (srun)"
        exit 2
    fi
    # srun starts one task per node, ESPnet one process per GPU in it; they meet through a
    # file on the shared file system (stage 7 gives each run its own)
    trainer=(python -m lad.bin.lad_train --multiprocessing_distributed true --dist_launcher slurm)
fi
if [ "${use_deepspeed}" = true ]; then
    if [ "${ngpu}" -le 1 ] && [ "${nproc}" -le 1 ]; then
        log "--use_deepspeed true needs several processes (--ngpu N or --nproc N, N > 1):"
        log "ESPnet falls back to its plain Trainer in one process"
        exit 2
    fi
    [ -f "${deepspeed_config}" ] || { log "no DeepSpeed config ${deepspeed_config}"; exit 2; }
    trainer+=(--use_deepspeed true --deepspeed_config "${deepspeed_config}")
fi
read -r -a langs_arr <<< "${langs}"
read -r -a test_sets_arr <<< "${test_sets}"
fit_set=train_fit
eval_sets_arr=("${test_sets_arr[@]}")  # what stages 3-4 and 8-9 treat as test sets
[ "${fit_per_lang}" -gt 0 ] && eval_sets_arr+=("${fit_set}")

# system name -> config file
declare -A configs=()
if [ -n "${train_config}" ]; then
    configs["$(basename "${train_config}" .yaml)"]="${train_config}"
else
    for system in ${systems}; do
        configs["${system}"]="conf/${scale}/${system}.yaml"
    done
fi
for system in "${!configs[@]}"; do
    [ -f "${configs[${system}]}" ] || { log "no config ${configs[${system}]}"; exit 1; }
done
mapfile -t system_names < <(printf '%s\n' "${!configs[@]}" | sort)
first_config="${configs[${system_names[0]}]}"
inference_config="${inference_config:-conf/${scale}/decode.yaml}"
asr_config="${asr_config:-conf/${scale}/asr.yaml}"
device=cpu
[ "${ngpu}" -gt 0 ] && device=cuda

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    log "Stage 1: data preparation -> ${datadir}"
    # shellcheck disable=SC2086
    local/data.sh --langs "${langs}" --out "${datadir}" ${local_data_opts}
    made=()
    for l in "${langs_arr[@]}"; do
        for split in train dev test; do
            if [ -d "${datadir}/${split}_${l}" ]; then made+=("${datadir}/${split}_${l}"); fi
        done
    done
    validate "${made[@]}"
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    log "Stage 2: combine ${langs} into ${train_set}, ${valid_set}, ${test_sets}"
    cap=()
    [ -n "${max_per_lang}" ] && cap=(--max_per_lang "${max_per_lang}")
    read -r -a extra_dirs <<< "${extra_datadirs}"
    for d in "${extra_dirs[@]}"; do
        [ -d "${d}" ] || { log "--extra_datadirs: no directory ${d}"; exit 1; }
        log "Stage 2: merging $(find "${d}" -mindepth 1 -maxdepth 1 -type d -name '*_*' | wc -l) data dirs of ${d} where --langs match"
    done
    src() {  # this recipe's <split>_<lang> for every language, and the other recipes' that exist
        for l in "${langs_arr[@]}"; do
            echo "${datadir}/${1}_${l}"
            for d in "${extra_dirs[@]}"; do
                if [ -d "${d}/${1}_${l}" ]; then echo "${d}/${1}_${l}"; fi
            done
        done
    }
    mapfile -t train_src < <(src train)
    mapfile -t dev_src < <(src dev)
    mapfile -t test_src < <(src test)
    python -m lad.bin.combine_data --src "${train_src[@]}" --dst "${datadir}/${train_set}" "${cap[@]}"
    python -m lad.bin.combine_data --src "${dev_src[@]}" --dst "${datadir}/${valid_set}"
    python -m lad.bin.combine_data --src "${test_src[@]}" --dst "${datadir}/${test_sets_arr[0]}"
    for dset in "${test_sets_arr[@]:1}"; do
        if [ ! -f "${datadir}/${dset}/wav.scp" ]; then
            log "--test_sets: ${dset} is not a data dir in ${datadir} (only the first test set, ${test_sets_arr[0]}, is combined here)"
            exit 1
        fi
    done
    printf '%s\n' "${langs_arr[@]}" > "${datadir}/lang_list"
    if [ "${fit_per_lang}" -gt 0 ]; then  # a random subset of what training reads
        python -m lad.bin.combine_data --src "${datadir}/${train_set}" --dst "${datadir}/${fit_set}" \
            --max_per_lang "${fit_per_lang}"
    fi
    validate "${datadir}/${train_set}" "${datadir}/${valid_set}" "${eval_sets_arr[@]/#/${datadir}/}"
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    for dset in "${train_set}" "${valid_set}" "${eval_sets_arr[@]}"; do
        log "Stage 3: format ${datadir}/${dset} -> ${dumpdir}/raw/${dset}"
        python -m lad.bin.format_data --src "${datadir}/${dset}" --dst "${dumpdir}/raw/${dset}" \
            --nj "${nj}" --min_sec "${min_sec}" --max_sec "${max_sec}"
    done
    validate "${dumpdir}/raw/${train_set}" "${dumpdir}/raw/${valid_set}" \
        "${eval_sets_arr[@]/#/${dumpdir}/raw/}"
fi

if [ "${feats_type}" = whisper ]; then
    if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
        for dset in "${train_set}" "${valid_set}" "${eval_sets_arr[@]}"; do
            log "Stage 4: frozen Whisper encoder states of ${dset} -> ${dumpdir}/whisper/${dset}"
            python -m lad.bin.dump_feats --data "${dumpdir}/raw/${dset}" \
                --out "${dumpdir}/whisper/${dset}" --config "${first_config}" \
                --num_splits "${nj}" --device "${device}"
        done
    fi
    feats_dir="${dumpdir}/whisper"
    speech_file=feats.scp
    speech_type=kaldi_ark
    speech_fold=1500        # 30 s of encoder states
elif [ "${feats_type}" = raw ]; then
    feats_dir="${dumpdir}/raw"
    speech_file=wav.scp
    speech_type=sound
    speech_fold=480000      # 30 s of samples
else
    log "unknown --feats_type ${feats_type} (raw or whisper)"; exit 2
fi

# Systems with the same LLM, chat template and frozen dtype share one teacher cache.
declare -A teacher_key=()
if "${teacher_cache}" && [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 5 ]; then
    for system in "${system_names[@]}"; do
        teacher_key[${system}]="$(python -m lad.bin.dump_teacher --config "${configs[${system}]}" --print_key true)"
    done
fi
teacher_dir() { echo "${dumpdir}/teacher/${teacher_key[${1}]}/${2}"; }  # $1: system, $2: data set

if "${teacher_cache}" && [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
    for system in "${system_names[@]}"; do
        for dset in "${train_set}" "${valid_set}"; do
            log "Stage 5: teacher cache of ${system} for ${dset} -> $(teacher_dir "${system}" "${dset}")"
            python -m lad.bin.dump_teacher --data "${feats_dir}/${dset}" \
                --out "$(teacher_dir "${system}" "${dset}")" --config "${configs[${system}]}" \
                --batch_size "${teacher_batch_size}" --device "${device}"
        done
    done
fi

data_args() {  # $1: train or valid, $2: data set, $3: system
    echo "--${1}_data_path_and_name_and_type=${feats_dir}/${2}/${speech_file},speech,${speech_type}"
    echo "--${1}_data_path_and_name_and_type=${feats_dir}/${2}/text,text,text"
    echo "--${1}_data_path_and_name_and_type=${feats_dir}/${2}/utt2lang,lang,text"
    if "${teacher_cache}"; then
        echo "--${1}_data_path_and_name_and_type=$(teacher_dir "${3}" "${2}")/teacher.scp,teacher,kaldi_ark"
        # the text-only LLM's responses, stored when the config's response_kl_weight > 0
        if [ -f "$(teacher_dir "${3}" "${2}")/response" ]; then
            echo "--${1}_data_path_and_name_and_type=$(teacher_dir "${3}" "${2}")/response,response,text_int"
        fi
    fi
}

read -r -a seeds_arr <<< "${seeds}"
[ ${#seeds_arr[@]} -gt 0 ] || seeds_arr=("")  # one run with the config's seed
# $1: system, $2: seed (empty: the config's) -> its experiment directory
exp_of() { echo "${expdir}/${1}${2:+_seed${2}}${tag:+_${tag}}"; }

runs=()  # "<system> <seed>" for every system and seed
for system in "${system_names[@]}"; do
    for seed in "${seeds_arr[@]}"; do runs+=("${system} ${seed}"); done
done

for system in "${system_names[@]}"; do
    config="${configs[${system}]}"
    stats="${expdir}/${system}${tag:+_${tag}}_stats"  # shared by the seeds
    if [ "${stage}" -gt 7 ] || [ "${stop_stage}" -lt 6 ]; then continue; fi  # no stage 6-7
    mapfile -t data_opts < <(data_args train "${train_set}" "${system}"; data_args valid "${valid_set}" "${system}")
    read -r -a extra <<< "${train_args}"
    common=(--config "${config}" --lang_list "${datadir}/lang_list" "${data_opts[@]}" "${extra[@]}")

    if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
        # The shapes depend on the config (tokenizer) and the data lists only.
        inputs=("${config}" "${feats_dir}/${train_set}/text" "${feats_dir}/${valid_set}/text"
            "${feats_dir}/${train_set}/${speech_file}" "${feats_dir}/${valid_set}/${speech_file}")
        if python -m lad.bin.stamp check "${stats}/.done" "${inputs[@]}"; then
            log "Stage 6: stats of ${system} are up to date in ${stats}"
        else
            log "Stage 6: collect stats for ${system} -> ${stats} (log: ${stats}/logs/stats.log)"
            mkdir -p "${stats}/logs"
            logged "${stats}/logs/stats.log" python -m lad.bin.lad_train "${common[@]}" \
                --collect_stats true --output_dir "${stats}"
            python -m lad.bin.stamp mark "${stats}/.done" "${inputs[@]}"
        fi
    fi

    if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
        for seed in "${seeds_arr[@]}"; do
            exp="$(exp_of "${system}" "${seed}")"
            log "Stage 7: train ${system} (${config}${seed:+, seed ${seed}}) -> ${exp} (log: ${exp}/logs/train.log)"
            mkdir -p "${exp}/logs"
            cmd=("${train_launcher[@]}" "${trainer[@]}" "${common[@]}"
                --train_shape_file "${stats}/train/speech_shape" --train_shape_file "${stats}/train/text_shape"
                --valid_shape_file "${stats}/valid/speech_shape" --valid_shape_file "${stats}/valid/text_shape"
                --fold_length "${speech_fold}" --fold_length 500 --ngpu "${ngpu}" --resume true
                --output_dir "${exp}")
            [ -n "${seed}" ] && cmd+=(--seed "${seed}")
            if [ "${num_nodes}" -gt 1 ]; then
                rm -f "${exp}/.dist_init"
                cmd+=(--dist_init_method "file://$(realpath "${exp}")/.dist_init")
            fi
            printf '%q ' "${cmd[@]}" > "${exp}/run.sh"  # the exact command, to resume by hand
            echo >> "${exp}/run.sh"
            logged_training "${exp}" "${cmd[@]}"
            python -m lad.bin.summarize_training "${exp}"
        done
    fi
done

read -r -a decode_launcher <<< "${decode_cmd}"
read -r -a extra_inference <<< "${inference_args}"
text_llm="${expdir}/text_llm${tag:+_${tag}}"  # the ceiling: the frozen LLM on the transcripts
read -r first_system first_seed <<< "${runs[0]}"  # whose config names the LLM
cascade_dir="${expdir}/cascade${tag:+_${tag}}"  # the ASR -> LLM baseline
if "${cascade}" && [ ! -f "${asr_config}" ]; then
    log "no ASR config ${asr_config}: the cascade baseline is skipped"
    cascade=false
fi

# $1: decode directory, then the entry point and its options -> <dir>/responses.jsonl
run_decode() {
    local dir="$1"; shift
    mkdir -p "${dir}/logs"
    logged_progress "${dir}/logs/inference.log" "${decode_launcher[@]}" python -m "$@" \
        --config "${inference_config}" --out "${dir}/responses.jsonl" --device "${device}" \
        "${extra_inference[@]}"
}

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
    [ -f "${inference_config}" ] || { log "no inference config ${inference_config}"; exit 1; }
    for dset in "${eval_sets_arr[@]}"; do
        log "Stage 8: text-only LLM on the transcripts of ${dset} -> ${text_llm}/decode_${dset}"
        run_decode "${text_llm}/decode_${dset}" lad.bin.lad_inference --text_only true \
            --model_dir "$(exp_of "${first_system}" "${first_seed}")" --data_dir "${feats_dir}/${dset}"
        if "${cascade}" && [ "${dset}" != "${fit_set}" ]; then
            log "Stage 8: ASR -> LLM cascade (${asr_config}, language ${cascade_language}) on ${dset} -> ${cascade_dir}/decode_${dset}"
            run_decode "${cascade_dir}/decode_${dset}" lad.bin.cascade_inference \
                --asr_config "${asr_config}" --llm_from "${configs[${first_system}]}" \
                --data_dir "${dumpdir}/raw/${dset}" --language "${cascade_language}"
        fi
        for run in "${runs[@]}"; do
            read -r system seed <<< "${run}"
            exp="$(exp_of "${system}" "${seed}")"
            log "Stage 8: ${system}${seed:+ (seed ${seed})} responds to the speech of ${dset} -> ${exp}/decode_${dset}"
            run_decode "${exp}/decode_${dset}" lad.bin.lad_inference --model_dir "${exp}" \
                --model_file "${exp}/${inference_model}" --data_dir "${feats_dir}/${dset}"
        done
    done
fi

if [ "${stage}" -le 9 ] && [ "${stop_stage}" -ge 9 ]; then
    for dset in "${eval_sets_arr[@]}"; do
        decodes=()
        for run in "${runs[@]}"; do
            read -r system seed <<< "${run}"
            decodes+=("$(exp_of "${system}" "${seed}")/decode_${dset}")
        done
        if "${cascade}" && [ "${dset}" != "${fit_set}" ]; then
            decodes+=("${cascade_dir}/decode_${dset}")
        fi
        for decode in "${decodes[@]}"; do
            log "Stage 9: score ${decode}"
            python -m lad.bin.score_fidelity --decode_dir "${decode}" \
                --text_responses "${text_llm}/decode_${dset}/responses.jsonl" \
                --lang_list "${datadir}/lang_list"
        done
    done
    python -m lad.bin.plot_curves --expdir "${expdir}" --out "${expdir}/curves.png"
    python -m lad.bin.make_results --expdir "${expdir}" --test_sets "${eval_sets_arr[@]}" \
        --out "${expdir}/RESULTS.md" > /dev/null
    log "Stage 9: results of all systems in ${expdir} -> ${expdir}/RESULTS.md"
fi

if [ "${stage}" -le 10 ] && [ "${stop_stage}" -ge 10 ]; then
    for run in "${runs[@]}"; do
        read -r system seed <<< "${run}"
        exp="$(exp_of "${system}" "${seed}")"
        log "Stage 10: pack ${exp}/${inference_model} -> ${exp}/packed"
        python -m lad.bin.pack_model --exp "${exp}" --model_file "${inference_model}" \
            --inference_config "${inference_config}" --out "${exp}/packed"
    done
fi
if [ "${stage}" -le 11 ] && [ "${stop_stage}" -ge 11 ]; then
    if [ -n "${hf_repo}" ] && [ ${#runs[@]} -gt 1 ]; then
        log "--hf_repo names one model: choose one system and seed (--systems, --seeds)"
        exit 2
    fi
    read -r -a datasets <<< "${hf_datasets}"
    for run in "${runs[@]}"; do
        read -r system seed <<< "${run}"
        exp="$(exp_of "${system}" "${seed}")"
        log "Stage 11: Hugging Face folder of ${exp}/packed -> ${exp}/hf${hf_repo:+ (repo ${hf_repo})}"
        python -m lad.bin.make_hf_model --packed "${exp}/packed" --out "${exp}/hf" \
            --system "${system}${seed:+_seed${seed}}" --results "${expdir}/RESULTS.md" \
            --train_command "${exp}/run.sh" --datasets "${datasets[@]}" \
            --hf_repo "${hf_repo:-none}" --skip_upload_hf "${skip_upload_hf}" > /dev/null
    done
fi
log "Successfully finished stages ${stage}-${stop_stage}"
