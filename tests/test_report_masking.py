"""Whatever a check quotes, no report shows a detected secret or personal data.

FT601/FT602 mask what they report; these tests plant values where *other* checks quote
training text (a duplicate's excerpt, an unrendered template, a truncated answer's tail)
and read every output.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from auditor import audit
from auditor.config import load_config
from auditor.report_masking import masked
from reports.html import render_html
from reports.json_report import render_json
from reports.markdown import render_markdown
from reports.terminal import render_terminal
from tests.fixtures.make_hygiene_fixtures import secrets_by_kind


def chat(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def outputs(report: Any) -> dict[str, str]:
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=240, record=True))
    return {
        "json": render_json(report),
        "terminal": buffer.getvalue(),
        "html": render_html(report),
        "markdown": render_markdown(report),
    }


def test_other_checks_quotes_are_masked_too(tmp_path: Path) -> None:
    secrets = secrets_by_kind(random.Random(11))
    token, aws = secrets["GITHUB_TOKEN"], secrets["AWS_KEY"]
    email = "jane.doe@acme-corp.io"
    copied = chat(f"Why does {token} fail?", f"Rotate the token {token} and retry.")
    rows = [
        copied,
        copied,  # FT301 quotes the duplicate
        chat("Hello {customer_name}, your key", f"Key {aws} for {{customer_name}}."),  # FT115
        chat("Write to whom?", f"Write to {email} and ask them to send the file and"),  # FT604
        *(chat(f"Question {i} about topic {i % 7}?", f"Answer {i} in detail.") for i in range(30)),
    ]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = audit([path], config=load_config(None, {"ignore": ["FT601", "FT602"]}))
    quoted = {f.code for r in report.checks for f in r.findings if f.excerpt}
    assert {"FT301", "FT115", "FT604"} <= quoted, quoted
    for name, text in outputs(report).items():
        for value in (token, aws, email):
            assert value not in text, (name, value[:4])


class Inner(BaseModel):
    texts: list[str]
    labels: dict[str, str]


class Outer(BaseModel):
    title: str
    inner: Inner
    count: int


def test_masked_walks_every_string_and_keeps_the_rest() -> None:
    model = Outer(
        title="a SECRET here", inner=Inner(texts=["x", "SECRET"], labels={"k": "SECRET"}), count=3
    )

    def upper_secret(texts: list[str]) -> list[str]:
        return [t.replace("SECRET", "[S]") for t in texts]

    out = masked(model, upper_secret)
    assert out == Outer(
        title="a [S] here", inner=Inner(texts=["x", "[S]"], labels={"k": "[S]"}), count=3
    )
    clean = Outer(title="t", inner=Inner(texts=[], labels={}), count=1)
    assert masked(clean, upper_secret) is clean  # nothing changed: the same object
