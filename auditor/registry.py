"""Discover checks through the `ftaudit.checks` entry points and select them by code prefix."""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from pydantic import ValidationError

from auditor.check import Check
from auditor.config import AuditConfig, ConfigError

GROUP = "ftaudit.checks"


class PluginError(Exception):
    """A check plugin that cannot be loaded: named, never silently skipped (exit code 2)."""


@cache
def discover() -> dict[str, type[Check]]:
    """Every registered check by code, built-in and third-party alike."""
    found: dict[str, type[Check]] = {}
    for entry in entry_points(group=GROUP):
        check = _load(entry)
        if check.code in found and found[check.code] is not check:
            raise PluginError(
                f"check code {check.code} is registered twice "
                f"({found[check.code].__module__} and {check.__module__})"
            )
        found[check.code] = check
    return dict(sorted(found.items()))


def _package(entry: EntryPoint) -> str:
    # Only for messages: reading a distribution's metadata costs ~1.5 ms an entry point.
    return entry.dist.name if entry.dist is not None else "an unknown package"


def _load(entry: EntryPoint) -> type[Check]:
    try:
        check = entry.load()
    except Exception as exc:  # a plugin's import can fail in any way
        raise PluginError(
            f"check plugin {entry.name} ({entry.value}) from {_package(entry)} failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not (isinstance(check, type) and issubclass(check, Check)):
        raise PluginError(
            f"check plugin {entry.name} from {_package(entry)} is not a Check subclass"
        )
    for attribute in ("code", "name", "family"):
        if not isinstance(getattr(check, attribute, None), str):
            raise PluginError(
                f"check plugin {entry.name} from {_package(entry)} has no `{attribute}`"
            )
    return check


def is_enabled(code: str, config: AuditConfig) -> bool:
    """ruff-style selection: the longest matching prefix wins; on a tie, ignore wins."""
    chosen = max(
        (len(p) for p in [*config.select, *config.extend_select] if code.startswith(p)),
        default=-1,
    )
    ignored = max((len(p) for p in config.ignore if code.startswith(p)), default=-1)
    return chosen >= 0 and chosen > ignored


def select_checks(config: AuditConfig) -> list[Check]:
    """The enabled checks, each with its options validated; unknown selectors are errors."""
    registry = discover()
    for selector in [*config.select, *config.extend_select, *config.ignore]:
        if not any(code.startswith(selector) for code in registry):
            raise ConfigError(f"unknown check selector `{selector}` (see `ftaudit checks`)")
    for code in config.checks:
        if code not in registry:
            raise ConfigError(f"options given for unknown check `{code}` (see `ftaudit checks`)")
    return [
        instantiate(check, config)
        for code, check in registry.items()
        if check.always_on or is_enabled(code, config)
    ]


def instantiate(check: type[Check], config: AuditConfig) -> Check:
    """The check with its options from `config`; invalid options are ConfigErrors."""
    raw = config.checks.get(check.code, {})
    try:
        options = check.Options.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        problem = "unknown option" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(f"checks.{check.code}.{key}: {problem}") from None
    return check(options)


def configured(code: str, config: AuditConfig) -> Check | None:
    """The registered check `code` with its options from `config`; None if not registered.

    How the core reaches one check's settings (FT302's MinHash options for `dedup` and
    `split`) without importing the check's module.
    """
    check = discover().get(code)
    return instantiate(check, config) if check is not None else None
