"""`ftaudit cache info` and `ftaudit cache clear`: what the disk caches hold, and dropping them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from auditor.cache_store import CACHE_FILES, default_cache_dir

cache_app = typer.Typer(
    name="cache",
    help="Show or clear the artifact and embedding caches.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigFile = Annotated[
    Path | None, typer.Option(help="Config file (default: nearest ftaudit.toml/pyproject).")
]


def _folder(config: Path | None) -> Path:
    """The cache folder the config (given, or the nearest one) names, else the default."""
    from auditor.config import ConfigError, find_config_file, load_config

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    found = config if config is not None else find_config_file(Path.cwd())
    return default_cache_dir(load_config(found, {}).cache_dir)


def _files(folder: Path) -> list[Path]:
    """Every file of the caches in `folder`: databases, WAL companions, moved-aside copies."""
    if not folder.is_dir():
        return []
    names = tuple(CACHE_FILES)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith(names))


def _size(bytes_: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if bytes_ < 1024 or unit == "GB":
            return f"{bytes_:,.0f} {unit}" if unit == "B" else f"{bytes_:,.1f} {unit}"
        bytes_ /= 1024  # type: ignore[assignment]
    return f"{bytes_} B"


@cache_app.command("info")
def info(config: ConfigFile = None) -> int:
    """Where the caches are, their size, and what each kind of artifact holds."""
    from auditor.artifact_cache import ArtifactCache
    from auditor.cache_store import CacheUnavailable

    folder = _folder(config)
    files = _files(folder)
    typer.echo(f"cache folder: {folder}")
    if not files:
        typer.echo("empty: nothing cached yet")
        return 0
    typer.echo(f"on disk: {_size(sum(p.stat().st_size for p in files))} in {len(files)} file(s)")
    artifacts = folder / "artifacts.sqlite3"
    if artifacts.is_file():
        try:
            store = ArtifactCache(artifacts, timeout=5.0)
        except CacheUnavailable as exc:
            typer.echo(f"artifacts: cannot be read now ({exc})")
        else:
            try:
                spaces = store.namespaces()
            finally:
                store.close()
            for space in spaces:
                used = time.strftime("%Y-%m-%d %H:%M", time.localtime(space.used))
                typer.echo(
                    f"  {space.entries:>10,} entries {_size(space.bytes):>10}  last used {used}"
                    f"  {space.name}"
                )
    embeddings = folder / "embeddings.sqlite3"
    if embeddings.is_file():
        typer.echo(f"embeddings: {_size(embeddings.stat().st_size)} ({embeddings})")
    return 0


@cache_app.command("clear")
def clear(config: ConfigFile = None) -> int:
    """Delete every cache file (a run in progress goes on without its cache)."""
    folder = _folder(config)
    files = _files(folder)
    freed = 0
    for path in files:
        try:
            freed += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            typer.echo(f"ftaudit: error: cannot delete {path} ({exc.strerror})", err=True)
            return 2
    typer.echo(f"cleared {len(files)} file(s), {_size(freed)} freed, in {folder}")
    return 0
