"""Held-out evaluation of the trained model on eval/heldout.yml or eval/heldout_blind.yml (never trained on).

eval/heldout.yml was used to find weak spots while the training data grew, so its figures are
optimistic; eval/heldout_blind.yml was written later, blind to both, and was never looked at case by
case before its figures were taken.

Prints per-intent precision/recall, routing accuracy (the right program first), top-3 accuracy
over program intents, and whether any out-of-scope sentence was routed to a program.
Usage: python -m eval.evaluate [--cases eval/heldout_blind.yml] [--model models/....tar.gz] [--nlu-only]
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml
from sklearn.metrics import classification_report

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "eval" / "heldout.yml"
SLUGS = dict(line.split()[::-1] for line in (ROOT / "knowledge" / "slugs.txt").read_text().splitlines())


def section_of(intent: str | None) -> int | None:
    if intent and intent.startswith("program_"):
        return int(SLUGS[intent[len("program_"):].replace("_", "-")])
    return None


def check_not_trained_on(cases: List[Dict[str, Any]]) -> None:
    """Refuse to report figures if any evaluation sentence is in the training data."""
    training = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    training.add(line.strip()[2:])
    leaked = [c["text"] for c in cases if c["text"] in training]
    if leaked:
        sys.exit(f"evaluation sentences found in training data: {leaked[:5]}")


def replies_over_rest(model: str, texts: List[str]) -> List[List[int]]:
    """The sections the running assistant's replies recommend (custom.programs), one fresh chat each."""
    import tempfile
    import uuid

    import requests

    from eval import servers
    
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kb_url = servers.loaded_knowledge(work)
        with servers.assistant(work, kb_url, rasa_port=5045, actions_port=5085, model=model):
            for text in texts:
                messages = requests.post("http://127.0.0.1:5045/webhooks/rest/webhook", timeout=60,
                                         json={"sender": uuid.uuid4().hex, "message": text}).json()
                custom = next(m["custom"] for m in messages if "custom" in m)
                sections.append([p["section"] for p in custom["programs"]])
    return sections


async def parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--nlu-only", action="store_true", help="skip the reply-level run over REST")
    parser.add_argument("--cases", type=Path, default=HELDOUT,
                        help="evaluation set (eval/heldout.yml; eval/heldout_blind.yml is the second, blind set)")
    args = parser.parse_args()
    model = args.model or subprocess.run(["bash", "scripts/train.sh"], cwd=ROOT, check=True,
                                         capture_output=True, text=True).stdout.strip()
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))["cases"]
    check_not_trained_on(cases)
    results = asyncio.run(parse_all(str(ROOT / model), [c["text"] for c in cases]))

    gold, predicted = [c["intent"] for c in cases], [r["intent"]["name"] for r in results]
    print(classification_report(gold, predicted, zero_division=0, digits=3))

    routed = top3 = programs = 0
    misses = []
    for case, result in zip(cases, results):
        if "section" not in case:
            continue
        programs += 1
        ranking = [section_of(r["name"]) for r in result.get("intent_ranking", []) if section_of(r["name"])]
        first = section_of(result["intent"]["name"])
        routed += first == case["section"]
        top3 += case["section"] in ranking[:3]
        if first != case["section"]:
            misses.append(f"  §{case['section']:>2} -> {result['intent']['name']} "
                          f"({result['intent']['confidence']:.2f}): {case['text']}")
    oos = [(c, r) for c, r in zip(cases, results) if c["intent"] == "out_of_scope"]
    oos_routed = [c["text"] for c, r in oos if section_of(r["intent"]["name"]) or r["intent"]["name"].startswith("need_")]
    correct = sum(g == p for g, p in zip(gold, predicted))

    print(f"cases: {len(cases)}  intent accuracy: {correct / len(cases):.1%}")
    print(f"routing accuracy (right program first): {routed}/{programs} = {routed / programs:.1%}")
    print(f"top-3 accuracy: {top3}/{programs} = {top3 / programs:.1%}")
    print(f"out-of-scope routed to a program: {len(oos_routed)}/{len(oos)}")
    if not args.nlu_only:
        replies = replies_over_rest(model, [c["text"] for c in cases])
        program_cases = [(c, r) for c, r in zip(cases, replies) if "section" in c]
        first = sum(r[:1] == [c["section"]] for c, r in program_cases)
        among = sum(c["section"] in r[:3] for c, r in program_cases)
        oos_replies = [c["text"] for c, r in zip(cases, replies) if c["intent"] == "out_of_scope" and r]
        print(f"reply level (the assistant over REST): right program first {first}/{len(program_cases)} = "
              f"{first / len(program_cases):.1%}; among the reply's first three {among}/{len(program_cases)} = "
              f"{among / len(program_cases):.1%}; out-of-scope replies recommending a program: "
              f"{len(oos_replies)}/{len(oos)}")
    if misses:
        print("routing misses:\n" + "\n".join(misses))
    for text in oos_routed:
        print(f"  out-of-scope routed: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
