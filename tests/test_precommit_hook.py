"""The real pre-commit hook: real git, the real `pre-commit` tool, this checkout's
.pre-commit-hooks.yaml, offline.

How the hook's environment is installed offline. pre-commit clones the hook repository
(here a local git repository holding a snapshot of this working tree, uncommitted work
included), makes a virtualenv with the running interpreter and runs `pip install .` in it.
The environment of the whole pre-commit run makes that install offline and light:

- `PIP_CONFIG_FILE=/dev/null`, every other `PIP_*` removed, `PIP_NO_INDEX=1`: pip sees no
  index and no find-links, so nothing can be downloaded;
- `PIP_NO_BUILD_ISOLATION=0`: build with the setuptools already on the path (pip reads
  `no-*` flags from the environment inverted: 0 turns isolation off);
- `PYTHONPATH=<light core>`: a folder of symlinks to the distributions of ftaudit's core
  dependencies (and setuptools), taken from this venv's site-packages and resolved from
  pyproject.toml. pip counts them as installed; the `embed` extra (torch,
  sentence-transformers) and ftaudit itself are not in it, so ftaudit is built and
  installed from the pinned clone and imported from the hook's virtualenv (asserted), and
  the hook runs with exactly what `pip install ftaudit` would give it.

FTAUDIT_EMBED is left unset in the hook's run: the light core has no sentence encoder, so
the embedding checks skip at once and the hook's one-line hint is checked end to end.

The helpers run the hook through pre-commit on any file: `precommit_data_repo` (a data
repository with the hook installed, and its environment), then `commit` (what a user's
`git commit` does) or `run_precommit` (`pre-commit run ftaudit --files …`, to time reruns).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auditor.hook import EMBED_HINT

ROOT = Path(__file__).parent.parent
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])

pytestmark = pytest.mark.slow


def git_env(home: Path) -> dict[str, str]:
    """Identity and config for git that need no global git config."""
    gitconfig = home / "gitconfig"
    gitconfig.touch()
    return {
        "GIT_AUTHOR_NAME": "ftaudit test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "ftaudit test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def snapshot_repo(source: Path, dest: Path, env: dict[str, str]) -> str:
    """A git repository at `dest` holding the working tree of `source` (tracked and
    untracked files git does not ignore, as they are on disk), committed; its sha."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        path = source / name
        if path.is_file():  # a tracked file deleted in the working tree is left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / name)
    git(dest, env, "init", "-q", "-b", "main")
    git(dest, env, "add", "-A")
    git(dest, env, "commit", "-q", "-m", "snapshot of the working tree")
    return git(dest, env, "rev-parse", "HEAD").strip()


def core_requirements(root: Path) -> list[Requirement]:
    """ftaudit's core dependencies and its build requirements, from pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text())
    names = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    return [Requirement(name) for name in names]


def light_core_site(dest: Path, requirements: Iterable[Requirement] = ()) -> Path:
    """A folder of symlinks to the installed distributions `requirements` need,
    transitively (default: ftaudit's core and build requirements), found in this venv's
    site-packages: what PYTHONPATH gives the hook's environment instead of an index."""
    installed: dict[str, importlib.metadata.Distribution] = {
        canonicalize_name(d.metadata["Name"]): d
        for d in importlib.metadata.distributions(path=[str(SITE_PACKAGES)])
    }
    wanted = [
        r
        for r in list(requirements) or core_requirements(ROOT)
        if r.marker is None or r.marker.evaluate()
    ]
    done: set[tuple[str, str]] = set()  # (distribution, extra) expanded
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        dist = installed[name]  # KeyError: a core dependency is not installed here
        for extra in {"", *requirement.extras} - {e for n, e in done if n == name}:
            done.add((name, extra))
            for line in dist.requires or []:
                child = Requirement(line)
                if child.marker is None or child.marker.evaluate({"extra": extra}):
                    wanted.append(child)
    dest.mkdir(parents=True)
    for found in sorted({n for n, _ in done}):
        dist = installed[found]
        tops = {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}
        for top in tops:
            target = Path(str(dist.locate_file(top)))
            if target.exists() and not (dest / top).exists():
                (dest / top).symlink_to(target)
    return dest


def offline_env(tmp: Path, site: Path) -> dict[str, str]:
    """The environment for pre-commit (and the git commits that run it): offline pip,
    the light core on PYTHONPATH, pre-commit's and virtualenv's state under `tmp`."""
    # GIT_*: a test run from inside a git hook must not aim these git commands at its index.
    dropped = ("PIP_", "PYTHON", "GIT_", "PRE_COMMIT", "VIRTUALENV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    for name in ("VIRTUAL_ENV", "SKIP"):  # SKIP=ftaudit would skip the hook under test
        env.pop(name, None)
    env.update(git_env(tmp))
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": str(site),
            "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),
            "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp / "virtualenv-data"),
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
        }
    )
    return env


def precommit_data_repo(
    tmp: Path, *, args: Iterable[str] = (), verbose: bool = True
) -> tuple[Path, dict[str, str]]:
    """A data repository under `tmp` with the ftaudit hook of this working tree installed
    (`pre-commit install`), and the environment to commit in it: `commit(repo, env, ...)`
    then runs the real hook. `args` go to the hook (`--strict`, `--cache-dir …`)."""
    site = light_core_site(tmp / "light-core")
    env = offline_env(tmp, site)
    hook_repo = tmp / "ftaudit-src"
    sha = snapshot_repo(ROOT, hook_repo, env)
    repo = tmp / "data-repo"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    hook = {"id": "ftaudit", "verbose": verbose, "args": list(args)}
    config = {"repos": [{"repo": str(hook_repo), "rev": sha, "hooks": [hook]}]}
    # JSON is YAML: no YAML writer needed.
    (repo / ".pre-commit-config.yaml").write_text(json.dumps(config, indent=2) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=env,
        capture_output=True,
        check=True,
    )
    return repo, env


def commit(repo: Path, env: dict[str, str], message: str, *paths: str) -> tuple[int, str]:
    """`git add` then `git commit` (which runs the hook): (exit code, combined output)."""
    git(repo, env, "add", *paths)
    return _run(repo, env, ["git", "commit", "-m", message])


def run_precommit(repo: Path, env: dict[str, str], *files: str) -> tuple[int, str]:
    """`pre-commit run ftaudit --files FILES` in `repo`: (exit code, combined output)."""
    return _run(
        repo, env, [sys.executable, "-m", "pre_commit", "run", "ftaudit", "--files", *files]
    )


def _run(repo: Path, env: dict[str, str], command: list[str]) -> tuple[int, str]:
    done = subprocess.run(
        command,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout


def sample_generator() -> ModuleType:
    """samples/generate.py, whose clean rows audit GO."""
    spec = importlib.util.spec_from_file_location("samples_generate", ROOT / "samples/generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def broken_lines(generator: ModuleType) -> list[str]:
    """Clean rows with planted problems at known lines: invalid JSON at line 5, lines 10–13
    exact copies of line 2, a conversation with no assistant turn at line 15."""
    lines = [json.dumps(r) for r in generator.clean_rows(120, seed=3)]
    lines[4] = '{"messages": [{"role": "user", "content": "cut off here'
    lines[9:13] = [lines[1]] * 4
    lines[14] = json.dumps(
        {
            "messages": [
                {"role": "system", "content": generator.SYSTEM},
                {"role": "user", "content": "My parcel never arrived and nobody answers."},
            ]
        }
    )
    return lines


def write_lines(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


def test_the_hook_passes_good_data_and_blocks_broken_data(tmp_path: Path) -> None:
    repo, env = precommit_data_repo(tmp_path, args=["--cache-dir", ".git/ftaudit-cache"])
    # Embedding checks on, as a user has them: the light core skips them at once.
    env.pop("FTAUDIT_EMBED", None)
    generator = sample_generator()
    write_lines(repo / "data/train.jsonl", map(json.dumps, generator.clean_rows(300)))
    write_lines(repo / "data/valid.jsonl", map(json.dumps, generator.eval_rows(120)))
    (repo / "package.json").write_text('{\n  "name": "not-a-dataset"\n}\n')

    code, output = commit(repo, env, "good data", ".pre-commit-config.yaml", "data", "package.json")
    assert code == 0, output
    assert "ftaudit" in output and "Passed" in output, output
    # The hook audited the training file with its eval split, and passed package.json over.
    assert "data/train.jsonl  GO " in output, output
    assert "eval: data/valid.jsonl" in output, output
    assert "passed over 1 .json file(s) holding no records: package.json" in output, output
    # The hook's environment is the light core: one line on enabling the embedding checks.
    assert output.count(EMBED_HINT) == 1, output
    assert "data/train.jsonl" in git(repo, env, "ls-tree", "-r", "--name-only", "HEAD")

    write_lines(repo / "data/broken.jsonl", broken_lines(generator))
    code, output = commit(repo, env, "broken data", "data/broken.jsonl")
    assert code != 0, output
    assert "Failed" in output and "data/broken.jsonl  NO-GO " in output, output
    for code_, where in (
        ("FT001", "data/broken.jsonl:5"),
        ("FT301", "data/broken.jsonl:2  5 identical rows"),
        ("FT301", "lines 10, 11, 12, 13"),
        ("FT108", "data/broken.jsonl:15"),
    ):
        assert code_ in output and where in output, (code_, where, output)
    assert "see everything: ftaudit data/broken.jsonl" in output, output
    committed = git(repo, env, "ls-tree", "-r", "--name-only", "HEAD")
    assert "data/broken.jsonl" not in committed
    assert git(repo, env, "log", "-1", "--format=%s").strip() == "good data"

    # Fixed, the file passes; `pre-commit run` audits it as the commit would.
    write_lines(repo / "data/broken.jsonl", map(json.dumps, generator.clean_rows(120, seed=3)))
    code, output = run_precommit(repo, env, "data/broken.jsonl")
    assert code == 0 and "data/broken.jsonl  REVIEW " in output, output

    # The cache went where --cache-dir said, inside .git: never part of a commit.
    assert (repo / ".git/ftaudit-cache").is_dir()
    assert ".git" not in committed

    # ftaudit ran from the hook's own virtualenv, built from the pinned snapshot of this
    # working tree, and that environment has no embed extra. (Run from the data repository
    # as the hook is: `python -c` puts the working directory first on sys.path.)
    pythons = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*/bin/python"))
    assert len(pythons) == 1, pythons
    probe = subprocess.run(
        [
            str(pythons[0]),
            "-c",
            "import auditor.hook, importlib.util as u; print(auditor.hook.__file__); "
            "print(u.find_spec('sentence_transformers'))",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installed = Path(probe[0])
    assert installed.is_relative_to(pythons[0].parent.parent), probe
    assert installed.read_bytes() == (ROOT / "auditor/hook.py").read_bytes()
    assert probe[1] == "None", probe
