"""The terminal report: what a person sees first."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from auditor import AuditConfig, audit
from reports.terminal import TOP_FINDINGS, render_terminal

LONG = (
    "To move a subscription to another workspace, open Billing, choose the plan, press "
    "Transfer, pick the target workspace and confirm with your password; invoices stay "
    "with the old workspace until the end of the current period."
)


def chat(question: str, answer: str) -> str:
    turns = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": turns})


def test_top_findings_show_every_failing_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twenty exact copies near the top of the file (FT301: twenty findings) and one
    # cluster of three near-copies at the end (FT302's largest cluster): the near-copies
    # must still make the top list, not drown under the exact copies' line numbers.
    rows = [chat(f"Question {i} about invoice {i * 97}?", f"Answer {i}.") for i in range(40)]
    rows += rows[:20]
    rows += [
        chat("How do I move my subscription?", LONG),
        chat("How can I move my subscription?", LONG.replace("confirm", "confirm it")),
        chat("how do I move my subscription", LONG.replace("open Billing", "go to Billing")),
    ]
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)  # paths under the working directory are shown relative
    report = audit([path], config=AuditConfig(select=["FT301", "FT302"]))
    assert report.result("FT301").findings_total == 20 > TOP_FINDINGS
    console = Console(record=True, width=200, file=io.StringIO())
    render_terminal(report, console)
    top = console.export_text().split("Top findings", 1)[1]
    assert "\ndata.jsonl:61 " in top and "3 rows are near-copies of line 61" in top
    assert "FT301" in top


def test_a_finding_that_joins_two_texts_shows_both(tmp_path: Path) -> None:
    train, held_out = tmp_path / "train.jsonl", tmp_path / "heldout.jsonl"
    rows = [chat(f"Question {i} about invoice {i * 97}?", f"Answer {i}.") for i in range(10)]
    train.write_text("\n".join([*rows, chat("How do I move my subscription?", LONG)]) + "\n")
    held_out.write_text(chat("Moving a plan between workspaces?", LONG) + "\n")
    report = audit([train], [held_out], AuditConfig(select=["FT502"]))
    console = Console(record=True, width=200, file=io.StringIO())
    render_terminal(report, console)
    top = " ".join(console.export_text().split("Top findings", 1)[1].split())
    assert "“to move a subscription" in top.lower()
    assert f"↔ {train}:11 “" in top
