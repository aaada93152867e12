"""The training-target profiles (auditor/targets/profiles/*.toml) load, validate and stay honest."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.config import ConfigError
from auditor.formats import NORMALIZERS, PROMPT_ONLY_FORMATS
from auditor.target_profiles import (
    EpochHeuristic,
    Epochs,
    Limits,
    TargetProfile,
    TaskRules,
    load_profile,
    profile_names,
)

ROOT = Path(__file__).parent.parent
HOSTED = {"openai", "together", "vertex", "bedrock"}
TRAINERS = {"trl", "axolotl", "llama-factory", "unsloth", "torchtune"}
#: Formats ftaudit reads in a training file (the eval-only prompt shapes have no answer).
TRAINING_FORMATS = set(NORMALIZERS) - PROMPT_ONLY_FORMATS

PROFILES = [load_profile(name) for name in profile_names()]
IDS = [profile.name for profile in PROFILES]


def limits_of(profile: TargetProfile) -> list[tuple[str, Limits | object]]:
    found: list[tuple[str, Limits | object]] = list(profile.tasks().items())
    found += [(f"models.{name}", rules) for name, rules in profile.models.items()]
    return found


def test_every_platform_has_a_profile() -> None:
    assert set(profile_names()) == HOSTED | TRAINERS


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_profile_names_its_file_and_kind(profile: TargetProfile) -> None:
    assert profile.kind == ("hosted" if profile.name in HOSTED else "trainer")
    assert profile.title


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_profile_cites_its_sources_and_date(profile: TargetProfile) -> None:
    assert profile.sources
    assert all(url.startswith("https://") for url in profile.sources)
    assert len(set(profile.sources)) == len(profile.sources)
    assert isinstance(profile.read, dt.date)
    assert dt.date(2025, 1, 1) <= profile.read <= dt.date.today()


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_profile_lists_what_it_could_not_confirm(profile: TargetProfile) -> None:
    assert profile.unconfirmed, "say what could not be confirmed, if only throughput"
    assert all(item.strip() for item in profile.unconfirmed)


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_every_format_is_one_ftaudit_reads(profile: TargetProfile) -> None:
    for task, rules in profile.tasks().items():
        unknown = set(rules.formats) - TRAINING_FORMATS
        assert not unknown, f"{profile.name}.{task} lists formats ftaudit cannot read: {unknown}"
        assert rules.formats or rules.shapes, f"{profile.name}.{task} says nothing of its shape"
    assert profile.sft is not None and profile.sft.formats, "every target trains SFT on something"


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_numeric_limits_are_positive_and_ordered(profile: TargetProfile) -> None:
    for where, rules in limits_of(profile):
        for key in ("min_examples", "max_examples", "max_tokens_per_example", "max_file_bytes"):
            value = getattr(rules, key, None)
            assert value is None or value > 0, f"{profile.name} {where}.{key} = {value}"
        low, high = getattr(rules, "min_examples", None), getattr(rules, "max_examples", None)
        if low is not None and high is not None:
            assert low <= high, f"{profile.name} {where}: min_examples > max_examples"
    if profile.epochs is not None:
        epochs = profile.epochs
        if epochs.min is not None and epochs.max is not None:
            assert epochs.min <= epochs.max
        if isinstance(epochs.default, int):
            assert epochs.default > 0
            assert epochs.min is None or epochs.min <= epochs.default
            assert epochs.max is None or epochs.default <= epochs.max


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_weights_are_a_loss_mask(profile: TargetProfile) -> None:
    for rules in profile.tasks().values():
        assert set(rules.weight_values) <= {0, 1}
        if rules.weight_values:
            assert rules.weight != "none"


@pytest.mark.parametrize("profile", [p for p in PROFILES if p.kind == "trainer"], ids=str)
def test_trainers_have_no_price_and_name_their_length_setting(profile: TargetProfile) -> None:
    assert profile.pricing.startswith("none"), "a trainer runs on your GPUs: say there is no price"
    assert all(model.price_per_mtok_training is None for model in profile.models.values())
    assert profile.sequence_length is not None
    assert profile.sequence_length.setting


@pytest.mark.parametrize("profile", [p for p in PROFILES if p.kind == "hosted"], ids=str)
def test_hosted_apis_say_how_training_is_priced(profile: TargetProfile) -> None:
    assert profile.pricing
    prices = [m.price_per_mtok_training for m in profile.models.values()]
    if not any(prices):
        assert any("price" in item.lower() for item in profile.unconfirmed), (
            "no price recorded: name it in unconfirmed"
        )


def test_openai_records_its_epoch_heuristic_and_file_rules() -> None:
    openai = load_profile("openai")
    assert openai.sft is not None and openai.sft.formats == ["openai-chat"]
    assert openai.sft.min_examples == 10
    assert openai.sft.weight_values == [0, 1]
    assert openai.preference is not None and openai.preference.formats == ["openai-preference"]
    assert openai.epochs is not None and openai.epochs.default == "auto"
    heuristic = openai.epochs.heuristic
    assert heuristic is not None
    # The cookbook's rule: a 1M-row set gets max(1, 25000 // 1M) = 1 epoch, not 3.
    rows = 1_000_000
    assert rows * heuristic.target_epochs > heuristic.max_target_examples
    assert max(heuristic.min_default_epochs, heuristic.max_target_examples // rows) == 1


def test_alpaca_is_not_an_openai_format() -> None:
    """The issue's acceptance case: an Alpaca file targeted at OpenAI must be refused."""
    assert "alpaca" not in load_profile("openai").all_formats()


def test_chat_templates_record_system_handling() -> None:
    unsloth = load_profile("unsloth")
    assert unsloth.chat_templates["gemma"].system == "merged-into-first-user"
    assert load_profile("axolotl").chat_templates["gemma"].system == "refused"


def test_unknown_target_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile("sagemaker")
    message = str(caught.value)
    assert "sagemaker" in message
    for name in HOSTED | TRAINERS:
        assert name in message


def test_profiles_are_cached_and_immutable() -> None:
    first = load_profile("openai")
    assert load_profile("openai") is first
    with pytest.raises(ValidationError):
        first.name = "other"  # type: ignore[misc]


def test_schema_forbids_unknown_keys() -> None:
    data = tomllib.loads((ROOT / "auditor/targets/profiles/openai.toml").read_text())
    data["sft"]["max_example"] = 5  # a typo must not pass as "no limit"
    with pytest.raises(ValidationError):
        TargetProfile.model_validate(data)


def test_schema_rejects_bad_numbers_and_sources() -> None:
    with pytest.raises(ValidationError):
        TaskRules(min_examples=0)
    with pytest.raises(ValidationError):
        Limits(min_examples=100, max_examples=10)
    with pytest.raises(ValidationError):
        Epochs(min=5, max=2)
    with pytest.raises(ValidationError):
        EpochHeuristic(
            target_epochs=3,
            min_target_examples=30000,
            max_target_examples=100,
            min_default_epochs=1,
            max_default_epochs=25,
            source="https://example.com",
        )
    data = tomllib.loads((ROOT / "auditor/targets/profiles/trl.toml").read_text())
    data["sources"] = ["docs page"]
    with pytest.raises(ValidationError):
        TargetProfile.model_validate(data)
    data["sources"] = []
    with pytest.raises(ValidationError):
        TargetProfile.model_validate(data)


def test_profiles_ship_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert "targets/profiles/*.toml" in package_data["auditor"]
