#!/usr/bin/env bash
# Paper-scale benchmarks on one GPU, no downloads: random weights of the paper's sizes
# (Whisper-large-v3: 32+32 layers, d 1280, 128 mel bins; Llama-3.1-8B as in
# Llama-SEA-LION-v3-8B-IT: 32 layers, d 4096, 8 KV heads, vocabulary 128,256) with
# conf/paper/lad_hard.yaml (L = 256, K = 6), bf16.
#   default    single training steps called directly (lad.bin.bench_step): s/step and peak
#              memory for waveform input and for stage-4 encoder states
#   --trainer  stage 7 itself (lad.bin.bench_trainer): ESPnet's Trainer through lad_train on
#              synthetic 10 s encoder states and 32-token transcripts with the teacher cache,
#              --use_amp, a few hundred updates; utterances/s, tokens/s, peak memory, MFU
# Usage: tools/bench_paper_scale.sh [--batch_size 16] [--seconds 10] [--config conf/paper/ml_diva.yaml]
#        tools/bench_paper_scale.sh --trainer [--attn sdpa|eager|flash_attention_2]
#            [--batch_size 16] [--updates 300] [--out exp/bench_paper] [--train_args "..."]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=step
attn=sdpa
if [ "${1:-}" = --trainer ]; then mode=trainer; shift; fi
if [ "${1:-}" = --attn ]; then attn="$2"; shift 2; fi
whisper='{config: {d_model: 1280, encoder_layers: 32, decoder_layers: 32,
  encoder_attention_heads: 20, decoder_attention_heads: 20, encoder_ffn_dim: 5120,
  decoder_ffn_dim: 5120, num_mel_bins: 128, vocab_size: 51866, max_source_positions: 1500,
  max_target_positions: 448}}'
llm="{config: {model_type: llama, hidden_size: 4096, intermediate_size: 14336,
  num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256,
  max_position_embeddings: 8192, rope_theta: 500000.0}, tokenizer: bytes,
  attn_implementation: ${attn}}"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] && python=.venv/bin/python
if [ "${mode}" = trainer ]; then
    "${python}" -m lad.bin.bench_trainer --config conf/paper/lad_hard.yaml --ngpu 1 \
        --out exp/bench_paper --batch_size 16 --updates 300 --frames 500 --text_tokens 32 \
        --whisper "${whisper}" --llm "${llm}" "$@"
else
    "${python}" -m lad.bin.bench_step --config conf/paper/lad_hard.yaml --device cuda --amp bf16 \
        --batch_size 16 --seconds 10 --text_tokens 32 --steps 3 --whisper "${whisper}" \
        --llm "${llm}" "$@"
fi
