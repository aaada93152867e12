"""Benchmark the FT6 hygiene checks against FT0–FT2, and FT601 + FT602 against a naive scanner.

    python benchmarks/bench_hygiene.py --rows 100000 --repeat 3

Data (written to benchmarks/data/ on the first run, seeded, reused afterwards):
`chat_<rows>.jsonl` is generate.py's chat file; `hygiene_<rows>.jsonl` is the same file
with `--share` of its rows (default 2%) given one planted value each, drawn in turn from
an email, a phone number, a Luhn-valid card, an IBAN, an SSN, a public IP, an AWS key
id, a GitHub token, an OpenAI key, a `password=` assignment and a high-entropy
`api_token` (all synthetic), appended to a random message of the row.

Scenarios, each timed `--repeat` times on a fresh AuditContext (no artifact cache) over
the same loaded dataset (loading is timed apart and is in no scenario), medians reported:

  ft6     all of FT601–FT605 `run(ctx)` on one context, as an audit runs them: the issue's
          target is that they take less time than FT0–FT2.
  pii     FT601 + FT602 alone: polars prefilters over every text, Python validation on
          the candidates, findings with masked excerpts.
  ft0-2   every FT0xx, FT1xx and FT2xx check (selected by prefix through load_config),
          `run(ctx)` in registry order; FT2xx count tokens (tiktoken), the largest part.
  naive   the plain route: every text of every row (message contents, tool-call
          arguments) through every detector's Python `re` pattern with `finditer`, in a
          Python loop, with the same validators; phone numbers by a loose regex whose
          matches libphonenumber then parses (running its matcher on every text would be
          far slower still). No prefilter, no overlap resolution, no findings.

The output prints the medians and the ratios ft0-2 / ft6 and naive / pii, and writes
benchmarks/results/hygiene.json. `flagged rows` shows that pii and naive see the
planted rows (naive flags a few more: no overlap or context rules).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import string
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.config import load_config  # noqa: E402
from auditor.context import AuditContext  # noqa: E402
from auditor.dataset import Dataset, load_dataset  # noqa: E402
from auditor.registry import select_checks  # noqa: E402
from auditor.sensitive import ALL_KINDS, DetectOptions  # noqa: E402
from benchmarks.generate import generate  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "hygiene.json"
BASE62 = string.ascii_letters + string.digits


def luhn_card(rng: random.Random) -> str:
    digits = "4539" + "".join(rng.choice(string.digits) for _ in range(11))
    for check in string.digits:
        total = sum(
            (int(c) * 2 - 9 if int(c) > 4 else int(c) * 2) if i % 2 else int(c)
            for i, c in enumerate(reversed(digits + check))
        )
        if total % 10 == 0:
            return digits + check
    raise AssertionError


def iban(rng: random.Random) -> str:
    bban = "".join(rng.choice(string.digits) for _ in range(18))
    numeric = int("".join(str(int(ch, 36)) for ch in bban + "DE00"))
    return f"DE{98 - numeric % 97:02d}{bban}"


def planted_value(rng: random.Random, i: int) -> str:
    makers: list[Callable[[], str]] = [
        lambda: f"Write to user{i}@acme-mail.io.",
        lambda: f"Call me at (415) 555-{1000 + i % 9000}.",
        lambda: f"My card is {luhn_card(rng)}.",
        lambda: f"IBAN {iban(rng)}.",
        lambda: f"SSN 536-{10 + i % 89}-{1000 + i % 9000}.",
        lambda: f"Server 93.184.{i % 250}.{1 + i % 250}.",
        lambda: "Key AKIA" + "".join(rng.choice(string.ascii_uppercase) for _ in range(16)),
        lambda: "Token ghp_" + "".join(rng.choice(BASE62) for _ in range(36)),
        lambda: "Key sk-proj-" + "".join(rng.choice(BASE62) for _ in range(48)),
        lambda: f'db_password = "Tr0ub4dor&{i}"',
        lambda: 'config {"api_token": "' + "".join(rng.choice(BASE62) for _ in range(40)) + '"}',
    ]
    return makers[i % len(makers)]()


def planted_file(rows: int, share: float, seed: int = 601) -> Path:
    source = DATA / f"chat_{rows // 1000}k.jsonl"
    target = DATA / f"hygiene_{rows // 1000}k.jsonl"
    if target.exists():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    if not source.exists():
        generate(rows, source)
    rng = random.Random(seed)
    lines = source.read_text().splitlines(keepends=True)
    chosen = sorted(rng.sample(range(len(lines)), int(len(lines) * share)))
    for n, index in enumerate(chosen):
        row = json.loads(lines[index])
        texts = [m for m in row["messages"] if isinstance(m.get("content"), str)]
        message = rng.choice(texts)
        message["content"] += " " + planted_value(rng, n)
        lines[index] = json.dumps(row, ensure_ascii=False) + "\n"
    target.write_text("".join(lines))
    return target


def time_checks(dataset: Dataset, selected: list[str], prefixes: tuple[str, ...]) -> float:
    config = load_config(None, {"select": selected, "cache": False})
    checks = [c for c in select_checks(config) if c.code.startswith(prefixes)]
    ctx = AuditContext(dataset, config, checks=checks)
    start = time.perf_counter()
    for check in checks:
        check.run(ctx)
    return time.perf_counter() - start


def naive_texts(dataset: Dataset) -> list[str]:
    """Every message content and tool-call argument, as Python strings (not timed)."""
    texts: list[str] = []
    for messages in dataset.train["messages"].to_list():
        for message in messages or []:
            if message["content"]:
                texts.append(message["content"])
            for call in message["tool_calls"] or []:
                if call["arguments"]:
                    texts.append(call["arguments"])
    return texts


def naive_scan(texts: list[str]) -> int:
    """Every text through every pattern in a Python loop; returns texts with a hit."""
    import re

    import phonenumbers

    from auditor.sensitive import credentials as c
    from auditor.sensitive import pii as p

    options = DetectOptions(kinds=frozenset(ALL_KINDS))
    validated: list[tuple[re.Pattern[str], Callable[..., bool]]] = [
        (p.EMAIL, p.valid_email),
        (p.CARD, p.valid_card),
        (p.SSN, p.valid_ssn),
        (p.IPV4, p.valid_ip),
        (p.IPV6, p.valid_ip),
        (c.AWS_KEY, c.not_placeholder),
        (c.AWS_SECRET, c.valid_aws_secret),
        (c.GITHUB, c.not_placeholder),
        (c.OPENAI, c.random_body),
        (c.ANTHROPIC, c.random_body),
        (c.SLACK, c.valid_slack),
        (c.STRIPE, c.not_placeholder),
        (c.GOOGLE, c.not_placeholder),
        (c.JWT, c.valid_jwt),
    ]
    finders = [p.iban_hits, c.private_key_hits, c.password_hits, c.high_entropy_hits]
    loose_phone = re.compile(r"\+?\d[\d ().-]{7,}\d")
    flagged = 0
    for text in texts:
        hit = False
        for pattern, valid in validated:
            for match in pattern.finditer(text):
                hit = valid(text, match, options) or hit
        for finder in finders:
            hit = any(True for _ in finder(text, options)) or hit
        for match in loose_phone.finditer(text):
            try:
                number = phonenumbers.parse(match.group(), "US")
            except phonenumbers.NumberParseException:
                continue
            hit = phonenumbers.is_valid_number(number) or hit
        flagged += hit
    return flagged


def pii_flagged_rows(dataset: Dataset) -> int:
    from auditor.registry import configured

    config = load_config(None, {"cache": False})
    ctx = AuditContext(dataset, config)
    rows = 0
    for code in ("FT601", "FT602"):
        check = configured(code, config)
        assert check is not None
        result = check.run(ctx)
        metric = result.metric("affected_rows")
        rows += int(metric.value or 0) if metric is not None else 0
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.02, help="share of rows planted")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    path = planted_file(args.rows, args.share)
    start = time.perf_counter()
    dataset = load_dataset([path])
    load_s = time.perf_counter() - start
    texts = naive_texts(dataset)
    times: dict[str, list[float]] = {"ft6": [], "pii": [], "ft0-2": [], "naive": []}
    flagged_naive = 0
    for _ in range(args.repeat):  # interleaved, so drift hits every scenario alike
        times["ft6"].append(time_checks(dataset, ["FT6"], ("FT6",)))
        times["pii"].append(time_checks(dataset, ["FT601", "FT602"], ("FT601", "FT602")))
        times["ft0-2"].append(time_checks(dataset, ["FT0", "FT1", "FT2"], ("FT0", "FT1", "FT2")))
        start = time.perf_counter()
        flagged_naive = naive_scan(texts)
        times["naive"].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": dataset.train.height,
        "planted_share": args.share,
        "texts": len(texts),
        "load_s": round(load_s, 3),
        "repeat": args.repeat,
        "seconds": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "median_s": {name: round(v, 3) for name, v in medians.items()},
        "ratio_ft0_2_over_ft6": round(medians["ft0-2"] / medians["ft6"], 2),
        "ratio_naive_over_pii": round(medians["naive"] / medians["pii"], 2),
        "flagged_rows": {"pii": pii_flagged_rows(dataset), "naive_texts": flagged_naive},
    }
    print(f"{result['rows']:,} rows, {len(texts):,} texts, load {load_s:.2f} s")
    for name, value in medians.items():
        print(f"  {name:<6} median {value:7.2f} s   runs {result['seconds'][name]}")
    print(f"  ft0-2 / ft6 = {result['ratio_ft0_2_over_ft6']}×")
    print(f"  naive / pii = {result['ratio_naive_over_pii']}×")
    print(f"  flagged: {result['flagged_rows']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
