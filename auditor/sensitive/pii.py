"""Personal data detectors: each validates its candidates, so look-alikes stay quiet.

Cards pass Luhn and carry a card network's prefix; IBANs have their country's length and
pass mod-97; SSNs are in the ranges the SSA issues; IP addresses parse and are public
(documentation, private and reserved ranges only on request); phone numbers are parsed
and validated by libphonenumber; emails have a real-looking domain and TLD.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Literal, get_args

from auditor.sensitive.spans import DetectOptions, Detector, Hit, RegexDetector, preceded_by

PiiKind = Literal["EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP"]
PII_KINDS: tuple[str, ...] = get_args(PiiKind)

# --- email ---------------------------------------------------------------------------------

EMAIL = re.compile(
    r"(?<![\w.%+-])(?P<value>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-]|\.\w)"
)
#: RFC 2606 / RFC 6761 names reserved for documentation and testing.
EXAMPLE_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$", re.I
)
#: `logo@2x.png` is a file name, not an address.
FILE_SUFFIXES = frozenset(
    ["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "pdf", "js", "css"]
)


def valid_email(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    local, _, domain = match.group("value").rpartition("@")
    if text[match.end() : match.end() + 1] == ":":
        return False  # `git@github.com:org/repo.git`: an SSH remote, not an address
    if local.endswith(".") or ".." in local or domain.rsplit(".", 1)[-1].lower() in FILE_SUFFIXES:
        return False
    return options.include_example_domains or EXAMPLE_DOMAINS.search(domain) is None


# --- payment cards ---------------------------------------------------------------------------

CARD = re.compile(r"(?<![\d.,-])(?P<value>[0-9](?:[ -]?[0-9]){12,18})(?![\d-]|[.,]\d)")
#: Issuer prefixes (IIN ranges) of the networks; Luhn alone passes one number in ten.
CARD_PREFIX = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720)|3[47]|3(?:0[0-5]|[689])|6(?:011|4[4-9]|5|2)|35(?:2[89]|[3-8])"
)


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def valid_card(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    raw = match.group("value")
    digits = raw.replace(" ", "").replace("-", "")
    # Mixed separators ("1234-5678 9012") are not how a card number is written.
    if " " in raw and "-" in raw:
        return False
    return (
        13 <= len(digits) <= 19
        and len(set(digits)) > 2
        and CARD_PREFIX.match(digits) is not None
        and luhn(digits)
    )


# --- IBAN ----------------------------------------------------------------------------------

#: Official lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FO", "GL", "NL"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "XK"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "TL"], 23),
    **dict.fromkeys(["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["FR", "GR", "IT", "MC", "MR", "SM"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
}
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![a-z0-9])")


def iban_hits(text: str, options: DetectOptions) -> Iterator[Hit]:
    for match in IBAN.finditer(text):
        start = match.start()
        length = IBAN_LENGTHS.get(text[start : start + 2])
        if length is None:
            continue
        # Cut the run at the country's length (printed groups may run into other caps).
        end, taken = start, 0
        while end < match.end() and taken < length:
            taken += text[end] != " "
            end += 1
        compact = text[start:end].replace(" ", "")
        if taken == length and (end == match.end() or text[end] == " ") and mod97(compact):
            yield start, end


def mod97(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


# --- US SSN --------------------------------------------------------------------------------

SSN = re.compile(
    r"(?<![\w-])(?P<value>(?P<area>[0-9]{3})-(?P<group>[0-9]{2})-(?P<serial>[0-9]{4}))(?![\w-])"
)
#: Numbers the SSA or advertising made famous, never issued to the person using them.
SSN_KNOWN_FAKE = frozenset({"078-05-1120", "219-09-9999", "123-45-6789"})


def valid_ssn(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    area = int(match.group("area"))
    return (
        0 < area < 900
        and area != 666
        and match.group("group") != "00"
        and match.group("serial") != "0000"
        and match.group("value") not in SSN_KNOWN_FAKE
    )


# --- IP addresses --------------------------------------------------------------------------

IPV4 = re.compile(r"(?<![\w.])(?P<value>[0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![\w]|\.[0-9])")
IPV6 = re.compile(r"(?<![\w:.])(?P<value>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])")
#: `version 1.2.3.4`, `v10.0.0.1`, `==1.2.3.4`: a version number, not an address.
VERSION_BEFORE = re.compile(
    r"(?:\b(?:v|ver|version|release|rel|build|firmware|fw|rev|revision|update|upgrade|"
    r"patch|python|node|java|release-|tag)\.?\s*|[=<>~^@]\s*)$",
    re.I,
)


GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def valid_ip(text: str, match: re.Match[str], options: DetectOptions) -> bool:
    value = match.group("value")
    if ":" in value and not ("::" in value or value.count(":") == 7):
        return False  # a time (12:30:45) or a MAC address, not an IPv6 address
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if preceded_by(text, match.start(), VERSION_BEFORE):
        return False
    if options.include_private_ips:
        return True
    # Only 2000::/3 is allocated as global unicast: `dead::beef` parses, but is a word.
    return address.is_global and (address.version == 4 or address in GLOBAL_UNICAST)


# --- phone numbers -------------------------------------------------------------------------

#: Digit runs a bare number (no `+`, no separators) is accepted in only after one of these.
PHONE_CONTEXT = re.compile(
    r"\b(?:phone|tel|telephone|call|mobile|cell|fax|whatsapp|sms|text me|contact|reach me)\b",
    re.I,
)


#: What a text must hold for phone_hits to accept anything in it, so that the (slow,
#: pure-Python) matcher is skipped for texts whose only digit runs are bare ids. A match
#: libphonenumber finds is a lead (`(`, `[`, `+`, full-width forms), digit blocks with
#: at most 4 punctuation characters between them, then maybe an extension (`ext.`, `x`,
#: `#`, `доб`, `anexo`, `int`, `;ext=`). One that is not all digits therefore holds a
#: lead, two digits at most 4 characters apart, or a digit before an extension's first
#: letter; one that is all digits is accepted only after a PHONE_CONTEXT word.
PHONE_WORTH_MATCHING = re.compile(
    r"[(\[\uFF08\uFF3B+\uFF0B]|\d\D{1,4}\d|\d[\s,]*[;ex\uFF45\uFF58\u0434a#\uFF03~\uFF5Ei\uFF49]|"
    + PHONE_CONTEXT.pattern,
    re.I,
)


def phone_hits(text: str, options: DetectOptions) -> Iterator[Hit]:
    if not PHONE_WORTH_MATCHING.search(text):
        return
    import phonenumbers  # 45 ms to import: only once a text may hold a number

    matcher = phonenumbers.PhoneNumberMatcher(
        text, options.phone_region, leniency=phonenumbers.Leniency.VALID
    )
    for match in matcher:
        raw = match.raw_string
        # A bare run of digits is as often an order, ticket or account id as a phone
        # number: take it only where the text says it is one.
        if (
            raw.isdigit()
            and not raw.startswith("+")
            and not preceded_by(text, match.start, PHONE_CONTEXT, 40)
        ):
            continue
        yield match.start, match.end


def detectors() -> list[Detector]:
    """The personal-data detectors (prefilters in polars' Rust regex dialect)."""
    return [
        Detector(
            "EMAIL",
            r"[A-Za-z0-9._%+-]@[A-Za-z0-9-]+\.[A-Za-z]{2}",
            RegexDetector(EMAIL, valid_email),
            priority=60,
        ),
        Detector(
            "CARD", r"[0-9](?:[ -]?[0-9]){12,18}", RegexDetector(CARD, valid_card), priority=61
        ),
        Detector("IBAN", r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){4}", iban_hits, priority=62),
        Detector("SSN", r"[0-9]{3}-[0-9]{2}-[0-9]{4}", RegexDetector(SSN, valid_ssn), priority=63),
        Detector(
            "IP",
            r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f]{0,4}::|"
            r"(?:[0-9A-Fa-f]{1,4}:){3}[0-9A-Fa-f]{1,4}",
            IpDetector(),
            priority=64,
        ),
        Detector("PHONE", r"[0-9](?:[ ().-]{0,2}[0-9]){6,}", phone_hits, priority=65),
    ]


class IpDetector:
    """IPv4 and IPv6 candidates, each validated by `valid_ip`."""

    def __call__(self, text: str, options: DetectOptions) -> Iterator[Hit]:
        for pattern in (IPV4, IPV6):
            for match in pattern.finditer(text):
                if valid_ip(text, match, options):
                    yield match.span("value")


def check_region(region: str | None) -> str | None:
    """The region, upper-cased, if libphonenumber knows it; ValueError otherwise."""
    if region is None:
        return None
    import phonenumbers

    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r} (use an ISO code such as 'US', 'GB')")
    return region.upper()
