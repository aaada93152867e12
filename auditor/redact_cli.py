"""`ftaudit redact`: write a copy with personal data and secrets replaced by placeholders.

The detector settings are FT601's and FT602's configured options, reached through the
registry (the CLI never imports a check module), so redact replaces what the audit reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer

from auditor.config import AuditConfig, ConfigError, find_config_file, load_config

if TYPE_CHECKING:  # the detectors import polars: not for `ftaudit --help`
    from auditor.sensitive import DetectOptions

#: The checks whose findings redact removes.
CODES = ("FT601", "FT602")


class Detects(Protocol):
    def detect_options(self) -> DetectOptions: ...


def configured_options(config: AuditConfig) -> DetectOptions:
    """FT601's and FT602's configured detector settings, merged into one."""
    from auditor.registry import configured
    from auditor.sensitive import ALL_KINDS, DetectOptions

    merged = DetectOptions(kinds=frozenset())
    kinds: set[str] = set()
    for code in CODES:
        check = configured(code, config)
        detect = getattr(check, "detect_options", None)
        if detect is None:
            continue
        options: DetectOptions = detect()
        kinds |= options.kinds
        if code == "FT601":
            merged = options
        else:
            merged = DetectOptions(
                kinds=merged.kinds,
                include_private_ips=merged.include_private_ips,
                include_example_domains=merged.include_example_domains,
                phone_region=merged.phone_region,
                entropy_base64=options.entropy_base64,
                entropy_hex=options.entropy_hex,
                entropy_min_length=options.entropy_min_length,
            )
    if not kinds:  # neither check registered: the detectors' own defaults
        return DetectOptions(kinds=frozenset(ALL_KINDS))
    return DetectOptions(**{**vars(merged), "kinds": frozenset(kinds)})


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
    from auditor.sensitive import DetectOptions

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    settings = load_config(config if config is not None else find_config_file(Path.cwd()), {})
    options = configured_options(settings)
    chosen = parse_kinds(kinds, "--kinds") or set(options.kinds)
    chosen -= parse_kinds(ignore_kinds, "--ignore-kinds")
    if not chosen:
        raise ConfigError("--kinds/--ignore-kinds: no kind left to redact")
    options = DetectOptions(**{**vars(options), "kinds": frozenset(chosen)})
    summary = redact_file(path, output, options)
    typer.echo(format_summary(summary))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run `redact` alone (as `ftaudit redact` would) and return the exit code."""
    from typer.exceptions import TyperException

    from auditor.io import InputError
    from auditor.registry import PluginError

    app = typer.Typer(add_completion=False)
    app.command()(redact)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="ftaudit redact", standalone_mode=False)
    except TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"ftaudit redact: error: {exc}", err=True)
        code = getattr(exc, "exit_code", 2)
        return code if isinstance(code, int) else 2
    except (InputError, ConfigError, PluginError) as exc:
        typer.echo(f"ftaudit: error: {exc}", err=True)
        return 2
    return result if isinstance(result, int) else 0
