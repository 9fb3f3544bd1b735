"""A program's full record for staff, and the summary they read out or paste into an e-mail."""
from __future__ import annotations

from typing import Any, Dict, List

from knowledge import facts
from knowledge.models import Desk, Place, Program


def _desk(desk: Desk) -> Dict[str, Any]:
    """The desk's fields, and ``contact_lines`` as every face shows them (knowledge/facts.py)."""
    return {"role": desk.role, "name": desk.name, "organization": desk.organization, "department": desk.department,
            "group": desk.group_name, "phone": desk.phone, "phone_note": desk.phone_note, "fax": desk.fax,
            "email": desk.email, "address": desk.address, "location": desk.location, "city": desk.city,
            "area": desk.area, "hours": desk.hours_text, "reservation": desk.reservation,
            "contact_lines": facts.desk_lines(desk)}


def _place(place: Place) -> Dict[str, Any]:
    return {"kind": place.kind, "name": place.name, "city": place.city, "area": place.area, "address": place.address,
            "hours": place.hours_text, "reservation": place.reservation,
            "contacts": [{"name": c.name, "phone": c.phone, "extension": c.extension, "fax": c.fax}
                         for c in place.contacts],
            "contact_lines": [facts.contact_line(c) for c in place.contacts]}


def record(program: Program) -> Dict[str, Any]:
    return {
        "section": program.section, "slug": program.slug, "name": program.name, "title": program.title,
        "summary": program.summary, "offers": [{"name": o.name, "description": o.description} for o in program.offers],
        "target": program.eligibility_target, "conditions": program.eligibility_conditions,
        "cost": program.cost_text, "limits": program.limits_text, "how_to_apply": program.how_to_apply,
        "period": program.period, "notes": program.notes, "confidential": program.confidential,
        "desks": [_desk(d) for d in program.desks], "places": [_place(p) for p in program.places],
        "summary_text": summary(program),
    }


def summary(program: Program) -> str:
    """Plain text to read to the caller or paste into an e-mail: the desk first, then the essentials."""
    desk = program.main_desk
    lines: List[str] = [f"【{program.name}】（青森県 支援ガイドⅢ-{program.section}）", program.title, "",
                        f"窓口：{desk.name}", *facts.desk_lines(desk)]
    if desk.address or desk.location:
        lines.append(f"所在地：{desk.address or desk.location}")
    for other in program.desks[1:]:
        lines.append(f"{other.role}：{other.name} " + (" ".join(facts.desk_lines(other)) or "電話：―"))
    for label, value in (("対象", program.eligibility_target), ("費用", program.cost_text),
                         ("回数", program.limits_text), ("利用方法", program.how_to_apply)):
        if value:
            lines.append(f"{label}：{value}")
    return "\n".join(lines)
