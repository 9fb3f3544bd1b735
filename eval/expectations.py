"""What a correct reply about a program must and must not contain, read from the knowledge store.

- the asked fact, where the guide gives it (phone, FAX, e-mail, cost, target …);
- no phone number or e-mail address that belongs only to other programs (a shared desk belongs to all
  the programs it serves).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, List, Optional, Set

from knowledge import query, rules
from knowledge.models import Program

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)


def contacts_of(program: Program) -> Set[str]:
    """Every phone, FAX and e-mail of the program's desks and places."""
    found: Set[str] = set()
    for desk in program.desks:
        found.update(x for x in (desk.phone, desk.fax, desk.email) if x)
    for place in program.places:
        for contact in place.contacts:
            values = (contact.phone, getattr(contact, "fax", None), getattr(contact, "email", None))
            found.update(x for x in values if x)
    return found


def contacts_by_section(db) -> Dict[int, Set[str]]:
    return {p.section: contacts_of(p) for p in query.all_programs(db)}


def foreign_contacts(text: str, section: int, by_section: Dict[int, Set[str]]) -> List[str]:
    """Phones and e-mails in ``text`` that are not the contacts of ``section``'s program."""
    text = unicodedata.normalize("NFKC", text)
    own = by_section[section]
    shown = set(PHONE.findall(text)) | set(EMAIL.findall(text))
    return sorted(x for x in shown if x not in own)


def accepted_facts(db, program: Program, field: str) -> List[str]:
    """Texts any one of which answers a question on ``field``: the guide's text, or for 経営革新's target
    the per-industry employee limit the rule answer gives (「卸売業は従業員400人以下…」); [] when the
    guide does not give the fact."""
    fact = expected_fact(db, program, field)
    facts = [fact] if fact else []
    if field == "target" and facts and program.section == query.innovation_program(db).section:
        facts += [f"従業員{count}人以下" for _, count in rules.employee_limits(db)]
    return facts


def expected_fact(db, program: Program, field: str) -> Optional[str]:
    """The text a reply to a question on ``field`` must contain; None when the guide does not give it."""
    desk = program.main_desk
    if field in ("phone", "fax", "email"):
        return next((getattr(d, field) for d in program.desks if getattr(d, field)), None)
    if field == "cost":
        return program.cost_text
    if field == "target":
        return program.eligibility_target
    if field == "limits":
        limit = rules.visit_limit(db, program.section)
        return program.limits_text or (limit.text if limit else None)
    if field == "how_to_apply":
        return program.how_to_apply
    if field == "place":
        return (program.places[0].name if program.places else None) or desk.address or desk.location
    if field == "hours":
        where = next(iter(query.with_hours(program)), None)
        return where.hours_text if where else None
    raise ValueError(field)
