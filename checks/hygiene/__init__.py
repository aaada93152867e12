"""FT601–FT605: content hygiene — what a model must not learn from its training text.

Personal data and secrets in any text the model sees or learns (`sensitive`: FT601, FT602,
detectors in auditor.sensitive), and three signs of generated or exported answers:
canned refusals and AI disclaimers (`refusals`: FT603), answers cut off by a generator
(`truncation`: FT604), and boilerplate openers or closers (`boilerplate`: FT605). Each
is a few polars passes over the columns; Python runs only on regex candidates and on
the findings.
"""

from __future__ import annotations

from checks.hygiene.boilerplate import RepeatedBoilerplate
from checks.hygiene.refusals import CannedRefusals
from checks.hygiene.sensitive import PersonalData, Secrets
from checks.hygiene.truncation import TruncatedAnswers

__all__ = ["CannedRefusals", "PersonalData", "RepeatedBoilerplate", "Secrets", "TruncatedAnswers"]
