"""`ftaudit hook`, called directly: which files make a dataset, the compact report, the
exit codes. tests/test_precommit_hook.py runs it through the real pre-commit."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.hook import EMBED_HINT, holds_records, plan_audits
from auditor.splits import train_files_beside

SAMPLES = Path(__file__).parent.parent / "samples"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data repository as pre-commit runs the hook in it: the working directory, with
    data/train.jsonl (160 clean rows) and its eval split data/valid.jsonl; GO together."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    shutil.copy(SAMPLES / "chat_clean.jsonl", tmp_path / "data/train.jsonl")
    shutil.copy(SAMPLES / "chat_clean.eval.jsonl", tmp_path / "data/valid.jsonl")
    return tmp_path


def hook(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["hook", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("names", "given", "datasets"),
    [
        # an eval split brings its training file; with it, that file is audited once
        (["train.jsonl", "valid.jsonl"], ["valid.jsonl"], ["train.jsonl"]),
        (["train.jsonl", "valid.jsonl"], ["valid.jsonl", "train.jsonl"], ["train.jsonl"]),
        (["sft_train.jsonl", "sft_test.jsonl"], ["sft_test.jsonl"], ["sft_train.jsonl"]),
        (["support.jsonl", "support.eval.jsonl"], ["support.eval.jsonl"], ["support.jsonl"]),
        (["a.jsonl", "a_dev.jsonl.gz"], ["a_dev.jsonl.gz"], ["a.jsonl"]),
        # an eval-looking file with no training file beside it is audited alone
        (["test.jsonl"], ["test.jsonl"], ["test.jsonl"]),
        # a split of another extension family is not this file's split
        (["train.json", "valid.jsonl"], ["valid.jsonl"], ["valid.jsonl"]),
        # two training files are two datasets
        (["a.jsonl", "b.jsonl"], ["b.jsonl", "a.jsonl"], ["b.jsonl", "a.jsonl"]),
    ],
)
def test_files_are_grouped_into_datasets(
    tmp_path: Path, names: list[str], given: list[str], datasets: list[str]
) -> None:
    for name in names:
        (tmp_path / name).write_text('[{"text": "x"}]' if name.endswith(".json") else "{}\n")
    plan = plan_audits([tmp_path / n for n in given])
    assert [p.name for p in plan.training_files] == datasets
    assert plan.passed_over == []


def test_without_discovery_an_eval_split_is_just_a_file(tmp_path: Path) -> None:
    for name in ("train.jsonl", "valid.jsonl"):
        (tmp_path / name).write_text("{}\n")
    plan = plan_audits([tmp_path / "valid.jsonl"], discover_eval=False)
    assert plan.training_files == [tmp_path / "valid.jsonl"]


def test_train_files_beside_inverts_sibling_discovery(tmp_path: Path) -> None:
    names = ["train-00000-of-00002.jsonl", "test-00000-of-00002.jsonl", "x_val.jsonl"]
    for name in names:
        (tmp_path / name).write_text("{}\n")
    assert train_files_beside(tmp_path / "test-00000-of-00002.jsonl") == [tmp_path / names[0]]
    assert train_files_beside(tmp_path / "x_val.jsonl") == []  # no x.jsonl beside it
    assert train_files_beside(tmp_path / names[0]) == []


@pytest.mark.parametrize(
    ("content", "dataset"),
    [
        ('[\n  {"messages": []},\n  {"messages": []}\n]\n', True),
        ('\ufeff  [{"text": "a"}]', True),
        ('{"text": "a"}\n{"text": "b"}\n', True),  # JSON Lines named .json
        ('{\n  "name": "web", "version": "1.0.0"\n}\n', False),  # package.json
        ('{"compilerOptions": {"strict": true}}\n', False),  # one object on one line
        ('["alpha", "beta"]', False),
        ("[]", False),
        ("", False),
        ("not json at all", False),
    ],
)
def test_only_json_files_holding_records_are_datasets(
    tmp_path: Path, content: str, dataset: bool
) -> None:
    path = tmp_path / "file.json"
    path.write_text(content, encoding="utf-8")
    assert holds_records(path) is dataset
    plan = plan_audits([path])
    assert (plan.training_files, plan.passed_over) == (([path], []) if dataset else ([], [path]))


def test_a_json_config_never_blocks_a_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "package.json").write_text('{\n  "name": "web"\n}\n')
    (repo / ".vscode").mkdir()
    (repo / ".vscode/settings.json").write_text('{"editor.rulers": [100]}\n')
    code, out = hook(capsys, "package.json", ".vscode/settings.json")
    assert code == 0
    assert "passed over 2 .json file(s) holding no records" in out


def test_an_eval_split_brings_its_training_files_audit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = hook(capsys, "data/valid.jsonl")
    assert code == 0
    assert out.startswith("data/train.jsonl  GO  readiness 100/100 · 160 rows · ")
    assert "eval: data/valid.jsonl" in out.splitlines()[0]
    # A leak planted in the eval split is found by the training file's leakage checks.
    train_line = (repo / "data/train.jsonl").read_text().splitlines()[6]
    with (repo / "data/valid.jsonl").open("a") as handle:
        handle.write(train_line + "\n")
    code, out = hook(capsys, "data/valid.jsonl")
    assert code == 0
    assert "data/train.jsonl  REVIEW " in out
    assert "FT502 exact-overlap warn" in out
    assert "data/valid.jsonl:121  eval row is an exact copy of train line(s) 7" in out


def test_review_passes_unless_strict(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "data/valid.jsonl").unlink()  # no held-out set: FT501 warns → REVIEW
    code, out = hook(capsys, "data/train.jsonl")
    assert code == 0
    assert "data/train.jsonl  REVIEW " in out and "FT501 no-held-out-set warn" in out
    assert "see everything: ftaudit data/train.jsonl" in out
    assert hook(capsys, "--strict", "data/train.jsonl")[0] == 1
    # strict from the data repository's own config, which the hook finds in its folder
    (repo / "pyproject.toml").write_text("[tool.ftaudit]\nstrict = true\n")
    assert hook(capsys, "data/train.jsonl")[0] == 1
    assert hook(capsys, "--no-strict", "data/train.jsonl")[0] == 0


def test_no_go_blocks_and_shows_at_most_ten_findings_a_check(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (repo / "data/train.jsonl").read_text().splitlines()
    for index in range(0, 60, 2):  # 30 lines cut short
        lines[index] = lines[index][:40]
    (repo / "data/train.jsonl").write_text("\n".join(lines) + "\n")
    code, out = hook(capsys, "data/train.jsonl")
    assert code == 1
    ft001 = [line for line in out.splitlines() if line.startswith("    data/train.jsonl:")]
    shown = [line for line in ft001 if "invalid JSON" in line]
    assert [line.split()[0] for line in shown] == [f"data/train.jsonl:{n}" for n in range(1, 21, 2)]
    assert "    …and 20 more" in out
    assert out.count("see everything") == 1


def test_each_training_file_is_its_own_dataset(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "FT001" / "bad.jsonl", repo / "data/other.jsonl")
    code, out = hook(capsys, "data/train.jsonl", "data/other.jsonl")
    assert code == 1
    headers = [line for line in out.splitlines() if not line.startswith(" ")]
    assert headers[0].startswith("data/train.jsonl  GO ")
    assert headers[1].startswith("data/other.jsonl  NO-GO ")


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["data/absent.jsonl"], "data/absent.jsonl: no such file"),
        ("empty", ["data/empty.jsonl"], "data/empty.jsonl"),
        ("bad-config", ["data/train.jsonl"], "unknown key `colour`"),
        (None, ["--config", "absent.toml", "data/train.jsonl"], "absent.toml: no such config"),
        (None, [], "Missing argument"),
    ],
)
def test_input_and_config_errors_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], setup: str | None, args: list[str], message: str
) -> None:
    if setup == "empty":
        (repo / "data/empty.jsonl").write_bytes(b"")
    elif setup == "bad-config":
        (repo / "ftaudit.toml").write_text('colour = "red"\n')
    code, out = hook(capsys, *args)
    assert code == 2
    assert message in out


def test_an_unreadable_file_does_not_hide_the_other_datasets(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "data/empty.jsonl").write_bytes(b"")
    code, out = hook(capsys, "data/empty.jsonl", "data/train.jsonl")
    assert code == 2
    assert out.startswith("ftaudit: error: data/empty.jsonl")
    assert "data/train.jsonl  GO " in out


def test_one_line_on_enabling_embeddings_when_the_extra_is_missing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.embeddings

    # What the hook's light environment reports (the extra is installed in this venv).
    reason = "the `embed` extra is not installed (sentence_transformers is missing): …"
    monkeypatch.setattr(auditor.embeddings, "embed_extra_missing", lambda: reason)
    monkeypatch.setenv("FTAUDIT_EMBED", "1")
    shutil.copy(repo / "data/train.jsonl", repo / "data/second.jsonl")
    code, out = hook(capsys, "data/train.jsonl", "data/second.jsonl")
    assert code == 0
    notes = [line for line in out.splitlines() if EMBED_HINT in line]
    assert notes == [
        "embedding checks FT401, FT402, FT403, FT404, FT505 skipped: the hook's environment "
        f"has no `embed` extra; to run them add {EMBED_HINT} to the ftaudit hook in "
        ".pre-commit-config.yaml"
    ]
    assert "pip install" not in out
    # Turned off on purpose: nothing to say.
    monkeypatch.setenv("FTAUDIT_EMBED", "0")
    assert EMBED_HINT not in hook(capsys, "data/train.jsonl")[1]


def test_cache_dir_puts_the_artifact_cache_where_it_says(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".git").mkdir()
    code, _ = hook(capsys, "--cache-dir", ".git/ftaudit-cache", "data/train.jsonl")
    assert code == 0
    assert any((repo / ".git/ftaudit-cache").iterdir())


def test_the_hook_definition_is_a_valid_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(Path(__file__).parent.parent / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "ftaudit"
    assert (hook["entry"], hook["language"], hook["require_serial"]) == (
        "ftaudit hook",
        "python",
        True,
    )
    matches = re.compile(hook["files"]).search
    assert all(matches(n) for n in ("a/train.jsonl", "t.jsonl.gz", "records.json"))
    assert not any(matches(n) for n in ("train.csv", "a.json.bak", "x.jsonl.zst"))


def readme_yaml_after(heading: str) -> str:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index(heading) :]
    return section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", 8)]


def test_the_readme_snippet_is_a_valid_pre_commit_config(tmp_path: Path) -> None:
    from pre_commit.clientlib import load_config

    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(readme_yaml_after("## Pre-commit hook"))
    (repo,) = load_config(str(path))["repos"]
    assert [h["id"] for h in repo["hooks"]] == ["ftaudit"]


def test_the_readme_workflow_annotates_and_uploads_sarif() -> None:
    import yaml

    workflow = yaml.safe_load(readme_yaml_after("## CI: GitHub Actions"))
    steps = workflow["jobs"]["audit"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "ftaudit data/train.jsonl --format github" in runs
    assert "--format sarif -o ftaudit.sarif" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "ftaudit.sarif"


def test_the_hook_honours_the_baseline_and_names_stale_entries(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (repo / "data/train.jsonl").read_text().splitlines()
    lines[3] = lines[3][:40]  # one invalid line, accepted in the baseline
    (repo / "data/train.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["baseline", "data/train.jsonl", "-o", ".ftaudit-baseline.json"]) == 0
    (repo / "ftaudit.toml").write_text('baseline = ".ftaudit-baseline.json"\n')
    capsys.readouterr()
    code, out = hook(capsys, "data/train.jsonl")
    assert code == 0 and "accepted" in out
    fixed = (repo / "data/train.jsonl").read_text().splitlines()
    fixed[3] = (SAMPLES / "chat_clean.jsonl").read_text().splitlines()[3]
    (repo / "data/train.jsonl").write_text("\n".join(fixed) + "\n")
    code, out = hook(capsys, "data/train.jsonl")
    assert code == 0 and "no longer occur" in out.replace("\n", " ")
