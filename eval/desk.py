"""The desk-level evaluation: does a reply give the asked desk's contact, condition or computed figure, and no
other desk's contact?

The blind sets in eval/desk/ (part_a–c: conversations by program; staff.yml: call-center queries) were written
by writers who saw only the guide's text and how owners write, never the training data or the code; none is
trained on (tests/unit/test_training_data.py checks with Rasa's own loader). Each case names what the last reply
must contain, copied from the guide; the store decides which contacts belong to which desk.

`python -m eval.desk` runs every set against the real assistant and prints the figures by kind.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import yaml

DESK_DIR = Path(__file__).resolve().parent / "desk"
PARTS = ("part_a.yml", "part_b.yml", "part_c.yml")
STAFF = "staff.yml"
PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def comparable(text: str) -> str:
    """Width, spaces and thousands separators do not matter: 「２００万円」「200 万円」「2,000,000円」 compare."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"\s+", "", text).replace("〜", "～").lower()


def yen_forms(amount: int) -> List[str]:
    """How a reply may write an amount: 1333333円, 133万3333円, 133万円 (when exact)."""
    forms = [f"{amount}円"]
    if amount >= 10_000:
        man, rest = divmod(amount, 10_000)
        forms.append(f"{man}万{rest}円" if rest else f"{man}万円")
    return forms


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    section: int
    turns: Tuple[str, ...]
    expect: Tuple[str, ...] = ()
    expect_yen: Optional[int] = None


def load_cases(names: Iterable[str] = PARTS) -> List[Case]:
    cases = []
    for name in names:
        data = yaml.safe_load((DESK_DIR / name).read_text(encoding="utf-8"))
        if "conversations" in data:
            cases += [Case(c["id"], c["kind"], int(c["section"]), tuple(c["turns"]),
                           tuple(map(str, c.get("expect") or ())), c.get("expect_yen")) for c in data["conversations"]]
        else:
            cases += [Case(q["id"], "staff", int(q["section"]), (q["text"],), tuple(map(str, q.get("expect") or ())))
                      for q in data["queries"]]
    return cases


def all_texts(names: Iterable[str] = (*PARTS, STAFF)) -> List[str]:
    return [turn for case in load_cases(names) for turn in case.turns]


# ---- the store's contacts, by record ----------------------------------------------------------------

@dataclass(frozen=True)
class Records:
    """Every contact string of the guide, and the records (desk or place) that list each."""

    by_record: Dict[str, FrozenSet[str]]

    @property
    def contacts(self) -> FrozenSet[str]:
        return frozenset(c for values in self.by_record.values() for c in values)

    def owners(self, contact: str) -> List[str]:
        return [record for record, values in self.by_record.items() if contact in values]


def records_of(db) -> Records:
    from knowledge import answers, query

    found: Dict[str, FrozenSet[str]] = {}
    for program in query.all_programs(db):
        for desk in program.desks:
            found[f"§{program.section} {desk.name} {desk.role}"] = frozenset(
                v for v in (desk.phone, desk.fax, desk.email) if v)
        for place in program.places:
            spot = answers.Spot(program, place=place)
            through = spot.reached_through
            values = {v for c in place.contacts for v in (c.phone, c.fax) if v}
            if through is not None:
                values |= {v for v in (through.phone, through.fax, through.email) if v}
            found[f"§{program.section} {place.name}"] = frozenset(values)
    return Records(found)


# ---- judging one reply --------------------------------------------------------------------------------

@dataclass
class Verdict:
    case: Case
    reply: str
    problems: List[str] = field(default_factory=list)
    foreign: List[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and not self.foreign


def judge(case: Case, reply: str, records: Records, sections: Sequence[int] = ()) -> Verdict:
    verdict = Verdict(case, reply)
    said = comparable(reply)
    for expected in case.expect:
        if comparable(expected) not in said:
            verdict.problems.append(f"missing {expected!r}")
    if case.expect_yen is not None and not any(comparable(form) in said for form in yen_forms(case.expect_yen)):
        verdict.problems.append(f"missing amount {case.expect_yen:,}円")
    if case.kind == "staff" and sections[:1] != [case.section]:
        verdict.problems.append(f"program {list(sections[:1])} instead of §{case.section}")
    asked = [c for c in case.expect if c in records.contacts]
    if case.kind == "contact" and asked:
        # the records that list every asked contact; any other contact in the reply belongs to another desk
        owners = [r for r in records.by_record if all(c in records.by_record[r] for c in asked)] or \
            [r for c in asked for r in records.owners(c)]
        allowed = set().union(*(records.by_record[r] for r in owners))
        given = set(PHONE.findall(reply)) | set(EMAIL.findall(reply))
        verdict.foreign = sorted(c for c in given if c in records.contacts and c not in allowed)
    return verdict


def reached(verdicts: Iterable[Verdict], records: Records) -> FrozenSet[str]:
    """The guide's contacts some passing conversation asked for and got."""
    return frozenset(c for v in verdicts if v.passed for c in v.case.expect if c in records.contacts)


def report(verdicts: List[Verdict], records: Records) -> List[str]:
    lines = []
    kinds = sorted({v.case.kind for v in verdicts})
    total = sum(v.passed for v in verdicts)
    lines.append(f"desk-level blind set: {total}/{len(verdicts)} ({100 * total / max(len(verdicts), 1):.1f}%)")
    for kind in kinds:
        mine = [v for v in verdicts if v.case.kind == kind]
        lines.append(f"  {kind:11s} {sum(v.passed for v in mine)}/{len(mine)}")
    lines.append(f"  foreign contacts given: {sum(len(v.foreign) for v in verdicts)}")
    lines.append(f"contacts reached {len(reached(verdicts, records))}/{len(records.contacts)}")
    return lines


def main() -> int:
    import argparse
    import tempfile

    from eval.evaluate import converse, outcome
    from eval.servers import ROOT, trained_model
    from knowledge.db import session
    from knowledge.loader import load

    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="another checkout to evaluate (its own trained model), for before/after figures")
    parser.add_argument("--model", help="the model to serve (default: this checkout's, trained if needed)")
    args = parser.parse_args()
    cases = load_cases((*PARTS, STAFF))
    replies = converse([list(c.turns) for c in cases], args.model or trained_model(), args.project)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/kb.db"
        load(url)
        with session(url) as db:
            records = records_of(db)
    verdicts = []
    for case, turns in zip(cases, replies):
        last = turns[-1]
        verdicts.append(judge(case, "\n".join(m.get("text") or "" for m in last), records,
                              outcome(last)[1]))
    print("\n".join(report(verdicts, records)))
    if args.misses:
        for v in verdicts:
            if not v.passed:
                print(f"--- {v.case.id} [{v.case.kind} §{v.case.section}] {' / '.join(v.case.turns)}")
                print(f"    {v.problems} foreign={v.foreign}")
                print("    " + v.reply.replace("\n", "\n    ")[:600])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
