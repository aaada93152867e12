"""`ftaudit redact`: write a copy with personal data and secrets replaced by placeholders.

The detector settings are FT601's and FT602's configured options, reached through the
registry (the CLI never imports a check module), so redact replaces what the audit reports.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from auditor.config import AuditConfig, ConfigError, find_config_file, load_config

if TYPE_CHECKING:  # the detectors import polars: not for `ftaudit --help`
    from auditor.sensitive import DetectOptions

#: The checks whose findings redact removes.
CODES = ("FT601", "FT602")


def configured_options(config: AuditConfig) -> DetectOptions:
    """FT601's and FT602's configured detector settings in one: FT601's personal-data
    settings, FT602's entropy limits, and the kinds of both."""
    from auditor.registry import configured
    from auditor.sensitive import ALL_KINDS, DetectOptions

    found = {code: getattr(configured(code, config), "detect_options", None) for code in CODES}
    options: dict[str, DetectOptions] = {c: f() for c, f in found.items() if f is not None}
    if not options:  # neither check registered: the detectors' own defaults
        return DetectOptions(kinds=frozenset(ALL_KINDS))
    pii = options.get("FT601", DetectOptions(kinds=frozenset()))
    secrets = options.get("FT602", DetectOptions(kinds=frozenset()))
    return replace(
        pii,
        kinds=pii.kinds | secrets.kinds,
        entropy_base64=secrets.entropy_base64,
        entropy_hex=secrets.entropy_hex,
        entropy_min_length=secrets.entropy_min_length,
    )


def parse_kinds(values: list[str] | None, flag: str) -> set[str]:
    """Kinds from `--kinds EMAIL,CARD` style values (repeatable), upper-cased, validated."""
    from auditor.sensitive import ALL_KINDS

    found = {k.strip().upper() for v in values or [] for k in v.split(",") if k.strip()}
    unknown = sorted(found - set(ALL_KINDS))
    if unknown:
        raise ConfigError(
            f"{flag}: unknown kind(s) {', '.join(unknown)} (known: {', '.join(ALL_KINDS)})"
        )
    return found


def redact(
    path: Annotated[Path, typer.Argument(help="The training file to redact.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the copy.")],
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kinds", help="Only these kinds, e.g. EMAIL,CARD,AWS_KEY (repeatable)."),
    ] = None,
    ignore_kinds: Annotated[
        list[str] | None,
        typer.Option("--ignore-kinds", help="Leave these kinds as they are (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Config file (default: the nearest one).")
    ] = None,
) -> int:
    """Write a copy with personal data and secrets replaced by typed placeholders.

    Replaces what FT601 and FT602 report, with their configured options.
    Every other byte is unchanged; the input is never touched; the write is atomic.
    Prints the count per type.
    """
    from auditor.redact import format_summary, redact_file

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    settings = load_config(config if config is not None else find_config_file(Path.cwd()), {})
    options = configured_options(settings)
    chosen = parse_kinds(kinds, "--kinds") or set(options.kinds)
    chosen -= parse_kinds(ignore_kinds, "--ignore-kinds")
    if not chosen:
        raise ConfigError("--kinds/--ignore-kinds: no kind left to redact")
    options = replace(options, kinds=frozenset(chosen))
    summary = redact_file(path, output, options)
    typer.echo(format_summary(summary))
    return 0
