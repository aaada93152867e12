"""Typed access to the training-target profiles in auditor/targets/profiles/*.toml.

A profile is data, not code: what a hosted fine-tuning API or an open-source trainer
documents about the training files it accepts, with the pages it was read from and the
date. The FT7xx checks (`--target NAME`) read a profile through `load_profile`; nothing
here judges a dataset.

Conventions the profiles keep:
- `formats` are ftaudit's own format names (the keys of `auditor.formats.NORMALIZERS`),
  so a check can compare them with each row's detected format. A platform shape that
  ftaudit cannot read yet is described in `shapes` and leaves `formats` empty.
- A number is recorded only where the vendor's own page or source states it; anything
  that could not be confirmed is named in `unconfirmed` and left out.
- Limits on a task (`[sft]`, `[preference]`, `[kto]`) hold for every model; a model's
  own limit (`[models."ID"]`) overrides the task's where both are given.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from auditor.config import ConfigError

PROFILE_PACKAGE = "auditor.targets"
PROFILE_DIR = "profiles"

#: How a chat template treats a system message: passed through as its own turn, folded
#: into the first user turn, silently dropped, or refused with an error.
SystemHandling = Literal["kept", "merged-into-first-user", "dropped", "refused"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    """Numeric limits; None where the source states none."""

    min_examples: int | None = Field(default=None, gt=0)
    max_examples: int | None = Field(default=None, gt=0)
    max_tokens_per_example: int | None = Field(default=None, gt=0)
    max_file_bytes: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def min_not_above_max(self) -> Limits:
        if (
            self.min_examples is not None
            and self.max_examples is not None
            and self.min_examples > self.max_examples
        ):
            raise ValueError(
                f"min_examples ({self.min_examples}) exceeds max_examples ({self.max_examples})"
            )
        return self


class TaskRules(Limits):
    """The rules for one training method's files (SFT, preference pairs, KTO)."""

    #: ftaudit format names the platform accepts for this method.
    formats: list[str] = Field(default_factory=list)
    #: The platform's own shapes, in words, including any ftaudit cannot read.
    shapes: list[str] = Field(default_factory=list)
    #: Top-level keys a record must have / may have (platform-native names).
    required_fields: list[str] = Field(default_factory=list)
    optional_fields: list[str] = Field(default_factory=list)
    #: Roles allowed in messages, in ftaudit's canonical vocabulary where it maps.
    roles: list[str] = Field(default_factory=list)
    #: Roles a conversation may start with (after an optional system message).
    first_roles: list[str] = Field(default_factory=list)
    #: The role the conversation (or the prompt, for preference data) must end with.
    last_role: str | None = None
    #: True when user and assistant turns must strictly alternate.
    alternating: bool = False
    #: Loss-mask semantics, in words ("none" when there is no per-message control).
    weight: str = "none"
    #: The values a per-message `weight` may take, when the platform has one.
    weight_values: list[float] = Field(default_factory=list)
    #: What the loss is computed on by default, and the setting that changes it.
    loss_default: str = ""
    notes: str = ""


class ModelRules(Strict):
    """One base model's own figures; they override the task limits."""

    methods: list[str] = Field(default_factory=list)  # "sft", "preference", "kto"
    max_tokens_per_example: int | None = Field(default=None, gt=0)
    max_examples: int | None = Field(default=None, gt=0)
    #: USD per 1M training tokens, where the vendor publishes it.
    price_per_mtok_training: float | None = Field(default=None, gt=0)
    notes: str = ""


class EpochHeuristic(Strict):
    """A vendor's documented default-epoch rule, in data form.

    Start at `target_epochs`; when examples x epochs falls under `min_target_examples`,
    raise epochs to min(max_default_epochs, min_target_examples // examples); when it
    exceeds `max_target_examples`, lower them to
    max(min_default_epochs, max_target_examples // examples).
    """

    target_epochs: int = Field(gt=0)
    min_target_examples: int = Field(gt=0)
    max_target_examples: int = Field(gt=0)
    min_default_epochs: int = Field(gt=0)
    max_default_epochs: int = Field(gt=0)
    source: str

    @model_validator(mode="after")
    def ordered(self) -> EpochHeuristic:
        if self.min_target_examples > self.max_target_examples:
            raise ValueError("min_target_examples exceeds max_target_examples")
        if self.min_default_epochs > self.max_default_epochs:
            raise ValueError("min_default_epochs exceeds max_default_epochs")
        return self


class Epochs(Strict):
    #: A fixed default, or "auto" when the platform picks (see `heuristic`).
    default: int | Literal["auto"] | None = None
    min: int | None = Field(default=None, gt=0)
    max: int | None = Field(default=None, gt=0)
    heuristic: EpochHeuristic | None = None
    notes: str = ""

    @model_validator(mode="after")
    def ordered(self) -> Epochs:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"epochs min ({self.min}) exceeds max ({self.max})")
        if isinstance(self.default, int) and self.default <= 0:
            raise ValueError("epochs default must be positive")
        return self


class Throughput(Strict):
    """Training speed, only where the vendor documents it."""

    tokens_per_second: float | None = Field(default=None, gt=0)
    notes: str = ""


class SequenceLength(Strict):
    """Where a trainer's maximum sequence length comes from (trainers only)."""

    setting: str  # the config key, e.g. "max_length" or "sequence_len"
    default: int | None = Field(default=None, gt=0)
    overflow: str = ""  # what happens to a longer example
    notes: str = ""


class ChatTemplate(Strict):
    """A chat-template fact that changes what trains."""

    system: SystemHandling
    roles: list[str] = Field(default_factory=list)  # roles the template renders
    notes: str = ""


class TargetProfile(Strict):
    name: str
    kind: Literal["hosted", "trainer"]
    title: str
    read: dt.date
    sources: list[str] = Field(min_length=1)
    notes: str = ""
    unconfirmed: list[str] = Field(default_factory=list)
    #: How training is priced, in words ("none: runs on your own GPUs" for trainers).
    pricing: str = ""
    sft: TaskRules | None = None
    preference: TaskRules | None = None
    kto: TaskRules | None = None
    models: dict[str, ModelRules] = Field(default_factory=dict)
    epochs: Epochs | None = None
    throughput: Throughput | None = None
    sequence_length: SequenceLength | None = None
    chat_templates: dict[str, ChatTemplate] = Field(default_factory=dict)

    @model_validator(mode="after")
    def sources_are_urls(self) -> TargetProfile:
        for url in self.sources:
            if not url.startswith("https://"):
                raise ValueError(f"source is not an https URL: {url!r}")
        return self

    def tasks(self) -> dict[str, TaskRules]:
        """The training methods the profile describes, by name."""
        found = {"sft": self.sft, "preference": self.preference, "kto": self.kto}
        return {name: rules for name, rules in found.items() if rules is not None}

    def all_formats(self) -> set[str]:
        """Every ftaudit format name the profile accepts, for any method."""
        return {fmt for rules in self.tasks().values() for fmt in rules.formats}


def profile_names() -> list[str]:
    """The names of the profiles shipped in the package, sorted."""
    folder = resources.files(PROFILE_PACKAGE).joinpath(PROFILE_DIR)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(".toml")
    )


@cache
def load_profile(name: str) -> TargetProfile:
    """The profile called `name`; ConfigError for an unknown name or a broken file."""
    known = profile_names()
    if name not in known:
        raise ConfigError(f"unknown target {name!r}; known targets: {', '.join(known)}")
    resource = resources.files(PROFILE_PACKAGE).joinpath(PROFILE_DIR, f"{name}.toml")
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
        profile = TargetProfile.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"target profile {name!r} is invalid: {exc}") from exc
    if profile.name != name:
        raise ConfigError(f"target profile file {name}.toml names itself {profile.name!r}")
    return profile
