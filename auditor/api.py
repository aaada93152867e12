"""`audit()`: the whole pipeline as one call, for notebooks, the CLI and tests."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from auditor.artifact_cache import ArtifactCache
from auditor.check import CheckResult
from auditor.config import AuditConfig, ConfigError
from auditor.context import AuditContext
from auditor.dataset import DatasetFile, Progress, load_dataset
from auditor.decision import DataEvidence
from auditor.decision import decide as decide_rules
from auditor.embeddings import Embedder
from auditor.engine import CheckProgress, run_checks
from auditor.formats import KeyMapping
from auditor.inputs import expand_inputs
from auditor.profile import build_profile
from auditor.ray_engine import open_engine
from auditor.registry import select_checks
from auditor.report import DatasetInfo, EmbeddingInfo, Report, TaskInfo
from auditor.report_masking import masked
from auditor.semantic import EmbedProgress
from auditor.suppress import Suppression
from auditor.tokens import load_tokenizer
from auditor.verdict import decide


def tool_version() -> str:
    try:
        return version("ftaudit")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def audit(
    paths: Sequence[str | Path],
    eval_paths: Sequence[str | Path] = (),
    config: AuditConfig | None = None,
    *,
    on_rows: Progress | None = None,
    on_check: CheckProgress | None = None,
    on_embed: EmbedProgress | None = None,
    embedder: Embedder | None = None,
    suppression: Suppression | None = None,
) -> Report:
    """Audit training files (and held-out eval files) and return the Report.

    `embedder` replaces the configured sentence encoder (tests use a small stub);
    `suppression` the per-file-ignores and baseline of the config (`ftaudit baseline`
    passes one that records findings).
    Raises auditor.io.InputError for a file that cannot be audited at all and
    auditor.config.ConfigError for a bad configuration.
    """
    config = config or AuditConfig()
    checks = select_checks(config)  # before reading: a config typo fails fast
    # A file given twice is judged once (its rows would otherwise count twice).
    given_eval = list(dict.fromkeys(expand_inputs(eval_paths)))
    train_paths = expand_inputs(paths, leave_splits=config.discover_eval and not given_eval)
    suppression = suppression or Suppression(config, train_paths)  # reads the baseline
    checks = suppression.selected(checks)
    discovered = eval_files_beside(train_paths) if config.discover_eval and not given_eval else []
    keys = key_mapping(config)
    # A given tokenizer is loaded up front so a bad path is a config error (exit 2), not
    # an error inside every check that counts tokens.
    tokenizer = load_tokenizer(config.tokenizer) if config.tokenizer is not None else None
    if embedder is None and config.embed and config.embed_model is not None:
        require_model_folder(config.embed_model)
    if config.target is not None:
        from auditor.target_profiles import load_profile

        profile = load_profile(config.target)  # unknown: a config error (exit 2) at once
        if config.chat_template is not None and config.chat_template not in profile.chat_templates:
            known = ", ".join(sorted(profile.chat_templates)) or "none"
            raise ConfigError(
                f"chat-template {config.chat_template!r}: {profile.name}'s profile documents "
                f"no such template (documented: {known})"
            )
    store = ArtifactCache.open_default(config.cache_dir) if config.cache else None
    try:
        with open_engine(config) as engine:
            dataset = load_dataset(
                train_paths,
                given_eval or discovered,
                keys=keys,
                max_line_bytes=config.max_line_bytes,
                progress=on_rows,
                cache=store,
                engine=engine,
            )
            ctx = AuditContext(
                dataset,
                config,
                tokenizer=tokenizer,
                checks=checks,
                embedder=embedder,
                on_embed=on_embed,
                artifact_cache=store,
                engine=engine,
            )
            results = run_checks(ctx, checks, on_check, before_cap=suppression.applier(dataset))
        task = ctx.__dict__.get("task")
        tokens = ctx.__dict__.get("tokens")
        verdict = decide(results)
        evidence = data_evidence(verdict.status.value, dataset.files, results, task)
        report = Report(
            version=tool_version(),
            verdict=verdict,
            datasets=[
                DatasetInfo(**vars(f), discovered=f.split == "eval" and Path(f.path) in discovered)
                for f in dataset.files
            ],
            checks=results,
            task=TaskInfo(name=task.task.value, inferred=task.inferred, reason=task.reason)
            if task is not None
            else None,
            tokenizer=tokens.tokenizer_name if tokens is not None else None,
            selected=[c.code for c in checks],
            embeddings=embedding_info(ctx),
            config=config.model_dump(mode="json", by_alias=True),
            profile=build_profile(ctx),
            suppression=suppression.info([f.path for f in dataset.files]),
            cache=store.info() if store is not None else None,
            decision=decide_rules(config.decision, evidence),
        )
        return masked_report(report)
    finally:
        if store is not None:
            store.close()


def masked_report(report: Report) -> Report:
    """Whatever a check quoted, no report shows a secret or personal data: every kind
    FT601/FT602 detect is masked, whatever was selected."""
    from auditor.sensitive import ALL_KINDS, DetectOptions, mask_texts

    every_kind = DetectOptions(kinds=frozenset(ALL_KINDS))
    return masked(report, lambda texts: mask_texts(texts, every_kind))


def data_evidence(
    verdict: str, files: Sequence[DatasetFile], results: Sequence[CheckResult], task: Any
) -> DataEvidence:
    """What the decision rules need of an audit: verdict, size, shape, held-out files."""
    from auditor.formats import PREFERENCE_FORMATS

    train = [f for f in files if f.split == "train"]
    size = next((r for r in results if r.code == "FT201"), None)
    examples = size.metric("examples") if size is not None else None
    return DataEvidence(
        verdict=verdict,
        files=[f.path for f in train],
        rows=sum(f.rows for f in train),
        unique_examples=int(examples.value)
        if examples is not None and isinstance(examples.value, int | float)
        else None,
        preference=bool(train) and all(f.format in PREFERENCE_FORMATS for f in train),
        tool_use=task is not None and task.task.value == "tool-use",
        eval_files=[f.path for f in files if f.split == "eval"],
        estimated_training_cost=_estimated_cost(results),
    )


def _estimated_cost(results: Sequence[CheckResult]) -> float | None:
    cost = next((r.metric("estimated_cost") for r in results if r.code == "FT706"), None)
    return float(cost.value) if cost is not None and isinstance(cost.value, int | float) else None


def embedding_info(ctx: AuditContext) -> EmbeddingInfo | None:
    """What the embedding checks embedded, if any ran (None when none asked)."""
    value = ctx.artifacts.get("embeddings")
    if value is None or isinstance(value, Exception):
        return None
    info: EmbeddingInfo = value.run
    return info


def require_model_folder(path: str) -> None:
    """A configured embedding model not on disk is a config error (exit 2) at once, not
    five skipped checks."""
    from auditor.config import ConfigError
    from auditor.embeddings import EmbeddingsUnavailable, model_folder

    try:
        model_folder(path)
    except EmbeddingsUnavailable as exc:
        raise ConfigError(f"embed-model: {exc}") from None


def eval_files_beside(train_paths: Sequence[Path]) -> list[Path]:
    """Held-out split files beside the training files (see auditor.splits); empty ones are
    passed over, since nobody named them (a named empty file is still an error)."""
    from auditor.splits import sibling_eval_files

    return [p for p in sibling_eval_files(train_paths) if p.stat().st_size > 0]


def key_mapping(config: AuditConfig) -> KeyMapping | None:
    """The explicit prompt/response keys of the config, if both are given."""
    from auditor.config import ConfigError

    if (config.prompt_key is None) != (config.response_key is None):
        raise ConfigError("give both --prompt-key and --response-key, or neither")
    if config.prompt_key is None or config.response_key is None:
        return None
    return KeyMapping(config.prompt_key, config.response_key)
