"""A sentence-transformers input module that embeds Japanese text as the mean of word vectors.

Sudachi splits the text (mode C units, falling back to their mode A parts when a compound has no vector);
content words are looked up by normalised form, then surface; the sentence vector is their mean. Saved
and loaded like any sentence-transformers module, so operators can swap in a transformer model
through the same code path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sentence_transformers.base.modules.input_module import InputModule
from torch import nn

from indexer.static import sudachi_rows

VOCAB_FILE = "vocab.json"
WEIGHTS_FILE = "model.safetensors"


class SudachiWordVectors(InputModule):
    """Mean of static word vectors over the content words Sudachi finds."""

    def __init__(self, vocab: dict[str, int], embedding_weights: np.ndarray | torch.Tensor) -> None:
        super().__init__()
        weights = torch.as_tensor(np.asarray(embedding_weights, dtype=np.float32))
        self.embedding = nn.EmbeddingBag.from_pretrained(weights, freeze=True, mode="sum")
        self.vocab = vocab

    def token_ids(self, text: str) -> list[int]:
        """Vocabulary rows of the content words of one text: whole units first, then their parts."""
        return sudachi_rows(self.vocab, text)

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None,
                   **kwargs: Any) -> dict[str, torch.Tensor]:
        """Token rows for a batch; `prompt` is accepted for interface parity and carries no words."""
        return self.features([self.token_ids(str(text)) for text in inputs])

    @staticmethod
    def features(rows: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
        """The module's input for texts already turned into rows: training tokenises each text once."""
        offsets = np.cumsum([0] + [len(r) for r in rows[:-1]])
        flat = [i for r in rows for i in r]
        return {"input_ids": torch.tensor(flat, dtype=torch.long),
                "offsets": torch.tensor(offsets, dtype=torch.long),
                "counts": torch.tensor([max(len(r), 1) for r in rows], dtype=torch.float32)}

    def forward(self, features: dict[str, torch.Tensor], **kwargs: Any) -> dict[str, torch.Tensor]:
        """Sum of rows divided by their count; a text with no known word gets the zero vector."""
        summed = self.embedding(features["input_ids"], features["offsets"])
        features["sentence_embedding"] = summed / features["counts"].unsqueeze(1)
        return features

    @property
    def max_seq_length(self) -> int:
        """Word vectors have no sequence limit; long texts are cut only by the Sudachi guard."""
        return 1_000_000

    def get_embedding_dimension(self) -> int:
        """Width of the word vectors."""
        return int(self.embedding.embedding_dim)

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        """Weights as safetensors, vocabulary as JSON."""
        save_file({"embedding.weight": self.embedding.weight.contiguous()},
                  os.path.join(output_path, WEIGHTS_FILE))
        with open(os.path.join(output_path, VOCAB_FILE), "w", encoding="utf-8") as handle:
            json.dump(self.vocab, handle, ensure_ascii=False)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", token: bool | str | None = None,
             cache_folder: str | None = None, revision: str | None = None, local_files_only: bool = False,
             init_defaults: dict[str, Any] | None = None, **kwargs: Any) -> SudachiWordVectors:
        """Load from a local directory written by :meth:`save` (the Hugging Face Hub options do not apply)."""
        folder = os.path.join(model_name_or_path, subfolder)
        with open(os.path.join(folder, VOCAB_FILE), encoding="utf-8") as handle:
            vocab = json.load(handle)
        weights = load_file(os.path.join(folder, WEIGHTS_FILE))["embedding.weight"]
        return cls(vocab, weights)
