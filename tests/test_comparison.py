"""auditor.comparison's normalization: NFKC, lower case, whitespace collapsed, trimmed."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.comparison import normalized, normalized_texts


def by_definition(texts: pl.Series) -> pl.Series:
    """The definition, written out: NFKC on every text and every `\\s+` run rewritten."""
    return (
        texts.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


SPACES = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2007\u200b\u2028\u2029\u202f\u205f\u3000"
TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from("aZ9 .é" + SPACES + "ﬁｆＡ①ǅ"), max_size=20),
        st.text(max_size=20),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_normalized_texts_follow_the_definition(values: list[str | None]) -> None:
    texts = pl.Series("view", values, dtype=pl.String)
    got = normalized_texts(texts)
    assert got.name == "view"
    assert got.to_list() == by_definition(texts).to_list()
    assert got.to_list() == texts.to_frame().select(normalized(pl.col("view")))["view"].to_list()
    assert texts.to_list() == values  # the input column is left as it was


def test_examples() -> None:
    texts = pl.Series("v", ["  Hello\u00a0 World\t\n", None, "ｆｕｌｌ\u3000ｗｉｄｔｈ", "ﬁ  A"])
    assert normalized_texts(texts).to_list() == ["hello world", "", "full width", "fi a"]
