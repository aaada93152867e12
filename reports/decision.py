"""The decision (auditor.decision) in a terminal: recommendation, arithmetic, reasons, questions."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from auditor.decision import Decision, Recommendation

#: What each recommendation asks the team to do next, in one line.
NEXT_STEP = {
    Recommendation.PROMPT_ENGINEERING: "iterate on the prompt (system prompt, few-shot "
    "examples, structured output) before training anything",
    Recommendation.RAG: "retrieve the knowledge at query time instead of training it in",
    Recommendation.BETTER_MODEL: "try a stronger or reasoning model before customizing one",
    Recommendation.TOOL_USE: "give the model tools (or an agent loop) for the actions",
    Recommendation.FINE_TUNE_LORA: "fine-tune with LoRA SFT on your training data",
    Recommendation.FINE_TUNE_DPO: "fine-tune with DPO on the preference pairs",
    Recommendation.FIX_DATA_FIRST: "fix the data (and its held-out eval set), then decide again",
    Recommendation.NOT_WORTH_IT: "do not fine-tune: the economics do not pay back",
    Recommendation.UNKNOWN: "answer the questions below, then decide again",
}


def render_decision(decision: Decision, console: Console, *, heading: bool = True) -> None:
    """Print the decision; every number it rests on is shown."""
    if heading:
        console.print("[bold]Should you fine-tune?[/bold]")
    console.print(
        f"  recommendation: [bold]{decision.recommendation.value}[/bold] — "
        f"{NEXT_STEP[decision.recommendation]}"
    )
    if decision.break_even_months is not None:
        console.print(f"  break-even: {decision.break_even_months:.2f} months")
    for line in decision.arithmetic:
        console.print(f"    {escape(line)}", style="dim")
    for reason in decision.reasons:
        console.print(
            f"  • {reason.rule}: {escape(reason.why)} [dim]({escape(reason.source)})[/dim]"
        )
    if decision.questions:
        console.print("  to answer:")
        for question in decision.questions:
            mark = "" if question.blocking else " (optional)"
            console.print(f"    {question.flag}: {escape(question.question)}{mark}")
