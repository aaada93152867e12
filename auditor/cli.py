"""The `ftaudit` command line. `audit` is the default command: `ftaudit data.jsonl`.

Exit codes: 0 GO (and REVIEW unless --strict), 1 NO-GO, 2 usage, config or input error.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

from auditor.allocator import hand_back_freed_memory

hand_back_freed_memory(sys.argv[1:])  # before anything below loads polars

from auditor.config import AuditConfig, Task  # noqa: E402

SUBCOMMANDS = (
    "audit",
    "checks",
    "explain",
    "dedup",
    "split",
    "decontaminate",
    "hook",
    "baseline",
    "cache",
    "decide",
    "convert",
    "redact",
)
ROOT_FLAGS = ("--help", "-h", "--version")

app = typer.Typer(
    name="ftaudit",
    help="Is this JSONL file ready to fine-tune on — and should you fine-tune at all?\n\n"
    "Run `ftaudit data.jsonl` to audit a file (audit is the default command).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# Options several commands share.
PromptKey = Annotated[str | None, typer.Option(help="Field holding the prompt.")]
ResponseKey = Annotated[str | None, typer.Option(help="Field holding the response.")]
ConfigFile = Annotated[
    Path | None, typer.Option(help="Config file (default: nearest ftaudit.toml/pyproject).")
]

TrainPaths = Annotated[
    list[Path], typer.Argument(help="Training files (.jsonl, .jsonl.gz, .json).")
]
EvalPaths = Annotated[
    list[Path] | None, typer.Option("--eval", help="Held-out eval file (repeatable).")
]
Select = Annotated[list[str] | None, typer.Option(help="Only these code prefixes, e.g. FT0,FT1.")]
Ignore = Annotated[list[str] | None, typer.Option(help="Skip these code prefixes.")]
ExtendSelect = Annotated[list[str] | None, typer.Option(help="Add code prefixes to the selection.")]
TaskOption = Annotated[
    Task | None, typer.Option(help="What the fine-tune is for; tunes the size bands.")
]
TokenizerOption = Annotated[
    str | None, typer.Option(help="Your base model's tokenizer.json for exact counts.")
]
ContextLength = Annotated[
    int | None, typer.Option(help="Training context length in tokens (default 8192).")
]
Epochs = Annotated[
    int | None, typer.Option(help="Planned epochs (default: as the size calls for, FT204).")
]
Discover = Annotated[
    bool | None,
    typer.Option(
        "--discover/--no-discover",
        help="Pick up valid/val/dev/test/eval files beside a train file (default on; "
        "off when --eval is given).",
    ),
]
EmbedOption = Annotated[
    bool | None,
    typer.Option("--embed/--no-embed", help="Run the embedding checks (FT401–FT404, FT505)."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


class OutputFormat(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"
    HTML = "html"
    MARKDOWN = "markdown"
    GITHUB = "github"
    SARIF = "sarif"
    CSV = "csv"


#: The command line main() was given, for the report's "how to reproduce".
_COMMAND_LINE: list[str] = []


def _version(value: bool) -> None:
    if value:
        from auditor.api import tool_version

        typer.echo(f"ftaudit {tool_version()}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Audit fine-tuning datasets."""


def _codes(values: list[str] | None) -> list[str] | None:
    """`--select FT0,FT1 --select FT2` → ["FT0", "FT1", "FT2"]; None when not given."""
    if not values:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def _audit_overrides(
    select: list[str] | None,
    ignore: list[str] | None,
    extend_select: list[str] | None,
    task: Task | None,
    tokenizer: str | None,
    context_length: int | None,
    epochs: int | None,
    prompt_key: str | None,
) -> dict[str, Any]:
    """The config overrides `audit` and `baseline` share (None: the flag was not given)."""
    return {
        "select": _codes(select),
        "ignore": _codes(ignore),
        "extend_select": _codes(extend_select),
        "task": task,
        "tokenizer": tokenizer,
        "context_length": context_length,
        "epochs": epochs,
        "prompt_key": prompt_key,
    }


def _settings(config: Path | None, overrides: dict[str, Any]) -> AuditConfig:
    """The AuditConfig from `config` (default: the nearest config file) and flag overrides."""
    from auditor.config import ConfigError, find_config_file, load_config

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    return load_config(config if config is not None else find_config_file(Path.cwd()), overrides)


@app.command()
def audit(
    paths: TrainPaths,
    eval_paths: EvalPaths = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TERMINAL,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the self-contained HTML report to this file."),
    ] = None,
    select: Select = None,
    ignore: Ignore = None,
    extend_select: ExtendSelect = None,
    task: TaskOption = None,
    tokenizer: TokenizerOption = None,
    context_length: ContextLength = None,
    epochs: Epochs = None,
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Exit 1 on REVIEW too.")
    ] = None,
    discover: Discover = None,
    max_findings: Annotated[
        int | None,
        typer.Option(help="Findings kept per check in the report (default 200; 0 = all)."),
    ] = None,
    embed: EmbedOption = None,
    embed_budget: Annotated[
        int | None,
        typer.Option(help="Rows per split embedded at most; a seeded sample beyond (2000)."),
    ] = None,
    embed_all: Annotated[
        bool | None, typer.Option("--embed-all", help="Embed every row, whatever the budget.")
    ] = None,
    embed_model: Annotated[
        str | None, typer.Option(help="A saved sentence-transformers model folder.")
    ] = None,
    embed_max_tokens: Annotated[
        int | None, typer.Option(help="Word pieces kept per embedded text (128).")
    ] = None,
    embed_device: Annotated[
        str | None, typer.Option(help="cpu or cuda[:N] (default: CUDA when available).")
    ] = None,
    cache: Annotated[
        bool | None,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse per-row artifacts from earlier runs (default on; FTAUDIT_CACHE=0).",
        ),
    ] = None,
    cache_dir: Annotated[
        str | None,
        typer.Option(help="Cache folder (default $FTAUDIT_CACHE_DIR or ~/.cache/ftaudit)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Accepted findings (`ftaudit baseline`): fail only on new ones."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(help="Check the file against a platform's rules (openai, trl, …)."),
    ] = None,
    target_model: Annotated[
        str | None, typer.Option(help="A base model of the target, for its limits and price.")
    ] = None,
    price_per_mtok: Annotated[
        float | None, typer.Option(help="USD per 1M training tokens, for the cost estimate.")
    ] = None,
    chat_template: Annotated[
        str | None, typer.Option(help="The trainer's chat template, e.g. gemma (FT705).")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Where batch stages run: local, or ray (Ray Data; pip install 'ftaudit[ray]').",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster for --engine ray (default: a local Ray, started here)."),
    ] = None,
    quiet: Quiet = False,
) -> int:
    """Audit training files and print a verdict: GO, REVIEW or NO-GO."""
    from auditor.api import audit as run_audit
    from auditor.verdict import VerdictStatus

    overrides = _audit_overrides(
        select, ignore, extend_select, task, tokenizer, context_length, epochs, prompt_key
    ) | {
        "response_key": response_key,
        "strict": strict,
        "discover_eval": discover,
        "max_findings": max_findings,
        "embed": embed,
        "embed_budget": embed_budget,
        "embed_all": embed_all,
        "embed_model": embed_model,
        "embed_max_tokens": embed_max_tokens,
        "embed_device": embed_device,
        "cache": cache,
        "cache_dir": cache_dir,
        "baseline": str(baseline) if baseline is not None else None,
        "target": target,
        "target_model": target_model,
        "price_per_mtok": price_per_mtok,
        "chat_template": chat_template,
        "engine": engine,
        "ray_address": ray_address,
    }
    settings = _settings(config, overrides)
    with _Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        report = run_audit(
            paths,
            eval_paths or [],
            settings,
            on_rows=progress.rows,
            on_check=progress.check,
            on_embed=progress.embed,
        )
    report.command = shlex.join(["ftaudit", *_COMMAND_LINE]) if _COMMAND_LINE else None
    for info in report.datasets:
        if info.discovered:
            typer.echo(f"found eval split beside the training file: {info.path}", err=True)
    _emit(report, output_format, output, html)
    _suppression_notes(report)
    if report.verdict.status is VerdictStatus.NO_GO:
        return 1
    if report.verdict.status is VerdictStatus.REVIEW and settings.strict:
        return 1
    return 0


def _suppression_notes(report: Any) -> None:
    """What per-file-ignores and the baseline removed, and stale baseline entries."""
    from auditor.suppress import suppression_notes

    for note in suppression_notes(report.suppression):
        typer.echo(note, err=True)


#: Renderers by format, imported only when chosen: `ftaudit --help` stays fast.
RENDERERS = {
    "json": ("reports.json_report", "render_json"),
    "html": ("reports.html", "render_html"),
    "markdown": ("reports.markdown", "render_markdown"),
    "github": ("reports.github", "render_github"),
    "sarif": ("reports.sarif", "render_sarif"),
    "csv": ("reports.csv_report", "render_csv"),
}


def _render(report: Any, output_format: str) -> str:
    import importlib

    module, function = RENDERERS[output_format]
    text: str = getattr(importlib.import_module(module), function)(report)
    return text


def _emit(
    report: Any, output_format: OutputFormat, output: Path | None, html: Path | None = None
) -> None:
    from rich.console import Console

    from auditor.atomic import write_atomic
    from reports.terminal import render_terminal

    if html is not None:
        write_atomic(html, _render(report, "html").encode("utf-8"))
        typer.echo(f"HTML report written to {html}", err=True)
    if output is None and output_format is OutputFormat.TERMINAL:
        render_terminal(report, Console())
        return
    if output_format is OutputFormat.TERMINAL:
        recorder = Console(record=True, width=120, file=io.StringIO())
        render_terminal(report, recorder)
        text = recorder.export_text()
    else:
        text = _render(report, output_format.value)
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
        render_terminal(report, Console())
        typer.echo(f"report written to {output}", err=True)
    else:
        sys.stdout.write(text)


class _Progress:
    """Progress on stderr for long steps; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self.current = ""
        self._status: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status("reading…")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def rows(self, path: str, count: int) -> None:
        self.counts[path] = self.counts.get(path, 0) + count
        if self._status is not None:
            self._status.update(f"reading {path}: {self.counts[path]:,} rows")

    def check(self, check: Any) -> None:
        self.current = f"{check.code} {check.name}"
        if self._status is not None:
            self._status.update(f"running {self.current}")

    def embed(self, done: int, total: int, seconds: float) -> None:
        if self._status is None:
            return
        if not done:
            self._status.update(f"running {self.current}: {total:,} texts to embed…")
            return
        left = seconds / done * (total - done)
        self._status.update(
            f"running {self.current}: embedded {done:,} of {total:,} texts, "
            f"about {_duration(left)} left"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


class Keep(StrEnum):
    FIRST = "first"
    LONGEST = "longest"


@app.command()
def dedup(
    path: Annotated[Path, typer.Argument(help="The training file to deduplicate.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the copy.")],
    keep: Annotated[
        Keep, typer.Option(help="Which row of a duplicate group to keep.")
    ] = Keep.FIRST,
    near: Annotated[
        bool, typer.Option("--near/--exact-only", help="Also drop near-duplicates.")
    ] = True,
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
) -> int:
    """Write a copy keeping one row per duplicate group; the input is never touched.

    Near-duplicates are found with FT302's configured options, so dedup removes the
    clusters the audit reports.
    """
    from auditor.api import key_mapping
    from auditor.dedup import dedup_file, format_summary
    from auditor.heldout import near_params

    settings = _settings(config, {"prompt_key": prompt_key, "response_key": response_key})
    summary = dedup_file(
        path,
        output,
        keep=keep.value,
        near=near,
        keys=key_mapping(settings),
        params=near_params(settings),
    )
    typer.echo(format_summary(summary))
    return 0


@app.command()
def split(
    path: Annotated[Path, typer.Argument(help="The dataset to split.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for train.jsonl and eval.jsonl.")
    ],
    eval_fraction: Annotated[float, typer.Option(help="Share of rows for the eval split.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same bytes.")] = 0,
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
) -> int:
    """Split a dataset into train and eval with no duplicate group across the split.

    The result is checked with FT502–FT504 (rows still leaked go back to train), then
    audited again; the leakage summary is printed.
    """
    from auditor.heldout import format_split, split_file

    settings = _settings(config, {"prompt_key": prompt_key, "response_key": response_key})
    summary = split_file(path, output, eval_fraction=eval_fraction, seed=seed, config=settings)
    typer.echo(format_split(summary))
    _leakage_summary([Path(summary.train_output)], [Path(summary.eval_output)], settings)
    return 0


@app.command()
def decontaminate(
    path: Annotated[Path, typer.Argument(help="The training file to clean.")],
    eval_paths: Annotated[
        list[Path], typer.Option("--eval", help="Held-out eval file (repeatable).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the copy.")],
    methods: Annotated[
        str, typer.Option(help="Leak methods that remove a row: exact, near, ngram.")
    ] = "exact,near,ngram",
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
) -> int:
    """Write the training file without the rows leaked into the eval set(s).

    Leaks are what FT502 (exact), FT503 (near) and FT504 (verbatim n-gram) report with
    their configured options; template overlaps are not leaks and stay.
    """
    from auditor.heldout import decontaminate_file, format_decontamination

    settings = _settings(config, {"prompt_key": prompt_key, "response_key": response_key})
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    summary = decontaminate_file(path, eval_paths, output, methods=chosen, config=settings)
    typer.echo(format_decontamination(summary))
    return 0


class ConvertTarget(StrEnum):
    OPENAI_CHAT = "openai-chat"
    SHAREGPT = "sharegpt"
    ALPACA = "alpaca"
    PREFERENCE = "preference"
    BEDROCK_CONVERSE = "bedrock-converse"
    GEMINI = "gemini"


@app.command()
def convert(
    path: Annotated[Path, typer.Argument(help="The file to convert (any format ftaudit reads).")],
    to: Annotated[ConvertTarget, typer.Option("--to", help="The format to write.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the copy.")],
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
) -> int:
    """Write a copy in another format; the input is never touched.

    A row the target cannot hold is refused with its line and the reason, never dropped
    quietly. Exit 0 when every row converted, 1 when any was refused (the output still
    holds the rows that converted).
    """
    from auditor.api import key_mapping
    from auditor.convert import convert_file, format_summary

    settings = _settings(config, {"prompt_key": prompt_key, "response_key": response_key})
    summary = convert_file(path, output, to.value, keys=key_mapping(settings))
    typer.echo(format_summary(summary))
    return 1 if summary.refused else 0


def _leakage_summary(train: list[Path], evals: list[Path], settings: AuditConfig) -> None:
    """Audit the written files with the leakage checks and print one line per check."""
    from auditor.api import audit as run_audit

    chosen = settings.model_copy(
        update={"select": ["FT50"], "ignore": [], "extend_select": [], "discover_eval": False}
    )
    chosen.baseline = None  # the baseline names the original files, not the written ones
    report = run_audit(train, evals, chosen)
    typer.echo("leakage audit of the result:")
    for result in report.checks:
        if result.code.startswith("FT50"):
            typer.echo(f"  {result.code} {result.name}: {result.status.value} — {result.summary}")


@app.command("baseline")
def write_baseline(
    paths: TrainPaths,
    eval_paths: EvalPaths = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The baseline file to write.")
    ] = Path(".ftaudit-baseline.json"),
    select: Select = None,
    ignore: Ignore = None,
    extend_select: ExtendSelect = None,
    task: TaskOption = None,
    tokenizer: TokenizerOption = None,
    context_length: ContextLength = None,
    epochs: Epochs = None,
    prompt_key: PromptKey = None,
    response_key: ResponseKey = None,
    config: ConfigFile = None,
    discover: Discover = None,
    embed: EmbedOption = None,
    quiet: Quiet = False,
) -> int:
    """Accept today's findings: audits with --baseline then fail only on new ones.

    Audits with the same settings as `ftaudit DATA` (the config file's, and these flags)
    and writes every finding left after per-file-ignores to the baseline file, keyed by
    row content so it stays valid when rows move. Commit it beside the data.
    """
    from auditor.api import audit as run_audit
    from auditor.api import tool_version
    from auditor.atomic import write_atomic
    from auditor.baseline import build_baseline, render_baseline
    from auditor.check import Status
    from auditor.config import ConfigError
    from auditor.suppress import Suppression

    overrides = _audit_overrides(
        select, ignore, extend_select, task, tokenizer, context_length, epochs, prompt_key
    ) | {"response_key": response_key, "discover_eval": discover, "embed": embed}
    settings = _settings(config, overrides)
    settings.baseline = None  # a new baseline records every finding, accepted or not
    if not output.parent.is_dir():
        raise ConfigError(f"{output}: no such folder {output.parent}")
    recorder = Suppression(settings, paths, record=True)
    with _Progress(enabled=not quiet and sys.stderr.isatty()) as progress:
        report = run_audit(
            paths,
            eval_paths or [],
            settings,
            on_rows=progress.rows,
            on_check=progress.check,
            on_embed=progress.embed,
            suppression=recorder,
        )
    baseline = build_baseline(recorder.recorded or [], output.parent, f"ftaudit {tool_version()}")
    write_atomic(output, render_baseline(baseline))
    accepted = sum(entry.count for entry in baseline.entries)
    checks = len({entry.code for entry in baseline.entries})
    typer.echo(
        f"baseline written to {output}: {accepted} finding(s) of {checks} check(s) accepted "
        f"({len(baseline.entries)} entries); audit with `--baseline {output}` (or "
        f'`baseline = "{output}"` in the config) to fail only on new findings'
    )
    flagged = (Status.WARN, Status.FAIL)
    unaccepted = [r.code for r in report.checks if r.status in flagged and not r.findings_total]
    if unaccepted:
        typer.echo(
            f"note: {', '.join(unaccepted)} judged the data without a finding to accept; "
            "the baseline cannot cover that (use `ignore` or per-file-ignores)",
            err=True,
        )
    return 0


def _register_commands() -> None:
    """Commands that live in their own modules (auditor.cache_cli, decide_cli, redact_cli)."""
    from auditor.cache_cli import cache_app
    from auditor.decide_cli import decide_command
    from auditor.redact_cli import redact

    app.add_typer(cache_app, name="cache")
    app.command("decide")(decide_command)
    app.command("redact")(redact)


_register_commands()


@app.command("checks")
def list_checks() -> None:
    """List every registered check (built-in and plugins)."""
    from rich.console import Console
    from rich.table import Table

    from auditor.registry import discover

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "family", "summary"):
        table.add_column(column)
    for code, check in discover().items():
        first = check.documentation().splitlines()
        table.add_row(code, check.name, check.family, first[0] if first else "")
    Console().print(table)


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A check code, e.g. FT107.")]) -> None:
    """Print a check's documentation: what, why, an example, its options."""
    from auditor.config import ConfigError
    from auditor.registry import discover

    check = discover().get(code.strip().upper())
    if check is None:
        raise ConfigError(f"unknown check code `{code}` (see `ftaudit checks`)")
    typer.echo(f"{check.code} {check.name} ({check.family})\n")
    typer.echo(check.documentation())
    defaults = check.Options().model_dump(mode="json")
    if defaults:
        typer.echo(f"\nOptions (set under [tool.ftaudit.checks.{check.code}]), defaults:")
        for name, value in defaults.items():
            typer.echo(f"  {name} = {json.dumps(value)}")


@app.command()
def hook(
    files: Annotated[
        list[Path], typer.Argument(help="The files pre-commit passes (.jsonl, .jsonl.gz, .json).")
    ],
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Block the commit on REVIEW too.")
    ] = None,
    cache_dir: Annotated[
        str | None,
        typer.Option(help="Artifact cache folder, e.g. .git/ftaudit-cache (default: user cache)."),
    ] = None,
    config: ConfigFile = None,
) -> int:
    """The pre-commit hook: audit each dataset the files make, print a compact report.

    A training file is audited with the eval splits beside it; an eval split brings its
    training file's audit; a .json file that holds no records is passed over. Exit 1 on
    NO-GO (and on REVIEW with --strict).
    """
    from auditor.hook import run_hook
    from reports.terminal import render_compact

    settings = _settings(config, {"strict": strict, "cache_dir": cache_dir})
    return run_hook(files, settings, render=render_compact, config_path=config)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; never a traceback for a user's mistake."""
    from auditor.config import ConfigError
    from auditor.io import InputError
    from auditor.registry import PluginError

    args = list(sys.argv[1:] if argv is None else argv)
    _COMMAND_LINE[:] = args
    if args and args[0] not in SUBCOMMANDS and args[0] not in ROOT_FLAGS:
        args.insert(0, "audit")
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="ftaudit", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except TyperException as exc:  # usage errors: bad option, bad value, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"ftaudit: error: {exc}", err=True)
        code = getattr(exc, "exit_code", 2)
        return code if isinstance(code, int) else 2
    except (InputError, ConfigError, PluginError) as exc:
        typer.echo(f"ftaudit: error: {exc}", err=True)
        return 2
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
