"""Evaluate the assistant as a stranger would: on sentences nobody who wrote the training data saw.

Prints, for the owner-voice blind set (eval/owners/part_*.yml):
- NLU level: routing (the right program first), routing counting the writers' acceptable alternatives,
  top-3, out-of-scope sentences whose top intent is a program;
- reply level, the real assistant over REST: how often it recommends the right program, recommends a
  wrong one (the costly case), asks which (and whether the right one is among the candidates), or says
  honestly that nothing fits; out-of-scope replies that carry any program;
- two-turn conversations: whether the second reply stays on (or switches to) the right program, carries
  the asked fact and no other program's contact, and passes the reply linter;
then the older held-out sets (optimistic, NLU level) and, with --cross-validation, Rasa's 5-fold
cross-validation of the training data (pessimistic).

Refuses to run when any evaluation or test sentence is in the training data (eval/leaks.py).
Usage: python -m eval.evaluate [--model M] [--project DIR] [--nlu-only] [--cross-validation]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from bot.program_intents import section_of_intent
from eval import cases, leaks
from eval.cases import Conversation, FirstMessage

ROOT = Path(__file__).resolve().parents[1]


section_of = section_of_intent  # the program a (top or ranked) intent stands for


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.1%}" if whole else "0/0"


# ---- NLU level ------------------------------------------------------------------------------------

async def _parse_all(model: str, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def nlu_report(title: str, firsts: List[FirstMessage], parsed: List[Dict[str, Any]]) -> List[str]:
    programs = [(f, p) for f, p in zip(firsts, parsed) if f.section is not None]
    oos = [(f, p) for f, p in zip(firsts, parsed) if f.section is None]
    routed = routed_also = top3 = 0
    misses = []
    for case, result in programs:
        ranking = [section_of(r["name"]) for r in result.get("intent_ranking", []) if section_of(r["name"])]
        first = section_of(result["intent"]["name"])
        routed += first == case.section
        routed_also += first == case.section or first in case.also
        top3 += case.section in ranking[:3]
        if first != case.section and first not in case.also:
            misses.append(f"    §{case.section:>2} -> {result['intent']['name']} "
                          f"({result['intent']['confidence']:.2f}): {case.text}")
    oos_routed = [f.text for f, p in oos if section_of(p["intent"]["name"]) or p["intent"]["name"].startswith("need_")]
    print(f"\n== {title}: NLU level ({len(firsts)} sentences: {len(programs)} program, {len(oos)} out of scope)")
    print(f"  routing (right program first):        {pct(routed, len(programs))}")
    print(f"  routing, writers' alternatives too:   {pct(routed_also, len(programs))}")
    print(f"  top-3:                                {pct(top3, len(programs))}")
    print(f"  out of scope with a program on top:   {pct(len(oos_routed), len(oos))}")
    return misses + [f"    out of scope -> program: {t}" for t in oos_routed]


# ---- reply level, over REST -----------------------------------------------------------------------

def outcome(messages: List[Dict[str, Any]]) -> Tuple[str, List[int]]:
    """recommend (one program, no question), ask (candidates as buttons) or none (nothing recommended)."""
    programs = [p["section"] for m in messages for p in (m.get("custom") or {}).get("programs", [])]
    asks = any(m.get("buttons") for m in messages)
    if len(programs) == 1 and not asks:
        return "recommend", programs
    if programs:
        return "ask", programs
    return "none", []


def converse(turns: List[List[str]], model: str, project: Path) -> List[List[List[Dict[str, Any]]]]:
    """Each conversation's replies, turn by turn, from the real assistant (a fresh sender each)."""
    import requests

    from eval import servers

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kb_url = servers.loaded_knowledge(work)
        with servers.assistant(work, kb_url, rasa_port=5045, actions_port=5085, model=model, root=project):
            for conversation in turns:
                sender = uuid.uuid4().hex
                results.append([requests.post("http://127.0.0.1:5045/webhooks/rest/webhook", timeout=60,
                                              json={"sender": sender, "message": text}).json()
                                for text in conversation])
    return results


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def reply_report(firsts: List[FirstMessage], replies: List[List[Dict[str, Any]]]) -> List[str]:
    tally: Counter = Counter()
    notes = []
    programs = [(f, r) for f, r in zip(firsts, replies) if f.section is not None]
    for case, messages in programs:
        kind, sections = outcome(messages)
        right = {case.section, *case.also}
        if kind == "recommend":
            tally["recommend right" if sections[0] == case.section else
                  "recommend alternative" if sections[0] in right else "recommend wrong"] += 1
            if sections[0] not in right:
                notes.append(f"    §{case.section:>2} recommended §{sections[0]}: {case.text}")
        elif kind == "ask":
            tally["ask, right among them" if right & set(sections) else "ask, right missing"] += 1
        else:
            tally["nothing recommended"] += 1
    oos = [(f, r) for f, r in zip(firsts, replies) if f.section is None]
    oos_given = [f.text for f, r in oos if outcome(r)[1]]
    n = len(programs)
    print(f"  reply level (the assistant over REST), {n} program sentences:")
    for key in ("recommend right", "recommend alternative", "recommend wrong", "ask, right among them",
                "ask, right missing", "nothing recommended"):
        print(f"    {key:<28} {pct(tally[key], n)}")
    helpful = tally["recommend right"] + tally["recommend alternative"] + tally["ask, right among them"]
    print(f"    right desk reached (recommended, or offered to confirm): {pct(helpful, n)}")
    print(f"  out-of-scope replies carrying any program: {pct(len(oos_given), len(oos))}")
    return notes + [f"    out of scope given a program: {t}" for t in oos_given]


def conversation_report(conversations: List[Conversation], replies: List[List[List[Dict[str, Any]]]]) -> List[str]:
    from eval import expectations
    from eval.reply_lint import lint
    from eval.servers import loaded_knowledge
    from knowledge import query
    from knowledge.db import session

    notes, passed, first_right, kept = [], 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp, session(loaded_knowledge(Path(tmp))) as db:
        by_section = expectations.contacts_by_section(db)
        for conv, (first, second) in zip(conversations, replies):
            ok_first = outcome(first) == ("recommend", [conv.section])
            first_right += ok_first
            kind, sections = outcome(second)
            text = text_of(second)
            want = conv.switch_to if conv.kind == "switch" else conv.section
            problems = []
            if not sections or sections[0] != want:
                problems.append(f"reply about {sections[:1]} instead of §{want}")
            elif conv.kind == "field":
                facts = expectations.accepted_facts(db, query.program(db, want), conv.field)
                if facts and not any(fact in text for fact in facts):
                    problems.append(f"asked {conv.field}, fact missing")
            elif conv.kind == "location" and conv.municipality and conv.municipality not in text:
                problems.append(f"location {conv.municipality} not in the reply")
            if sections:
                problems += [f"contact of another program: {c}" for c in expectations.foreign_contacts(
                    text, sections[0], by_section)]
            problems += [f"lint: {f}" for f in lint(text)] if text.strip() else []
            passed += not problems
            kept += ok_first and not problems
            if problems:
                notes.append(f"    §{conv.section} {conv.kind}/{conv.field or conv.switch_to or conv.municipality}"
                             f" [{'first ok' if ok_first else 'first turn missed'}] {'; '.join(problems)}: "
                             f"{conv.first[:30]}… / {conv.second}")
    n = len(conversations)
    print(f"\n== two-turn conversations ({n})")
    print(f"  first turn recommended the right program: {pct(first_right, n)}")
    print(f"  second reply right (program, fact, no foreign contact, linter): {pct(passed, n)}")
    print(f"  ... when the first turn was right: {pct(kept, first_right)}")
    return notes


# ---- cross-validation -----------------------------------------------------------------------------

def cross_validation(folds: int = 5) -> None:
    """Rasa's own k-fold cross-validation of the NLU data: the pessimistic figure."""
    out = ROOT / "results" / "cross-validation"
    run = subprocess.run([str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--cross-validation",
                          "--folds", str(folds), "--config", "config.yml", "--nlu", "data/nlu", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    log = run.stdout + run.stderr
    found = re.findall(r"(train|test) (Accuracy|F1-score|Precision): ([0-9.]+) \(([0-9.]+)\)", log)
    print(f"\n== {folds}-fold cross-validation of data/nlu (intents)")
    for split, measure, mean, std in found:
        print(f"  {split:<5} {measure:<10} {float(mean):.1%} ± {float(std):.1%}")
    if not found:
        print(log[-2000:])


# ---- main -----------------------------------------------------------------------------------------

def quiet_logs() -> None:
    """Rasa's structlog events (one per parsed message) would bury the figures."""
    import logging

    import structlog

    logging.getLogger().setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model archive (default: the current data's, trained if needed)")
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout whose actions serve (for before/after)")
    parser.add_argument("--nlu-only", action="store_true", help="skip the reply-level runs over REST")
    parser.add_argument("--cross-validation", action="store_true", help="also run 5-fold cross-validation")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--drop-leaks", action="store_true",
                        help="measure an earlier version: leave out sentences its training data contains")
    args = parser.parse_args()
    quiet_logs()

    leaked = leaks.leaks_by_file(cases.all_sentences(), args.project / "data" / "nlu")
    if leaked and not args.drop_leaks:
        sys.exit(f"evaluation/test sentences found in the training data: {leaked}")
    dropped = {leaks.comparable(s) for texts in leaked.values() for s in texts}
    model = args.model or subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                                         capture_output=True, text=True).stdout.strip()
    model = str((ROOT / model) if not Path(model).is_absolute() else model)

    firsts, conversations = cases.owner_voice()
    if dropped:
        firsts = [f for f in firsts if leaks.comparable(f.text) not in dropped]
        conversations = [c for c in conversations
                         if not {leaks.comparable(c.first), leaks.comparable(c.second)} & dropped]
        print(f"left out {len(dropped)} sentences found in {args.project}'s training data")
    notes = []
    parsed = asyncio.run(_parse_all(model, [f.text for f in firsts]))
    notes += nlu_report("owner-voice blind set", firsts, parsed)
    if not args.nlu_only:
        turns = [[f.text] for f in firsts] + [[c.first, c.second] for c in conversations]
        replies = converse(turns, model, args.project)
        notes += reply_report(firsts, [r[0] for r in replies[:len(firsts)]])
        notes += conversation_report(conversations, replies[len(firsts):])
    for path in cases.HELDOUT_SETS:
        older = cases.heldout(path)
        parsed = asyncio.run(_parse_all(model, [c.text for c in older]))
        nlu_report(f"{path.name} (older set, optimistic)", older, parsed)
    if args.cross_validation:
        cross_validation()
    if args.misses and notes:
        print("\n== misses\n" + "\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
