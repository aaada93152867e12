"""Secret detectors: provider key formats, private keys, JWTs, passwords, high entropy.

The formats follow detect-secrets' plugin catalogue (AWS, GitHub, OpenAI, Slack, Stripe,
JWT, private key, keyword and Base64/Hex high-entropy plugins), written anew for
polars prefilters. Documentation values are not secrets: AWS's `…EXAMPLE` keys,
`sk-xxxx`/`your-key-here` fillers, jwt.io's sample token, key headers without a body.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Literal, get_args

from auditor.sensitive.spans import (
    DetectOptions,
    Detector,
    Hit,
    RegexDetector,
    entropy,
    is_placeholder,
)

SecretKind = Literal[
    "AWS_KEY",
    "AWS_SECRET",
    "GITHUB_TOKEN",
    "OPENAI_KEY",
    "ANTHROPIC_KEY",
    "SLACK_TOKEN",
    "STRIPE_KEY",
    "GOOGLE_API_KEY",
    "PRIVATE_KEY",
    "JWT",
    "PASSWORD",
    "HIGH_ENTROPY",
]
SECRET_KINDS: tuple[str, ...] = get_args(SecretKind)


def not_placeholder(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    return not is_placeholder(match.group("value"))


def random_body(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    """A generated key's body mixes cases and digits; `sk-learn-style-name` does not."""
    value = match.group("value")
    body = value[3:]
    return (
        not is_placeholder(value)
        and any(c.isdigit() for c in body)
        and any(c.isupper() for c in body)
        and any(c.islower() for c in body)
        and entropy(body) > 3.5
    )


AWS_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?P<value>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})(?![A-Za-z0-9])"
)
AWS_SECRET = re.compile(
    r"(?i)aws[A-Za-z0-9_.-]{0,20}?(?:secret|key)[A-Za-z0-9_.-]{0,20}[\"']?\s{0,3}[:=]\s{0,3}"
    r"[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)


def valid_aws_secret(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    value = match.group("value")
    return not is_placeholder(value) and entropy(value) > 4.0


GITHUB = re.compile(
    r"(?<![A-Za-z0-9_])(?P<value>gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})"
    r"(?![A-Za-z0-9_])"
)
OPENAI = re.compile(
    r"(?<![A-Za-z0-9_-])(?P<value>sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,})"
    r"(?![A-Za-z0-9_-])"
)
ANTHROPIC = re.compile(
    r"(?<![A-Za-z0-9_-])(?P<value>sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{32,})(?![A-Za-z0-9_-])"
)
SLACK = re.compile(
    r"(?<![A-Za-z0-9-])(?P<value>xox[abposr]-(?:[0-9]+-)+[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
    r"|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)"
)


def valid_slack(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    value = match.group("value")
    return len(value) >= 24 and not is_placeholder(value)


# Live keys only: Stripe's documentation prints its test keys (`sk_test_4eC39Hq…`).
STRIPE = re.compile(r"(?<![A-Za-z0-9_])(?P<value>[rs]k_live_[0-9A-Za-z]{24,99})(?![A-Za-z0-9_])")
GOOGLE = re.compile(r"(?<![A-Za-z0-9_-])(?P<value>AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])")

# --- private keys ---------------------------------------------------------------------------

KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----")
KEY_END = re.compile(r"-----END[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----")
KEY_BODY = re.compile(r"[A-Za-z0-9+/=\s]*")
BASE64_CHAR = re.compile(r"[A-Za-z0-9+/]")
#: A block this long without its END line is cut here; keys are a few kB.
MAX_KEY_CHARS = 16_384


def private_key_hits(text: str, options: DetectOptions) -> Iterator[Hit]:
    """A header with a key body (64+ base64 characters), through its END line if present.

    A header alone, or one followed by `...`, is documentation.
    """
    pos = 0
    while (begin := KEY_BEGIN.search(text, pos)) is not None:
        end_match = KEY_END.search(text, begin.end(), begin.end() + MAX_KEY_CHARS)
        if end_match is not None:
            body, end = text[begin.end() : end_match.start()], end_match.end()
        else:
            run = KEY_BODY.match(text, begin.end())
            end = run.end() if run else begin.end()
            body = text[begin.end() : end]
            end = begin.end() + len(body.rstrip())
        pos = max(end, begin.end())
        if (
            len(BASE64_CHAR.findall(body)) >= 64
            and "..." not in body
            and "…" not in body
            and not re.search("xxxx", body, re.I)
        ):
            yield begin.start(), end


# --- JWT -----------------------------------------------------------------------------------

JWT = re.compile(
    r"(?<![A-Za-z0-9_-])(?P<value>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,})"
    r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9_-])"
)


def _b64json(part: str) -> object:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        return None


def valid_jwt(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    header, payload, _ = match.group("value").split(".")
    head, claims = _b64json(header), _b64json(payload)
    if not isinstance(head, dict) or "alg" not in head or not isinstance(claims, dict):
        return False
    # jwt.io's sample token, printed in countless tutorials.
    return not (claims.get("sub") == "1234567890" and claims.get("name") == "John Doe")


# --- password assignments ---------------------------------------------------------------------

PASSWORD = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_-])*(?:password|passwd|passphrase|pwd|pass)"
    r"[\"']?\s{0,3}[:=]\s{0,3}"
    r"(?:(?P<q>[\"'])(?P<quoted>[^\"'\s]{6,128})(?P=q)|(?P<bare>[^\s\"'`,;(){}\[\]<>]{6,128}))"
)
#: Quoted words that describe a password field rather than hold one (schemas, forms).
NOT_A_PASSWORD = frozenset(
    [
        "string",
        "required",
        "optional",
        "password",
        "passwd",
        "secret",
        "hidden",
        "masked",
        "null",
        "none",
        "true",
        "false",
        "undefined",
        "nullable",
        "text",
        "str",
        "integer",
        "number",
        "boolean",
    ]
)
#: A bare value made of letters, `_` and `.` reads as code (`password = self.password`).
CODE_REFERENCE = re.compile(r"[A-Za-z_.]+")


def password_hits(text: str, options: DetectOptions) -> Iterator[Hit]:
    for match in PASSWORD.finditer(text):
        group = "quoted" if match.group("quoted") is not None else "bare"
        value = match.group(group)
        if value.lower() in NOT_A_PASSWORD or is_placeholder(value):
            continue
        if group == "bare" and (
            CODE_REFERENCE.fullmatch(value) or not any(c.isalpha() for c in value)
        ):
            continue
        yield match.span(group)


# --- high entropy in key/value context ---------------------------------------------------------

KEYWORDS = "key|token|secret|auth|credential|signature|session|bearer"
HIGH_ENTROPY = re.compile(
    rf"(?i)(?:(?:{KEYWORDS})[A-Za-z0-9_]*[\"']?\s{{0,3}}[:=]\s{{0,3}}[\"']?|bearer\s+)"
    r"(?P<value>[A-Za-z0-9+/=_-]{16,})(?![A-Za-z0-9+/=_.-])"
)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HEX = re.compile(r"[0-9a-fA-F]+")


def high_entropy_hits(text: str, options: DetectOptions) -> Iterator[Hit]:
    """Random-looking tokens assigned to a key-like name (detect-secrets' entropy limits)."""
    for match in HIGH_ENTROPY.finditer(text):
        value = match.group("value")
        if (
            len(value) < options.entropy_min_length
            or value.isdigit()
            or UUID.fullmatch(value)
            or is_placeholder(value)
        ):
            continue
        limit = options.entropy_hex if HEX.fullmatch(value) else options.entropy_base64
        if entropy(value) > limit:
            yield match.span("value")


def detectors() -> list[Detector]:
    """The secret detectors (prefilters in polars' Rust regex dialect)."""
    return [
        Detector("PRIVATE_KEY", r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY", private_key_hits, priority=10),
        Detector(
            "AWS_KEY",
            r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
            RegexDetector(AWS_KEY, not_placeholder),
            priority=20,
        ),
        Detector(
            "AWS_SECRET",
            r"(?is)aws.{0,60}[A-Za-z0-9/+]{40}",
            RegexDetector(AWS_SECRET, valid_aws_secret),
            priority=21,
        ),
        Detector(
            "GITHUB_TOKEN",
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22}",
            RegexDetector(GITHUB, not_placeholder),
            priority=22,
        ),
        Detector(
            "ANTHROPIC_KEY",
            r"sk-ant-[a-z]+[0-9]{2}-",
            RegexDetector(ANTHROPIC, random_body),
            priority=23,
        ),
        Detector(
            "OPENAI_KEY", r"sk-[A-Za-z0-9_-]{32}", RegexDetector(OPENAI, random_body), priority=24
        ),
        Detector(
            "SLACK_TOKEN",
            r"xox[abposr]-[0-9]|hooks\.slack\.com/services/T",
            RegexDetector(SLACK, valid_slack),
            priority=25,
        ),
        Detector(
            "STRIPE_KEY",
            r"[rs]k_live_[0-9A-Za-z]{24}",
            RegexDetector(STRIPE, not_placeholder),
            priority=26,
        ),
        Detector(
            "GOOGLE_API_KEY",
            r"AIza[0-9A-Za-z_-]{35}",
            RegexDetector(GOOGLE, not_placeholder),
            priority=27,
        ),
        Detector(
            "JWT",
            r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.",
            RegexDetector(JWT, valid_jwt),
            priority=30,
        ),
        Detector("PASSWORD", r"(?i)(?:pass|pwd)[A-Za-z]*[\"']?\s*[:=]", password_hits, priority=40),
        Detector(
            "HIGH_ENTROPY",
            rf"(?i)(?:{KEYWORDS})[A-Za-z0-9_]*[\"']?\s*[:=]?\s*[\"']?[A-Za-z0-9+/=_-]{{16}}",
            high_entropy_hits,
            priority=45,
        ),
    ]
