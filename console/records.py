"""A program's full record for staff, and the summary they read out or paste into an e-mail."""
from __future__ import annotations

from typing import Any, Dict, List

from knowledge.models import Desk, Place, Program


def _desk(desk: Desk) -> Dict[str, Any]:
    return {"role": desk.role, "name": desk.name, "organization": desk.organization, "department": desk.department,
            "group": desk.group_name, "phone": desk.phone, "phone_note": desk.phone_note, "fax": desk.fax,
            "email": desk.email, "address": desk.address, "location": desk.location, "city": desk.city,
            "area": desk.area, "hours": desk.hours["text"] if desk.hours else None, "reservation": desk.reservation}


def _place(place: Place) -> Dict[str, Any]:
    return {"kind": place.kind, "name": place.name, "city": place.city, "area": place.area, "address": place.address,
            "hours": place.hours["text"] if place.hours else None, "reservation": place.reservation,
            "contacts": [{"name": c.name, "phone": c.phone, "extension": c.extension, "fax": c.fax}
                         for c in place.contacts]}


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
                        f"窓口：{desk.name}"]
    if desk.phone:
        lines.append(f"電話：{desk.phone}{desk.phone_note or ''}")
    if desk.fax:
        lines.append(f"FAX：{desk.fax}")
    if desk.email:
        lines.append(f"メール：{desk.email}")
    if desk.address or desk.location:
        lines.append(f"所在地：{desk.address or desk.location}")
    if desk.hours:
        lines.append(f"受付時間：{desk.hours['text']}")
    for other in program.desks[1:]:
        lines.append(f"{other.role}：{other.name} 電話：{other.phone or '―'}" + (f" FAX：{other.fax}" if other.fax else ""))
    for label, value in (("対象", program.eligibility_target), ("費用", program.cost_text),
                         ("回数", program.limits_text), ("利用方法", program.how_to_apply)):
        if value:
            lines.append(f"{label}：{value}")
    return "\n".join(lines)
