"""lad: language-aware distillation of a frozen text LLM into a multilingual speech LLM."""

__version__ = "0.1.0"
