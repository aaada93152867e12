"""Generate a realistic, seeded OpenAI-chat JSONL fine-tuning set for benchmarks.

    python benchmarks/generate.py --rows 100000 --out benchmarks/data/chat_100k.jsonl

Each row has a system prompt drawn from a few (most rows), 1–3 user/assistant turns and,
in about one row in six, tools declared at the top level with an assistant tool call, the
tool's result and a final answer. Texts are drawn word by word from a Zipf-weighted
vocabulary (common English words plus generated technical terms and some non-ASCII
words), so no two texts are alike but word frequencies look like real text. Rows average
about 1.1 KB, so 100k rows are about 110 MB.

Rows are built in blocks of BLOCK_ROWS, each from its own generator seeded with
(seed, block index): the same seed always gives the same bytes, and the first 100k rows
of a 1M-row file are the 100k-row file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BLOCK_ROWS = 10_000
DEFAULT_SEED = 20240601


def words(text: str) -> list[str]:
    return text.split()


COMMON_WORDS = words(
    """
the of and to a in is it you that he was for on are with as I his they be at one have
this from or had by word but what some we can out other were all there when up use your
how said an each she which do their time if will way about many then them write would
like so these her long make thing see him two has look more day could go come did number
sound no most people my over know water than call first who may down side been now find
any new work part take get place made live where after back little only round man year
came show every good me give our under name very through just form sentence great think
say help low line differ turn cause much mean before move right boy old too same tell
does set three want air well also play small end put home read hand port large spell add
even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head
stand own page should country found answer school grow study still learn plant cover food
sun four between state keep eye never last let thought city tree cross farm hard start
might story saw far sea draw left late run while press close night real life few north
open seem together next white children begin got walk example ease paper group always
music those both mark often letter until mile river car feet care second book carry took
science eat room friend began idea fish mountain stop once base hear horse cut sure watch
color face wood main enough plain girl usual young ready above ever red list though feel
talk bird soon body dog family direct pose leave song measure door product black short
numeral class wind question happen complete ship area half rock order fire south problem
piece told knew pass since top whole king space heard best hour better true during
hundred five remember step early hold west ground interest reach fast verb sing listen six
table travel less morning ten simple several vowel toward war lay against pattern slow
center love person money serve appear road map rain rule govern pull cold notice voice
unit power town fine certain fly fall lead cry dark machine note wait plan figure star box
noun field rest correct able pound done beauty drive stood contain front teach week final
gave green oh quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane
stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow
tire bring yes distant fill east paint language among grand ball yet wave drop heart am
present heavy dance engine position arm wide sail material size vary settle speak weight
general ice matter circle pair include divide syllable felt perhaps pick sudden count
square reason length represent art subject region energy hunt probable bed brother egg
ride cell believe fraction forest sit race window store summer train sleep prove lone leg
exercise wall catch mount wish sky board joy winter sat written wild instrument kept glass
grass cow job edge sign visit past soft fun bright gas weather month million bear finish
happy hope flower clothe strange gone jump baby eight village meet root buy raise solve
metal whether push seven paragraph third shall held hair describe cook floor either result
burn hill safe cat century consider type law bit coast copy phrase silent tall sand soil
roll temperature finger industry value fight lie beat excite natural view sense ear else
quite broke case middle kill son lake moment scale loud spring observe child straight
consonant nation dictionary milk speed method organ pay age section dress cloud surprise
quiet stone tiny climb cool design poor lot experiment bottom key iron single stick flat
twenty skin smile crease hole trade melody trip office receive row mouth exact symbol die
least trouble shout except wrote seed tone join suggest clean break lady yard rise bad
blow oil blood touch grew cent mix team wire cost lost brown wear garden equal sent choose
fell fit flow fair bank collect save control decimal gentle woman captain practice
separate difficult doctor please protect noon whose locate ring character insect caught
period indicate radio spoke atom human history effect electric expect crop modern element
hit student corner party supply bone rail imagine provide agree thus capital chair danger
fruit rich thick soldier process operate guess necessary sharp wing create neighbor wash
bat rather crowd corn compare poem string bell depend meat rub tube famous dollar stream
fear sight thin triangle planet hurry chief colony clock mine tie enter major fresh search
send yellow gun allow print dead spot desert suit current lift rose continue block chart
hat sell success company subtract event particular deal swim term opposite wife shoe
shoulder spread arrange camp invent cotton born determine quart nine truck noise level
chance gather shop stretch throw shine property column molecule select wrong gray repeat
require broad prepare salt nose plural anger claim continent oxygen sugar death pretty
skill women season solution magnet silver thank branch match suffix especially fig afraid
huge sister steel discuss forward similar guide experience score apple bought led pitch
coat mass card band rope slip win dream evening condition feed tool total basic smell
valley nor double seat arrive master track parent shore division sheet substance favor
connect post spend chord fat glad original share station dad bread charge proper bar offer
segment slave duck instant market degree populate chick dear enemy reply drink occur
support speech nature range steam motion path liquid log meant quotient teeth shell neck
"""
)

TECH_WORDS = words(
    """
account invoice refund order shipment tracking password login server database query
deployment container cluster latency endpoint request response token model dataset
pipeline schema migration backup policy subscription billing customer ticket escalation
warranty firmware update install configure network router bandwidth timeout retry cache
index partition replica metric dashboard alert incident report summary contract clause
compliance audit privacy consent patient appointment prescription dosage symptom recipe
ingredient itinerary flight booking reservation hotel checkout discount coupon balance
transaction transfer statement mortgage interest premium deductible claim adjuster
"""
)

UNICODE_WORDS = words("café naïve résumé Zürich São Paulo München façade déjà coöperate Ångström")

SYLLABLES = words("ka lo mi ra te su ne vo ti pa de xi ro la mu fe zo ki ba no ri sa to ve")

SYSTEM_PROMPTS = [
    "You are a helpful customer support assistant for Acme Cloud. Answer politely and "
    "concisely, and escalate billing disputes to a human agent.",
    "You are a senior software engineer. Explain your reasoning step by step and include "
    "short code examples where they help.",
    "You are a friendly travel planner. Suggest practical itineraries and always mention "
    "visa and weather considerations.",
    "You are a medical information assistant. Give general information only and advise "
    "the user to consult a licensed professional for diagnosis.",
    "You are a concise assistant that answers in plain English without jargon.",
    "You are an internal IT helpdesk bot for Globex Corporation. Follow company policy "
    "and never reveal credentials.",
]

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Look up the current status of a customer order by its id.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "description": "Order id"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather and a three day forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_knowledge_base",
            "description": "Full-text search over internal help articles.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 20},
                },
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "create_ticket",
            "description": "Open a support ticket and return its id.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "priority": {"type": "string", "enum": ["low", "normal", "high"]},
                },
                "required": ["title"],
            },
        },
    },
]
CITIES = ["Oslo", "Lisbon", "Nairobi", "Kyoto", "Zürich", "São Paulo", "Denver", "Hanoi"]

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Vocabulary:
    """Words in four spellings (plain, Capitalized, ending a sentence, both) and weights."""

    spellings: StrArray  # shape (4, size): index = 2 * capitalized + ends_sentence
    weights: npt.NDArray[np.float64]

    @property
    def size(self) -> int:
        return int(self.spellings.shape[1])


def build_vocabulary(extra_words: int = 4000, seed: int = DEFAULT_SEED) -> Vocabulary:
    """Common words first (most frequent), then domain terms, rare invented terms last."""
    rng = np.random.default_rng(seed)
    invented = {
        "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5)))) for _ in range(extra_words)
    }
    words = list(dict.fromkeys(COMMON_WORDS + TECH_WORDS + UNICODE_WORDS + sorted(invented)))
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = 1.0 / ranks**1.05  # Zipf's law, as in natural text
    spellings = np.empty((4, len(words)), dtype=object)
    for i, word in enumerate(words):
        capital = word[:1].upper() + word[1:]
        spellings[:, i] = [word, word + ".", capital, capital + "."]
    return Vocabulary(spellings, weights / weights.sum())


def texts_of_lengths(rng: np.random.Generator, vocab: Vocabulary, lengths: IntArray) -> list[str]:
    """One text per length (in words): sentences of ~6–20 words, Capitalized, with periods."""
    total = int(lengths.sum())
    words = rng.choice(vocab.size, size=total, p=vocab.weights)
    ends = rng.random(total) < 1 / 12
    starts = np.zeros(total, dtype=bool)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    ends[offsets[1:] - 1] = True  # every text ends a sentence
    starts[1:] = ends[:-1]
    starts[offsets[:-1]] = True  # and every text starts one
    tokens = vocab.spellings[2 * starts + ends, words].tolist()
    return [" ".join(tokens[a:b]) for a, b in itertools.pairwise(offsets.tolist())]


@dataclass
class BlockPlan:
    """Per-row random choices for one block, drawn as whole arrays."""

    system: IntArray  # index into SYSTEM_PROMPTS, -1 for none
    turns: IntArray
    tool: IntArray  # index into TOOLS, -1 for none
    ids: IntArray


def plan_block(rng: np.random.Generator, rows: int) -> BlockPlan:
    system = rng.integers(0, len(SYSTEM_PROMPTS), size=rows)
    system[rng.random(rows) < 0.1] = -1
    turns = rng.choice([1, 2, 3], size=rows, p=[0.55, 0.3, 0.15])
    tool = rng.integers(0, len(TOOLS), size=rows)
    tool[rng.random(rows) >= 1 / 6] = -1
    ids = rng.integers(10**8, 10**9, size=rows)
    return BlockPlan(system, turns, tool, ids)


def message_lengths(rng: np.random.Generator, count: int, median: float) -> IntArray:
    """Word counts with a long right tail, like real prompts and answers."""
    lengths = rng.lognormal(np.log(median), 0.6, size=count).astype(np.int64)
    return np.clip(lengths, 3, 600)


def tool_exchange(tool: int, row_id: int, result_text: str) -> list[dict[str, Any]]:
    """An assistant tool call and the tool's answer, as OpenAI's format writes them."""
    name = TOOLS[tool]["function"]["name"]
    by_tool: dict[str, dict[str, Any]] = {
        "get_order_status": {"order_id": f"A-{row_id}"},
        "get_weather": {"city": CITIES[row_id % len(CITIES)], "unit": "celsius"},
        "search_knowledge_base": {"query": result_text[:40], "limit": 5},
        "create_ticket": {"title": result_text[:50], "priority": "normal"},
    }
    arguments = by_tool[name]
    call_id = f"call_{row_id:x}"
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": call_id,
            "content": json.dumps({"status": "ok", "id": row_id, "detail": result_text}),
        },
    ]


def build_rows(plan: BlockPlan, texts: Iterator[str]) -> list[dict[str, Any]]:
    rows = []
    for system, turns, tool, row_id in zip(
        plan.system.tolist(),
        plan.turns.tolist(),
        plan.tool.tolist(),
        plan.ids.tolist(),
        strict=True,
    ):
        messages: list[dict[str, Any]] = []
        if system >= 0:
            messages.append({"role": "system", "content": SYSTEM_PROMPTS[system]})
        for turn in range(turns):
            messages.append({"role": "user", "content": next(texts)})
            if tool >= 0 and turn == turns - 1:
                messages.extend(tool_exchange(tool, row_id, next(texts)))
            messages.append({"role": "assistant", "content": next(texts)})
        row: dict[str, Any] = {"messages": messages}
        if tool >= 0:
            row["tools"] = [TOOLS[tool]]
        rows.append(row)
    return rows


def block_texts(rng: np.random.Generator, plan: BlockPlan, vocab: Vocabulary) -> list[str]:
    """Every text of a block, in the order build_rows consumes them."""
    kinds: list[str] = []  # "u" user, "r" tool result, "a" assistant
    for turns, tool in zip(plan.turns.tolist(), plan.tool.tolist(), strict=True):
        for turn in range(turns):
            kinds.append("u")
            if tool >= 0 and turn == turns - 1:
                kinds.append("r")
            kinds.append("a")
    kind = np.frombuffer("".join(kinds).encode(), dtype=np.uint8)
    medians = {ord("u"): 22.0, ord("r"): 12.0, ord("a"): 60.0}
    lengths = np.zeros(len(kind), dtype=np.int64)
    for code, median in medians.items():
        mask = kind == code
        lengths[mask] = message_lengths(rng, int(mask.sum()), median)
    return texts_of_lengths(rng, vocab, lengths)


def generate_block(seed: int, index: int, rows: int, vocab: Vocabulary) -> list[str]:
    """JSON lines for one block, from a generator seeded by (seed, block index)."""
    rng = np.random.default_rng([seed, index])
    plan = plan_block(rng, rows)
    texts = iter(block_texts(rng, plan, vocab))
    return [json.dumps(row, ensure_ascii=False) for row in build_rows(plan, texts)]


def generate(rows: int, out: Path, seed: int = DEFAULT_SEED) -> int:
    """Write `rows` JSON lines to `out`; return the bytes written."""
    vocab = build_vocabulary(seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("wb") as handle:
        for index, start in enumerate(range(0, rows, BLOCK_ROWS)):
            # Always draw a whole block, then cut: a shorter draw would change the stream.
            lines = generate_block(seed, index, BLOCK_ROWS, vocab)[: rows - start]
            data = ("\n".join(lines) + "\n").encode("utf-8")
            handle.write(data)
            written += len(data)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to write")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data/chat_100k.jsonl"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.rows <= 0:
        parser.error("--rows must be positive")
    started = time.perf_counter()
    size = generate(args.rows, args.out, args.seed)
    seconds = time.perf_counter() - started
    print(
        f"wrote {args.rows:,} rows, {size / 1e6:.1f} MB ({size / args.rows:,.0f} B/row) "
        f"to {args.out} in {seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
