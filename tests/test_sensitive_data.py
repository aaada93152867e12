"""FT601 personal data, FT602 secrets: validators, look-alikes, roles, masking."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from auditor import audit
from auditor.check import Status
from auditor.config import ConfigError, load_config
from auditor.registry import configured
from auditor.sensitive import (
    ALL_KINDS,
    PII_KINDS,
    SECRET_KINDS,
    DetectOptions,
    find_spans,
    mask,
    mask_texts,
    masked_excerpt,
    placeholder,
)
from auditor.sensitive.pii import luhn, mod97
from checks.hygiene import PersonalData, Secrets
from reports.html import render_html
from reports.json_report import render_json
from reports.terminal import render_terminal
from tests.checkutil import context_of, fixture, flagged, metric
from tests.fixtures.make_hygiene_fixtures import (
    iban,
    luhn_complete,
    secret_sentence,
    secrets_by_kind,
)

EVERY_KIND = DetectOptions(kinds=frozenset(ALL_KINDS))


def found(text: str, options: DetectOptions = EVERY_KIND) -> list[tuple[str, str]]:
    spans = find_spans([text], options)
    return list(zip(spans["kind"].to_list(), spans["value"].to_list(), strict=True))


def qa(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


RNG = random.Random(7)
CARD = luhn_complete(RNG, "4539")
IBAN_DE = iban(RNG)

# --- detectors: every kind, and the look-alikes that must stay quiet ---------------------------

PII_CASES = [
    ("EMAIL", "write to jane.doe@acme-corp.io today", "jane.doe@acme-corp.io"),
    ("PHONE", "call (415) 555-2671 now", "(415) 555-2671"),
    ("PHONE", "London office: +44 20 7946 0958.", "+44 20 7946 0958"),
    ("PHONE", "phone 6502530000", "6502530000"),
    ("CARD", f"card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", None),
    ("CARD", f"card {CARD} please", CARD),
    ("IBAN", f"IBAN {IBAN_DE} thanks", IBAN_DE),
    ("IBAN", "GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32"),
    ("SSN", "SSN 536-22-8864 on file", "536-22-8864"),
    ("IP", "server 93.184.216.34 is up", "93.184.216.34"),
    ("IP", "DNS 2606:4700:4700::1111 answers", "2606:4700:4700::1111"),
]


@pytest.mark.parametrize(("kind", "text", "value"), PII_CASES)
def test_personal_data_is_detected(kind: str, text: str, value: str | None) -> None:
    hits = found(text)
    assert [k for k, _ in hits] == [kind], hits
    if value is not None:
        assert hits[0][1] == value


LOOK_ALIKES = [
    "order 4532015112830367 shipped",  # 16 digits, fails Luhn
    "order 4111111111111112 and 1234 5678 9012 3456",  # Luhn fails
    "we run version 1.2.3.4; upgrade to v10.0.0.1",  # version strings
    "pip install tool==2.3.4.5",
    "request 550e8400-e29b-41d4-a716-446655440000",  # UUID
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",  # git SHA
    "ISBN 978-0-306-40615-7 and 0-306-40615-2",
    "on 2023-01-15 at 12:30:45, took 00:01:02",  # dates and times
    "ticket 2125551234, invoice 000123456789",  # bare digit runs without phone context
    "user@example.com, admin@example.org, ops@test, a@b.invalid",  # RFC 2606 domains
    "use 192.0.2.10, 198.51.100.7, 203.0.113.5 or 2001:db8::1",  # documentation IPs
    "router 192.168.1.1, loopback 127.0.0.1 and ::1, 10.0.0.8",  # private, loopback
    "SSNs 000-12-3456, 666-12-3456, 901-12-3456, 123-45-6789 are never issued",
    "IBAN DE00 1234 5678 9012 3456 78 fails mod-97",
    "ship logo@2x.png and icon@3x.png; clone git@github.com:acme/app.git",
    "mac 00:1a:2b:3c:4d:5e, std::vector, dead::beef, price $1,234,567.89",
    "Example: AKIAIOSFODNN7EXAMPLE and aws_secret_access_key = "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "export OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'api_key="sk-your-key-here" or <YOUR_API_KEY> or ${API_KEY}',
    "jwt.io: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
    "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
    'password = os.environ["DB_PASSWORD"]; password = self.password',
    '{"password": "string", "token": "********"}',
    '{"session_token": "550e8400-e29b-41d4-a716-446655440000"}',
    "Stripe's docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    '{"key": "user_preferences_theme", "auth": "oauth2_authorization_code"}',
    "scikit-learn: sk-learn-compatible-estimators-wrapper-name",
    "Your password: at least twelve characters; password: required",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_not_flagged(text: str) -> None:
    assert found(text) == []


SECRETS = secrets_by_kind(random.Random(11))


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_every_secret_kind_is_detected(kind: str) -> None:
    value = SECRETS[kind]
    assert found(secret_sentence(kind, value)) == [(kind, value)]


@pytest.mark.parametrize(
    ("digits", "valid"), [("4539578763621486", True), ("4539578763621487", False), ("0", True)]
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn(digits) is valid


def test_mod97() -> None:
    assert mod97("GB82WEST12345698765432")
    assert not mod97("GB83WEST12345698765432")


def test_options_widen_and_narrow_detection() -> None:
    private = DetectOptions(kinds=frozenset({"IP"}), include_private_ips=True)
    assert found("router 192.168.1.1", private) == [("IP", "192.168.1.1")]
    example = DetectOptions(kinds=frozenset({"EMAIL"}), include_example_domains=True)
    assert found("user@example.com", example) == [("EMAIL", "user@example.com")]
    international = DetectOptions(kinds=frozenset({"PHONE"}), phone_region=None)
    assert found("call (415) 555-2671 or +44 20 7946 0958", international) == [
        ("PHONE", "+44 20 7946 0958")
    ]
    only_email = DetectOptions(kinds=frozenset({"EMAIL"}))
    assert found("jane@acme-corp.io, SSN 536-22-8864", only_email) == [
        ("EMAIL", "jane@acme-corp.io")
    ]


def test_overlaps_keep_the_most_specific_kind() -> None:
    key = SECRETS["OPENAI_KEY"]
    # A provider key in key/value context is one OPENAI_KEY, not also HIGH_ENTROPY.
    assert found(f'api_key = "{key}"') == [("OPENAI_KEY", key)]


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a", "abcd", "abcdefgh", "sk-proj-" + "A1b2" * 12])
def test_mask_shows_at_most_four_characters_and_a_quarter(value: str) -> None:
    shown = mask(value).split("…")[0]
    assert len(shown) <= min(4, len(value) // 4)
    assert mask(value).endswith(f"({len(value)} chars)")


def test_masked_excerpt_widens_over_cut_spans() -> None:
    text = "a" * 40 + " KEY1234567890 " + "b" * 10 + " SECRETSECRETSECRET " + "c" * 40
    first = (41, 54)
    second = (text.index("SECRET"), text.index("SECRET") + 18)
    excerpt = masked_excerpt(text, [first, second], 0, width=20)
    assert "KEY1234567890" not in excerpt and "SECRET" not in excerpt.replace("SECR…", "")


def test_mask_texts_masks_secrets_only() -> None:
    key = SECRETS["GITHUB_TOKEN"]
    texts = [f"token {key} here", "nothing here", "mail jane@acme-corp.io"]
    masked = mask_texts(texts)
    assert key not in masked[0] and masked[0].startswith("token ghp_…")
    assert masked[1:] == texts[1:]


def test_placeholders_are_typed() -> None:
    assert placeholder("EMAIL") == "[EMAIL]"
    assert placeholder("AWS_KEY") == "[AWS_KEY]"
    assert placeholder("HIGH_ENTROPY") == "[SECRET]"


def test_no_report_prints_a_planted_secret(tmp_path: Path) -> None:
    rows = [
        qa(secret_sentence(kind, value), "Revoke it now.")
        if i % 2
        else qa("What is this?", secret_sentence(kind, value))
        for i, (kind, value) in enumerate(SECRETS.items())
    ]
    rows.append(qa("My card", f"Card {CARD}, IBAN {IBAN_DE}, mail jane.doe@acme-corp.io"))
    path = tmp_path / "planted.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = audit([path], config=load_config(None, {"select": ["FT601", "FT602"]}))
    result = report.result("FT602")
    assert result is not None and result.status is Status.FAIL
    assert {f.message.split(" in ")[0] for f in result.findings} >= {"AWS access key id"}
    assert result.findings_total == len(SECRET_KINDS)
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=240, record=True))
    outputs = {
        "json": render_json(report),
        "terminal": buffer.getvalue(),
        "html": render_html(report),
    }
    planted = [*SECRETS.values(), CARD, IBAN_DE, "jane.doe@acme-corp.io"]
    for name, output in outputs.items():
        for value in planted:
            # Private keys span lines; no line of their body may show either.
            pieces = value.splitlines() if "\n" in value else [value]
            for piece in pieces:
                if len(piece) > 8:
                    assert piece not in output, (name, piece[:4])


# --- the checks ------------------------------------------------------------------------------


def test_personal_data_reports_kinds_and_roles() -> None:
    result = PersonalData().run(fixture("FT601", "bad"))
    assert result.status is Status.FAIL  # 7 of 8 rows, above 1%
    assert flagged(result) == [1, 2, 3, 4, 5, 6, 7]
    assert metric(result, "in_user") == 4
    assert metric(result, "in_assistant") == 2
    assert metric(result, "in_text") == 1
    assert metric(result, "phone_count") == 3
    first = result.findings[0]
    assert (first.path, first.message) == ("messages[0].content", "email address in a user message")
    assert "jane.doe" not in (first.excerpt or "")
    assert all(f.hint for f in result.findings)


def test_secrets_fixture_finds_one_of_each_kind() -> None:
    result = Secrets().run(fixture("FT602", "bad"))
    assert result.status is Status.FAIL
    assert metric(result, "affected_rows") == len(SECRET_KINDS)
    assert all(metric(result, f"{kind.lower()}_count") == 1 for kind in SECRET_KINDS)


def test_an_excerpt_masks_values_of_the_other_check_too(tmp_path: Path) -> None:
    key = SECRETS["GITHUB_TOKEN"]
    rows = [qa("hi", f"Mail jane.doe@acme-corp.io, token {key}.")]
    for check in (PersonalData(), Secrets()):
        result = check.run(context_of(tmp_path, rows))
        excerpt = result.findings[0].excerpt or ""
        assert key not in excerpt and "jane.doe" not in excerpt, excerpt


def test_one_secret_fails_but_a_little_personal_data_only_warns(tmp_path: Path) -> None:
    rows = [qa(f"Question {i}?", f"Answer {i}.") for i in range(199)]
    one_secret = [*rows, qa("key?", f"It is {SECRETS['AWS_KEY']}.")]
    assert Secrets().run(context_of(tmp_path, one_secret)).status is Status.FAIL
    one_email = [*rows, qa("mail?", "Write to jane.doe@acme-corp.io.")]
    assert PersonalData().run(context_of(tmp_path, one_email)).status is Status.WARN


def test_tool_arguments_and_rejected_answers_are_scanned(tmp_path: Path) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": json.dumps({"email": "bob@mailbox.org"})},
    }
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Find Bob."},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "content": "phone (415) 555-2671"},
                {"role": "assistant", "content": "Found him."},
            ]
        },
        {"prompt": "Bob's SSN?", "chosen": "I can't share that.", "rejected": "It is 536-22-8864."},
    ]
    result = PersonalData().run(context_of(tmp_path, rows))
    paths = {(f.line, f.path) for f in result.findings}
    assert paths == {
        (1, "messages[1].tool_calls[0].arguments"),
        (1, "messages[2].content"),
        (2, "rejected"),
    }
    assert metric(result, "in_tool") == 1


def test_options_come_from_the_config() -> None:
    config = load_config(None, {"checks": {"FT601": {"kinds": ["EMAIL"], "phone_region": "gb"}}})
    check = configured("FT601", config)
    assert isinstance(check, PersonalData)
    assert check.detect_options().kinds == frozenset({"EMAIL"})
    assert check.detect_options().phone_region == "GB"
    with pytest.raises(ConfigError, match="phone_region"):
        configured("FT601", load_config(None, {"checks": {"FT601": {"phone_region": "XX"}}}))
    with pytest.raises(ConfigError, match="kinds"):
        configured("FT602", load_config(None, {"checks": {"FT602": {"kinds": ["EMAIL"]}}}))


def test_kind_lists_cover_every_detector() -> None:
    assert set(PII_KINDS) | set(SECRET_KINDS) == set(ALL_KINDS)
    assert len(ALL_KINDS) == len(set(ALL_KINDS))
    assert PersonalData.Options().kinds == list(PII_KINDS)
    assert Secrets.Options().kinds == list(SECRET_KINDS)


PHONE_SHAPES = [
    "+1 415 555 2671",
    "(415) 555-2671",
    "415-555-2671",
    "415.555.2671",
    "4155552671",
    "call me at 4155552671",
    "order 4155552671 shipped",
    "4155552671 ext. 204",
    "4155552671 x12",
    "4155552671;ext=9",
    "4155552671      12#",
    "（415）555-2671",
    "＋1 415 555 2671",
    "[415] 555 2671",
    "tel: 020 7946 0958",
    "4155552671 доб 12",
    "4155552671 anexo 3",
    "4155552671 int 77",
    "mobile ٤١٥٥٥٥٢٦٧١",
    "ref 12345678901 and 98765432101",
    "415 - 555 - 2671",
    "415 -- 555 -- 2671",
]


def phone_corpus(count: int, seed: int) -> list[str]:
    """Seeded texts that mix phone-like digit runs with separators, leads, extensions,
    context words and plain ids."""
    rng = random.Random(seed)
    pieces = [
        *PHONE_SHAPES,
        "id",
        "ticket",
        "ext",
        "x",
        "#",
        "-",
        " ",
        "  ",
        "(",
        ")",
        "+",
        ".",
        "/",
        "phone",
        "contact",
        "Fax:",
        "apples",
        "in",
        ",",
        "~",
        "ｘ",
        "２",
    ]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.5:
                parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 11))))
            else:
                parts.append(rng.choice(pieces))
        texts.append(rng.choice(["", " ", "  "]).join(parts))
    return [*PHONE_SHAPES, *texts]


def test_the_phone_gate_skips_only_texts_the_matcher_accepts_nothing_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from auditor.sensitive import pii

    options = DetectOptions(kinds=frozenset({"PHONE"}))
    texts = phone_corpus(3000, seed=7)
    gated = [list(pii.phone_hits(text, options)) for text in texts]
    skipped = sum(not pii.PHONE_WORTH_MATCHING.search(text) for text in texts)
    monkeypatch.setattr(pii, "PHONE_WORTH_MATCHING", re.compile(""))
    ungated = [list(pii.phone_hits(text, options)) for text in texts]
    assert gated == ungated
    assert sum(map(bool, ungated)) > 300  # the corpus holds many accepted numbers
    assert skipped > 300  # and many texts the matcher is spared
