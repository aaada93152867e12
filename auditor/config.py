"""AuditConfig: built-in defaults ← [tool.ftaudit] / ftaudit.toml ← command-line flags."""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from auditor.decision import DecisionInputs


class ConfigError(Exception):
    """A configuration problem the user must fix (exit code 2)."""


class Task(StrEnum):
    CLASSIFICATION = "classification"
    EXTRACTION = "extraction"
    FORMATTING = "formatting"
    STYLE = "style"
    TOOL_USE = "tool-use"
    GENERATION = "generation"
    GENERAL = "general"
    PREFERENCE = "preference"


class AuditConfig(BaseModel):
    """Everything that shapes an audit. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    select: list[str] = Field(default_factory=lambda: ["FT"])
    ignore: list[str] = Field(default_factory=list)
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    task: Task | None = None
    tokenizer: str | None = None
    context_length: int = Field(8192, gt=0, alias="context-length")
    #: Planned epochs; None: the trainer's default heuristic picks them (see FT204).
    epochs: int | None = Field(None, gt=0)
    prompt_key: str | None = Field(None, alias="prompt-key")
    response_key: str | None = Field(None, alias="response-key")
    max_line_bytes: int = Field(8 * 1024 * 1024, gt=0, alias="max-line-bytes")
    strict: bool = False
    #: Findings kept per check in the report (0 keeps all; totals are always exact).
    max_findings: int = Field(200, ge=0, alias="max-findings")
    #: Pick up held-out split files beside a training file (train.jsonl → valid.jsonl…).
    discover_eval: bool = Field(True, alias="discover-eval")
    #: Embedding checks (FT401–FT404, FT505) on; FTAUDIT_EMBED=0 turns them off by default.
    embed: bool = Field(default_factory=lambda: _env_flag("FTAUDIT_EMBED", True))
    #: A saved sentence-transformers model folder (default: the shipped all-MiniLM-L6-v2).
    embed_model: str | None = Field(None, alias="embed-model")
    #: Word pieces kept per text: the main lever on embedding speed; reported.
    embed_max_tokens: int = Field(128, gt=0, le=8192, alias="embed-max-tokens")
    #: Rows per split embedded at most (a seeded sample beyond it); see auditor.semantic.
    embed_budget: int = Field(2000, gt=0, alias="embed-budget")
    #: Embed every row, whatever the budget.
    embed_all: bool = Field(False, alias="embed-all")
    embed_seed: int = Field(0, ge=0, alias="embed-seed")
    #: Keep embeddings in the disk cache ($FTAUDIT_CACHE_DIR or the user cache folder).
    embed_cache: bool = Field(True, alias="embed-cache")
    #: "cpu", "cuda", "cuda:1"…; default CUDA when available.
    embed_device: str | None = Field(None, alias="embed-device")
    #: Keep per-row artifacts (normalized rows, token counts, MinHash signatures) on disk,
    #: so a re-audit recomputes only changed rows; FTAUDIT_CACHE=0 turns it off by default.
    cache: bool = Field(default_factory=lambda: _env_flag("FTAUDIT_CACHE", True))
    #: The cache folder (default $FTAUDIT_CACHE_DIR, else the user cache folder); in a data
    #: repository `.git/ftaudit-cache` keeps it beside the repo and out of every commit.
    cache_dir: str | None = Field(None, alias="cache-dir")
    #: Where the batch stages run: "local" (this process) or "ray" (Ray Data; the
    #: `ray` extra). Results are identical; see auditor.batch_engine.
    engine: Literal["local", "ray"] = "local"
    #: The Ray cluster for `engine = "ray"` ("auto", "ray://head:10001"); default: a local
    #: Ray that ftaudit starts and stops.
    ray_address: str | None = Field(None, alias="ray-address")
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: The training platform whose documented file rules FT701–FT706 apply (`--target`).
    target: str | None = None
    #: A base model of the target's profile, for its own limits and price.
    target_model: str | None = Field(None, alias="target-model")
    #: USD per 1M training tokens, overriding the profile's price (FT706).
    price_per_mtok: float | None = Field(None, gt=0, alias="price-per-mtok")
    #: The trainer's chat template (a name its profile documents), for FT705.
    chat_template: str | None = Field(None, alias="chat-template")
    #: What the team knows for `ftaudit decide` ([tool.ftaudit.decision]; auditor.decision).
    decision: DecisionInputs = Field(default_factory=DecisionInputs)
    #: Glob → code prefixes ignored for the files it matches (see auditor.suppress).
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    #: Accepted findings (`ftaudit baseline`); only findings not in it judge the audit.
    baseline: str | None = None
    #: The config file's folder: per-file-ignores globs are relative to it.
    _folder: Path | None = PrivateAttr(None)

    @field_validator("select", "ignore", "extend_select")
    @classmethod
    def _upper(cls, values: list[str]) -> list[str]:
        return [v.strip().upper() for v in values if v.strip()]

    @field_validator("per_file_ignores")
    @classmethod
    def _upper_codes(cls, table: dict[str, list[str]]) -> dict[str, list[str]]:
        return {
            glob: [c.strip().upper() for c in codes if c.strip()] for glob, codes in table.items()
        }

    @property
    def folder(self) -> Path | None:
        """The folder of the config file this came from (None: built in code or flags)."""
        return self._folder

    def in_folder(self, folder: Path | None) -> AuditConfig:
        """This config, read from a config file in `folder`."""
        copy = self.model_copy()
        copy._folder = folder
        return copy


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def find_config_file(start: Path) -> Path | None:
    """The nearest ftaudit.toml, or pyproject.toml with [tool.ftaudit], at or above start."""
    for folder in [start, *start.parents]:
        own = folder / "ftaudit.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "ftaudit" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_config(path: Path | None, overrides: dict[str, Any]) -> AuditConfig:
    """Merge a config file (if any) with flag overrides (None means not given)."""
    data: dict[str, Any] = {}
    if path is not None:
        table = _read_toml(path)
        data = table.get("tool", {}).get("ftaudit", {}) if path.name == "pyproject.toml" else table
    data = {
        key.replace("_", "-") if key not in ("checks", "decision") else key: v
        for key, v in data.items()
    }
    if path is not None and isinstance(data.get("baseline"), str):
        # A baseline named in the config file is relative to it; a --baseline flag to cwd.
        data["baseline"] = str(path.parent / data["baseline"])
    if path is not None and isinstance(data.get("cache-dir"), str):
        # So is a cache folder (`.git/ftaudit-cache` beside the repo's pyproject.toml).
        data["cache-dir"] = str(path.parent / Path(data["cache-dir"]).expanduser())
    for key, value in overrides.items():
        if value is not None:
            data[key.replace("_", "-")] = value
    try:
        config = AuditConfig.model_validate(_aliases(data))
    except ValidationError as exc:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid configuration{where}: {_first_error(exc)}") from None
    return config.in_folder(path.parent if path is not None else None)


def _aliases(data: dict[str, Any]) -> dict[str, Any]:
    """Accept both `context-length` and `context_length` spellings."""
    fields = AuditConfig.model_fields
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        alias = fields[name].alias if name in fields else None
        out[alias or name if name in fields else key] = value
    return out


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "config"
    if error["type"] == "extra_forbidden":
        return f"unknown key `{where}`"
    return f"`{where}`: {error['msg']}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
