"""Write the sample datasets in samples/ (deterministic; rerun after editing).

    python samples/generate.py

- chat_clean.jsonl: 160 support-ticket extraction examples in OpenAI chat format → GO.
- chat_clean.eval.jsonl: 120 held-out tickets for the same task, found beside
  chat_clean.jsonl by the audit, so its leakage checks (FT501–FT506) run and pass. They
  come from their own hand-written frames, context sentences, summaries, products, names
  and places, so no eval ticket shares a 13-word run with a training example (FT504)
  while the prompt lengths stay like train's (FT506).
- chat_broken.jsonl: the same task with the mistakes real exports have → NO-GO.
- formats/*.jsonl: a few rows in each supported format, to see detection at work.

Every text here was written for ftaudit; the ticket generator combines hand-written parts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SYSTEM = (
    "You triage customer support tickets for Northwind Outfitters. Read the ticket and "
    "reply with one JSON object with the keys category, product, urgency and summary. "
    "category is one of billing, shipping, returns, product_defect, account; urgency "
    "is low, normal or high; summary is one short sentence."
)

PRODUCTS = [
    "trail running shoes",
    "a two-person tent",
    "the insulated water bottle",
    "a merino base layer",
    "the 40-litre hiking backpack",
    "rain shell jacket",
    "a camping stove",
    "the down sleeping bag",
    "trekking poles",
    "a headlamp",
    "wool hiking socks",
    "the kayak paddle",
    "a climbing harness",
    "ski goggles",
    "the fleece pullover",
    "a folding camp chair",
    "snowshoes",
    "a bike helmet",
]
NAMES = [
    "Amara",
    "Jonas",
    "Priya",
    "Tomás",
    "Ingrid",
    "Kwame",
    "Mei",
    "Oskar",
    "Leila",
    "Dmitri",
    "Siobhan",
    "Rafael",
    "Yuki",
    "Fatima",
    "Henrik",
    "Chloé",
    "Anil",
    "Greta",
]
PLACES = [
    "Leeds",
    "Bergen",
    "Porto",
    "Winnipeg",
    "Ghent",
    "Tartu",
    "Cork",
    "Dunedin",
    "Boulder",
    "Kraków",
    "Tampere",
    "Halifax",
    "Bilbao",
    "Graz",
    "Nagano",
    "Aarhus",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# (category, urgency, ticket frame, summary frame). Frames are varied on purpose: real
# tickets differ in wording, not only in the nouns.
TICKETS: list[tuple[str, str, str, str]] = [
    (
        "billing",
        "high",
        "I was charged twice for {p} on {d}. Please refund the second "
        "payment, my card is close to its limit.",
        "Customer was charged twice for {p}.",
    ),
    (
        "billing",
        "normal",
        "Hi, the invoice for {p} shows {n} euros more than the price on "
        "your site. Can you explain the difference?",
        "Invoice for {p} is higher than the listed price.",
    ),
    (
        "billing",
        "low",
        "Could you send me a VAT receipt for {p}? My employer in {c} needs it for expenses.",
        "Customer asks for a VAT receipt for {p}.",
    ),
    (
        "shipping",
        "high",
        "My order with {p} was due {d} and tracking has not moved for "
        "{n} days. I leave for a trip on the weekend!",
        "Order with {p} is stuck in transit before a trip.",
    ),
    (
        "shipping",
        "normal",
        "The courier left {p} at the wrong address in {c}. A neighbour "
        "has it but I'd like to know how this happened.",
        "{p} was delivered to the wrong address.",
    ),
    (
        "shipping",
        "low",
        "Can I change the delivery address for {p} to my office in {c}? "
        "It hasn't shipped yet I think.",
        "Customer wants to change the delivery address for {p}.",
    ),
    (
        "returns",
        "normal",
        "{p} is too small. How do I return it and get the next size? Bought it {n} days ago.",
        "Customer wants to exchange {p} for another size.",
    ),
    (
        "returns",
        "low",
        "I changed my mind about {p}, it's unused and still in the box. Is the return free to {c}?",
        "Customer asks whether returning unused {p} is free.",
    ),
    (
        "returns",
        "high",
        "I sent {p} back {n} weeks ago and still have no refund. This is "
        "the third time I'm writing.",
        "Refund for returned {p} is overdue after repeated contact.",
    ),
    (
        "product_defect",
        "high",
        "The seam on {p} split on the first day out near {c}. I was "
        "soaked. I want a replacement before {d}.",
        "{p} failed on first use; customer wants a quick replacement.",
    ),
    (
        "product_defect",
        "normal",
        "After {n} weeks the zipper on {p} keeps jamming. Is this covered by warranty?",
        "Zipper on {p} jams; customer asks about warranty.",
    ),
    (
        "product_defect",
        "low",
        "Small thing: the logo on {p} is peeling a little. Not urgent, "
        "just thought you should know.",
        "Logo on {p} is peeling slightly.",
    ),
    (
        "account",
        "high",
        "Someone changed the email on my account and ordered {p}. I did "
        "not do this! Please lock it.",
        "Possible account takeover with an unauthorised order of {p}.",
    ),
    (
        "account",
        "normal",
        "I can't log in since {d}; the reset link for my account never "
        "arrives. I wanted to reorder {p}.",
        "Password reset emails are not arriving.",
    ),
    (
        "account",
        "low",
        "Please delete my account and my saved address in {c}. I bought "
        "{p} once and don't need it anymore.",
        "Customer asks to delete their account.",
    ),
]
# Context sentences: two are drawn per ticket, so tickets built on the same frame still
# differ in most of their words, as real tickets do.
DETAILS = [
    "I ordered it as a birthday present for my sister.",
    "This is my first order with you after a friend recommended the shop.",
    "My order number should be in your system under my email address.",
    "I have attached a photo, although I am not sure the upload worked.",
    "We are a scout group and buy most of our gear from you.",
    "I already tried the live chat yesterday evening but nobody answered.",
    "The parcel box looked like it had been opened and taped again.",
    "I paid with PayPal, if that makes any difference.",
    "Your website said delivery would take three working days.",
    "I am travelling for work next week, so email is best.",
    "I have been a loyal customer for about six years now.",
    "The same thing happened to my brother with a different order.",
    "Please call me back instead, my inbox is a mess.",
    "My partner placed the order but the account is in my name.",
    "I used the discount code from your spring newsletter.",
    "I live in a flat, so deliveries usually go to the concierge.",
    "Honestly I love the brand, this is the first problem I've had.",
    "I checked the FAQ page but it did not cover this case.",
    "The tracking link in the confirmation email gives an error page.",
    "It was bought during the weekend sale with free shipping.",
    "I need this sorted before our family trip to the mountains.",
    "English is not my first language, sorry for any mistakes.",
    "My neighbour had a similar issue last month and it took weeks.",
    "I kept all the original tags and the receipt.",
    "We run a small outdoor club and may order in bulk later.",
    "I would rather not pay for return postage a second time.",
    "The item arrived in a much smaller box than I expected.",
    "I also got an email saying my payment had failed, which is odd.",
    "My old address is still saved somewhere in your system.",
    "Could you also tell me when the winter collection arrives?",
    "A store employee in town told me to contact you directly.",
    "The confirmation email went to my spam folder for some reason.",
]
OPENERS = ["", "Hello, ", "Hi there. ", "Good morning! ", "Hey, ", "Dear support, "]
CLOSERS = [
    "",
    " Thanks.",
    " Thank you, {name}.",
    " Regards, {name}",
    " — {name} from {c}",
    " Cheers!",
]

# The held-out set: the same task and system prompt, but every part below is its own —
# other products, people, places, frames, context sentences and summary wording — so an
# eval ticket shares no long run of words with a training ticket (FT502–FT504).
EVAL_PRODUCTS = [
    "a packable down vest",
    "the ultralight tarp",
    "a titanium cook pot",
    "the inflatable sleeping pad",
    "waterproof gaiters",
    "a GPS hiking watch",
    "the water filter",
    "a bouldering crash pad",
    "the touring ski skins",
    "a dry bag",
    "the approach shoes",
    "a camping hammock",
    "cycling gloves",
    "the avalanche transceiver",
    "a chalk bag",
    "the canoe trolley",
    "a vacuum flask",
    "the softshell trousers",
]
EVAL_NAMES = [
    "Björn",
    "Nadia",
    "Olu",
    "Sakura",
    "Mateo",
    "Ananya",
    "Lars",
    "Zofia",
    "Kofi",
    "Elif",
    "Ruairí",
    "Beatriz",
    "Hamid",
    "Liesel",
    "Tariq",
    "Wen",
]
EVAL_PLACES = [
    "Trondheim",
    "Lyon",
    "Innsbruck",
    "Galway",
    "Uppsala",
    "Ljubljana",
    "Calgary",
    "Hobart",
    "Zermatt",
    "Coimbra",
    "Brno",
    "Oulu",
    "Asheville",
    "Rotorua",
]
EVAL_TICKETS: list[tuple[str, str, str, str]] = [
    (
        "billing",
        "high",
        "My bank app shows a payment for {p}, yet your site says that order was cancelled "
        "on {d}. Ship it or refund me.",
        "Payment kept for a cancelled order of {p}.",
    ),
    (
        "billing",
        "normal",
        "The sale price for {p} never showed up at checkout, so I paid the full amount. "
        "Could the gap be credited?",
        "Sale discount on {p} missing at checkout.",
    ),
    (
        "billing",
        "low",
        "Could the invoice for {p} be split in two? A friend in {c} and I shared the cost.",
        "Request to split the invoice for {p} between two buyers.",
    ),
    (
        "shipping",
        "high",
        "Tracking marked {p} as delivered on {d}, but nothing reached me in {c}. The race "
        "I bought it for is in {n} days.",
        "Delivered status for {p} but nothing arrived, race coming up.",
    ),
    (
        "shipping",
        "normal",
        "Only part of my order turned up: the packing slip lists {p}, but it was not in the box.",
        "Parcel came without {p} although the slip lists it.",
    ),
    (
        "shipping",
        "low",
        "Could I collect {p} from a parcel locker near {c} instead of home delivery? I "
        "work late most evenings.",
        "Wants {p} sent to a parcel locker.",
    ),
    (
        "returns",
        "normal",
        "You sent {p} in the wrong colour. I would like to swap it for the green one, not "
        "a refund.",
        "Wrong colour of {p} sent; swap requested.",
    ),
    (
        "returns",
        "low",
        "How long do I have to send back {p}? It was a gift, and my nephew may prefer "
        "something different.",
        "Asks how long {p}, a gift, can still be sent back.",
    ),
    (
        "returns",
        "high",
        "The prepaid label for returning {p} is rejected at every post office in {c}, and "
        "my return window closes {d}.",
        "Return label for {p} will not scan as the window closes.",
    ),
    (
        "product_defect",
        "high",
        "Halfway through our week near {c}, {p} gave out completely. We still have {n} "
        "nights out here, please advise fast.",
        "{p} broke mid-trip with nights still ahead.",
    ),
    (
        "product_defect",
        "normal",
        "A buckle on {p} cracked after {n} outings. Will you repair it or post a spare?",
        "Cracked buckle on {p}; repair or spare part wanted.",
    ),
    (
        "product_defect",
        "low",
        "The stitching colour of {p} does not match the photos online. It works fine, "
        "just curious.",
        "Stitching on {p} looks unlike the product photos.",
    ),
    (
        "account",
        "high",
        "An alert says my saved card paid for {p} going to {c}. That was not me, please "
        "stop the order.",
        "Unrecognised purchase of {p} on a saved card.",
    ),
    (
        "account",
        "normal",
        "My loyalty points vanished after I bought {p}. The balance looked healthy on {d}, "
        "now it reads zero.",
        "Loyalty balance dropped to zero after buying {p}.",
    ),
    (
        "account",
        "low",
        "Can two profiles be merged? I ordered {p} with my work email, and use my personal "
        "one otherwise.",
        "Asks to merge two customer profiles.",
    ),
]
EVAL_DETAILS = [
    "We are planning a canoe journey down the river next month.",
    "I found your shop through a review on a climbing forum.",
    "The reference on my confirmation starts with NW and some digits.",
    "I can send pictures if that would help you decide.",
    "Our youth sailing club buys its kit from you every spring.",
    "Your phone line played music for twenty minutes, then hung up.",
    "The outer packaging was crushed on one corner when it came.",
    "I paid by bank transfer rather than by card this time.",
    "The product page promised dispatch the same day for morning orders.",
    "I am on night shifts this week, so replies may be slow.",
    "I have ordered from you since the shop was online only.",
    "A colleague at work had almost the same trouble in autumn.",
    "Text messages reach me faster than emails at the moment.",
    "It was ordered from my husband's phone while logged in as me.",
    "A voucher from the welcome email was applied as well.",
    "Our building has a parcel room that the caretaker looks after.",
    "Apart from this, every piece of gear from you has been great.",
    "Your help centre articles describe a slightly different situation.",
    "The order status page has said processing for ages now.",
    "I picked standard postage because express cost quite a bit more.",
    "I want this settled before the school holidays begin.",
    "Apologies for the long message, I wanted to include everything.",
    "My cousin warned me this might take a while to sort out.",
    "Everything is still in its wrapping with the labels attached.",
    "We might order matching kit for the whole team if this goes well.",
    "I would prefer not to drive out to the depot again.",
    "It came in a padded envelope instead of a box.",
    "Your app logged me out twice while I was writing this.",
    "An old phone number might still be on my profile.",
    "Also, do you know when the autumn clearance finishes?",
    "The assistant at your city branch suggested I write in.",
    "I only spotted the issue when unpacking properly at home.",
]
EVAL_OPENERS = ["", "Hello team, ", "Hi all. ", "Good afternoon, ", "Morning! ", "Support team: "]
EVAL_CLOSERS = [
    "",
    " Many thanks.",
    " Best, {name}",
    " Speak soon, {name}.",
    " ({name}, {c})",
    " Appreciate it!",
]


@dataclass(frozen=True)
class Parts:
    """The hand-written parts one set of tickets is built from."""

    tickets: list[tuple[str, str, str, str]]
    details: list[str]
    products: list[str]
    names: list[str]
    places: list[str]
    openers: list[str]
    closers: list[str]


TRAIN_PARTS = Parts(TICKETS, DETAILS, PRODUCTS, NAMES, PLACES, OPENERS, CLOSERS)
EVAL_PARTS = Parts(
    EVAL_TICKETS,
    EVAL_DETAILS,
    EVAL_PRODUCTS,
    EVAL_NAMES,
    EVAL_PLACES,
    EVAL_OPENERS,
    EVAL_CLOSERS,
)


def ticket_example(
    rng: random.Random,
    frame: tuple[str, str, str, str],
    details: tuple[str, str],
    parts: Parts = TRAIN_PARTS,
) -> dict[str, Any]:
    category, urgency, ticket, summary = frame
    fill = {
        "p": rng.choice(parts.products),
        "d": rng.choice(DAYS),
        "n": rng.randint(2, 19),
        "c": rng.choice(parts.places),
        "name": rng.choice(parts.names),
    }
    body = [details[0], ticket.format(**fill), details[1]]
    rng.shuffle(body)
    text = rng.choice(parts.openers) + " ".join(body) + rng.choice(parts.closers).format(**fill)
    product = fill["p"].removeprefix("the ").removeprefix("a ").removeprefix("an ")
    answer = {
        "category": category,
        "product": product,
        "urgency": urgency,
        "summary": summary.format(**fill)[0].upper() + summary.format(**fill)[1:],
    }
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": text},
            {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
        ]
    }


def clean_rows(count: int, seed: int = 7, parts: Parts = TRAIN_PARTS) -> list[dict[str, Any]]:
    """Distinct tickets: two tickets on the same frame never share a context sentence, so
    the set holds no near-duplicates (FT302) while staying one consistent task."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    unused = {
        index: rng.sample(parts.details, len(parts.details)) for index in range(len(parts.tickets))
    }
    while len(rows) < count:
        index = len(rows) % len(parts.tickets)
        if len(unused[index]) < 2:
            unused[index] = rng.sample(parts.details, len(parts.details))
        details = (unused[index].pop(), unused[index].pop())
        row = ticket_example(rng, parts.tickets[index], details, parts)
        key = row["messages"][1]["content"]
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return rows


def eval_rows(count: int = 120, seed: int = 29) -> list[dict[str, Any]]:
    """The held-out tickets: built like the training ones, from the eval parts only."""
    return clean_rows(count, seed=seed, parts=EVAL_PARTS)


def broken_lines() -> list[str]:
    """Lines with the mistakes real exports have, each commented with the code it shows."""
    rows = clean_rows(60, seed=11)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    user = {"role": "user", "content": "My tent pole snapped on the second night."}
    answer = (
        '{"category": "product_defect", "product": "tent", "urgency": "normal", '
        '"summary": "Tent pole snapped."}'
    )
    bad: list[str] = [
        # FT001: a Python dict repr pasted in
        "{'messages': [{'role': 'user', 'content': 'Where is my parcel?'}]}",
        # FT002: not an object
        '["user", "Where is my parcel?"]',
        # FT103: assistant turn without content
        json.dumps(
            {"messages": [{"role": "system", "content": SYSTEM}, user, {"role": "assistant"}]}
        ),
        # FT104: weight given as a string
        json.dumps({"messages": [user, {"role": "assistant", "content": answer, "weight": "1"}]}),
        # FT105: an unknown role
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "customer", "content": user["content"]},
                    {"role": "bot", "content": answer},
                ]
            }
        ),
        # FT106/FT107: system message in the middle, two user turns in a row
        json.dumps(
            {
                "messages": [
                    user,
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": "Hello??"},
                    {"role": "assistant", "content": answer},
                ]
            }
        ),
        # FT108: ends with a user turn
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    user,
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": "Thanks!"},
                ]
            }
        ),
        # FT109: nothing trainable
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    user,
                    {"role": "assistant", "content": answer, "weight": 0},
                ]
            }
        ),
        # FT110: empty assistant answer
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    user,
                    {"role": "assistant", "content": "   "},
                ]
            }
        ),
        # FT115: unrendered template placeholder
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {
                        "role": "user",
                        "content": "Hi, I am {{customer_name}} and my order {{order_id}} is late.",
                    },
                    {"role": "assistant", "content": answer},
                ]
            }
        ),
        # FT116: a different system prompt
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    user,
                    {"role": "assistant", "content": answer},
                ]
            }
        ),
        # FT117: free text where every other answer is JSON
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    user,
                    {
                        "role": "assistant",
                        "content": "Sorry to hear that! I have logged it as a defect.",
                    },
                ]
            }
        ),
        # FT111/FT112/FT113: broken tool use
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": "Has order 5512 shipped?"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "lookup_order", "arguments": "{order: 5512"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_9", "content": "shipped Tuesday"},
                    {"role": "assistant", "content": answer},
                ],
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "track_parcel", "parameters": {"type": "object"}},
                    }
                ],
            }
        ),
        *hygiene_lines(user, answer),
    ]
    out: list[str] = []
    for index, line in enumerate(lines):
        out.append(line)
        if index % 4 == 1 and bad:
            out.append(bad.pop(0))
    out.extend(bad)
    return out


def fake_token(prefix: str, length: int, seed: int) -> str:
    """A synthetic credential in a provider's format (seeded random body: no real key)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    rng = random.Random(seed)
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def hygiene_lines(user: dict[str, str], answer: str) -> list[str]:
    """FT601–FT604: what support exports and generated answers carry."""

    def row(question: str, reply: str) -> str:
        turns = [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
        return json.dumps({"messages": [{"role": "system", "content": SYSTEM}, *turns]})

    return [
        # FT601: a customer's email address and phone number in the prompt
        row(
            "My tent pole snapped. Reach me at dana.whitfield@fastmail.com or +1 415-555-0132.",
            answer,
        ),
        # FT602: an API token pasted into a ticket
        row(
            f"The order API says 401 with token {fake_token('ghp_', 36, seed=602)}, why?",
            answer,
        ),
        # FT603: a canned refusal from the model that generated the answers
        row(user["content"], "I'm sorry, but I can't help with that request."),
        # FT604: an answer cut off by the generator's max_tokens
        row(user["content"], answer[: answer.index('"urgency"') + 14]),
    ]


def write_jsonl(path: Path, rows: list[dict[str, Any]] | list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    write_jsonl(HERE / "chat_clean.jsonl", clean_rows(160))
    write_jsonl(HERE / "chat_clean.eval.jsonl", eval_rows())
    write_jsonl(HERE / "chat_broken.jsonl", broken_lines())
    from samples_formats import FORMAT_SAMPLES  # hand-written rows, one list per format

    for name, rows in FORMAT_SAMPLES.items():
        write_jsonl(HERE / "formats" / f"{name}.jsonl", rows)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    main()
