"""Audio-MLQA: MLQA's questions spoken by TTS, the context as text (egs/audio_mlqa/eval1).

One module per concern, in the order of the recipe's stages (python -m lad.bin.audio_mlqa):
  manifest         MLQA files -> manifest items, the manifest's reader and writer (build)
  speak            TTS of the questions to 16 kHz wavs (speak)
  hub              the released set's parquet files -> spoken manifest and wavs (build)
  intelligibility  ASR transcripts of the audio, CER/WER against the question (check)
  systems          the answering systems (LAD, text, cascade), prompt, answer extraction (answer)
  scoring          EM/F1 with MLQA's official normalisation (score)
  judge            the LLM judge, 0-5 (judge)
  calibration      the judge's calibration: gold, wrong and empty answers judged (calibrate)
  report           RESULTS.md (report)
"""
