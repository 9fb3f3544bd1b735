"""Validate the guide's YAML files and build the database from them in one transaction.

Validation happens completely before the database is touched, and the write is a single
transaction, so a bad file never leaves a half-loaded (or emptied) database behind.

A reload while the assistant serves: on PostgreSQL the transaction first takes every knowledge table in ACCESS
EXCLUSIVE mode (``_lock_out_readers``), so that no answer is read half from the old and half from the new data.
"""
from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from knowledge import models, schema
from knowledge.db import engine_for
from knowledge.passages import guide_passages

DATA_DIR = Path(__file__).resolve().parent
SOURCE_FILE = "aomori-support-guide-III.txt"  # the guide's text (knowledge/source/README.md)
PROGRAM_FILE = re.compile(r"^(\d{2})_([a-z0-9-]+)\.yml$")


class KnowledgeDataError(ValueError):
    """A data file is wrong; the message names the file, the program and the field."""

    def __init__(self, path: Path, problem: str, program: Optional[str] = None, field: Optional[str] = None):
        self.path, self.problem, self.program, self.field = path, problem, program, field
        parts = [str(path)]
        if program:
            parts.append(f"program {program}")
        if field:
            parts.append(f"field '{field}'")
        super().__init__(": ".join(parts) + f": {problem}")


@dataclass
class GuideData:
    programs: List[schema.Program]
    municipalities: schema.MunicipalityMap
    synonyms: schema.Synonyms
    calendar: schema.Calendar
    questions: schema.Questions
    roles: schema.Roles
    elsewhere: schema.Elsewhere
    offices: schema.Offices
    distress: schema.Distress
    askers: schema.Askers
    passages: Dict[int, List[str]]


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise KnowledgeDataError(path, f"invalid YAML: {error}") from None
    except OSError as error:
        raise KnowledgeDataError(path, f"cannot read: {error.strerror}") from None


def _field_path(location: Sequence[Any]) -> str:
    """('desks', 0, 'phone') -> 'desks[0].phone', the way a person reads the YAML."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in schema.RULE_KINDS:
            continue  # the discriminator's own name in pydantic's path, not a YAML key
        else:
            text += f".{part}" if text else str(part)
    return text


def _validate(model: type[BaseModel], raw: Any, path: Path, program: Optional[str] = None) -> Any:
    if not isinstance(raw, dict):
        raise KnowledgeDataError(path, "the file must hold a mapping (key: value) at the top", program)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise KnowledgeDataError(path, first["msg"], program, _field_path(first["loc"])) from None


def _program_label(raw: Any, path: Path) -> str:
    match = PROGRAM_FILE.match(path.name)
    section = raw.get("section") if isinstance(raw, dict) else None
    slug = raw.get("slug") if isinstance(raw, dict) else None
    return f"§{section if section is not None else (int(match.group(1)) if match else '?')}" + (
        f" ({slug})" if slug else ""
    )


def read_guide(data_dir: Path = DATA_DIR) -> GuideData:
    """Read and check every file; raise KnowledgeDataError on the first problem found."""
    programs_dir = data_dir / "programs"
    programs: List[schema.Program] = []
    for path in sorted(programs_dir.glob("*.yml")):
        raw = _read_yaml(path)
        label = _program_label(raw, path)
        program = _validate(schema.Program, raw, path, label)
        match = PROGRAM_FILE.match(path.name)
        if not match or int(match.group(1)) != program.section or match.group(2) != program.slug:
            raise KnowledgeDataError(path, f"file name must be {program.section:02d}_{program.slug}.yml", label)
        programs.append(program)

    municipalities = _validate(schema.MunicipalityMap, _read_yaml(data_dir / "municipalities.yml"),
                               data_dir / "municipalities.yml")
    synonyms = _validate(schema.Synonyms, _read_yaml(data_dir / "synonyms.yml"), data_dir / "synonyms.yml")
    calendar = _validate(schema.Calendar, _read_yaml(data_dir / "calendar.yml"), data_dir / "calendar.yml")
    questions = _validate(schema.Questions, _read_yaml(data_dir / "questions.yml"), data_dir / "questions.yml")
    roles = _validate(schema.Roles, _read_yaml(data_dir / "roles.yml"), data_dir / "roles.yml")
    elsewhere = _validate(schema.Elsewhere, _read_yaml(data_dir / "elsewhere.yml"), data_dir / "elsewhere.yml")
    offices = _validate(schema.Offices, _read_yaml(data_dir / "offices.yml"), data_dir / "offices.yml")
    distress = _validate(schema.Distress, _read_yaml(data_dir / "distress.yml"), data_dir / "distress.yml")
    askers = _validate(schema.Askers, _read_yaml(data_dir / "askers.yml"), data_dir / "askers.yml")

    _check_sections(programs, programs_dir)
    _check_cities(programs, municipalities, programs_dir)
    _check_roles(roles, programs, data_dir / "roles.yml")
    _check_innovation_rules(programs, programs_dir)
    _check_elsewhere(elsewhere, municipalities, data_dir / "elsewhere.yml")
    passages = guide_passages(data_dir / "source" / SOURCE_FILE, len(programs))
    return GuideData(programs, municipalities, synonyms, calendar, questions, roles, elsewhere, offices,
                     distress, askers, passages)


def _check_elsewhere(elsewhere: schema.Elsewhere, areas: schema.MunicipalityMap, path: Path) -> None:
    """A name outside the prefecture must not also name one of its towns (南部 is a town of Aomori's too)."""
    inside = {name for area in areas.areas for m in area.municipalities for name in [m.name, *m.aliases]}
    for prefecture in elsewhere.prefectures:
        clash = sorted(set(prefecture.names) & inside)
        if clash:
            raise KnowledgeDataError(path, f"{prefecture.name}: {', '.join(clash)} also names a municipality of "
                                           "Aomori Prefecture (municipalities.yml)")


def _check_sections(programs: List[schema.Program], programs_dir: Path) -> None:
    """The guide numbers its programs 1, 2, 3 …: a gap or a repeat means a file is missing or misnumbered."""
    found = sorted(program.section for program in programs)
    expected = list(range(1, len(found) + 1))
    if found != expected:
        missing = sorted(set(expected) - set(found))
        raise KnowledgeDataError(programs_dir, f"sections must run 1-{len(found)} without gaps or repeats; "
                                               f"missing {missing}, found {found}")
    slugs = [program.slug for program in programs]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        raise KnowledgeDataError(programs_dir, f"slug '{slug}' is used by more than one program", field="slug")


def _check_cities(programs: List[schema.Program], areas: schema.MunicipalityMap, programs_dir: Path) -> None:
    known = {municipality.name for area in areas.areas for municipality in area.municipalities}
    for program in programs:
        label = f"§{program.section} ({program.slug})"
        path = programs_dir / f"{program.section:02d}_{program.slug}.yml"
        venues: Dict[str, Sequence[Union[schema.Desk, schema.Place]]] = {"desks": program.desks,
                                                                          "places": program.places}
        for kind, items in venues.items():
            for index, item in enumerate(items):
                if item.city is not None and item.city not in known:
                    raise KnowledgeDataError(path, f"'{item.city}' is not a municipality of Aomori Prefecture",
                                             label, f"{kind}[{index}].city")


def _role_lists(roles: schema.Roles) -> List[Tuple[str, Optional[str], str, List[int]]]:
    """(role, situation, field in roles.yml, sections in order) for every role the file gives."""
    return [("general_desk", None, "general_desk", [roles.general_desk]),
            ("moving_in", None, "moving_in", [roles.moving_in]), ("topic", None, "topics", roles.topics),
            ("job_seekers", None, "job_seekers", roles.job_seekers),
            *(("candidate", situation, f"candidates.{situation}", sections)
              for situation, sections in roles.candidates.model_dump().items())]


def _check_roles(roles: schema.Roles, programs: List[schema.Program], path: Path) -> None:
    """Every section roles.yml names is a program, named once per role."""
    known = {program.section for program in programs}
    for role, _, field, sections in _role_lists(roles):
        for index, section in enumerate(sections):
            where = field if role in ("general_desk", "moving_in") else f"{field}[{index}]"
            if section not in known:
                raise KnowledgeDataError(path, f"no program has section {section}", field=where)
            if sections.index(section) != index:
                raise KnowledgeDataError(path, f"section {section} is listed twice", field=where)


def _check_innovation_rules(programs: List[schema.Program], programs_dir: Path) -> None:
    """One program carries the 経営革新 rules, all of those the answers need: that program is the 経営革新 one."""
    kinds = schema.INNOVATION_RULE_KINDS
    carriers = [program for program in programs if any(rule.kind in kinds for rule in program.rules)]
    if len(carriers) != 1:
        found = ", ".join(f"§{program.section}" for program in carriers) or "none"
        raise KnowledgeDataError(programs_dir, f"one program must carry the 経営革新 rules ({', '.join(kinds)}); "
                                               f"found in: {found}", field="rules")
    program = carriers[0]
    missing = [kind for kind in schema.REQUIRED_INNOVATION_RULE_KINDS if kind not in {r.kind for r in program.rules}]
    if missing:
        raise KnowledgeDataError(programs_dir / f"{program.section:02d}_{program.slug}.yml",
                                 f"the 経営革新 program needs rules of kind {', '.join(missing)}",
                                 f"§{program.section} ({program.slug})", "rules")


def _role_rows(roles: schema.Roles) -> Dict[int, List[models.Role]]:
    """The Role rows of each program, by section."""
    rows: Dict[int, List[models.Role]] = {}
    for role, situation, _, sections in _role_lists(roles):
        for rank, section in enumerate(sections):
            rows.setdefault(section, []).append(models.Role(role=role, situation=situation, rank=rank))
    return rows


def _rows(data: GuideData) -> List[models.Base]:
    area_of = {m.name: area.name for area in data.municipalities.areas for m in area.municipalities}
    rows: List[models.Base] = []
    for rank, area in enumerate(data.municipalities.areas):
        rows.append(models.Area(name=area.name, reading=area.reading, rank=rank))
        rows.extend(models.Municipality(name=m.name, area=area.name, aliases=m.aliases)
                    for m in area.municipalities)
    for group in data.synonyms.groups:
        rows.extend(models.Synonym(term=term, canonical=group[0]) for term in dict.fromkeys(group))
    rows.append(models.Setting(key="year_end", value=data.calendar.year_end.model_dump()))
    rows.append(models.Setting(key="question_fields", value=data.questions.model_dump()["fields"]))
    rows.append(models.Setting(key="elsewhere", value=data.elsewhere.model_dump()["prefectures"]))
    rows.append(models.Setting(key="offices", value=data.offices.model_dump()["offices"]))
    rows.append(models.Setting(key="distress", value=data.distress.model_dump()))
    rows.append(models.Setting(key="askers", value=data.askers.model_dump()))
    roles = _role_rows(data.roles)
    for program in data.programs:
        row = _program_row(program, area_of)
        row.passages = [models.Passage(rank=rank, text=text)
                        for rank, text in enumerate(data.passages.get(program.section, []))]
        row.roles = roles.get(program.section, [])
        rows.append(row)
    return rows


def _dump(value: Optional[BaseModel]) -> Optional[Dict[str, Any]]:
    return value.model_dump() if value is not None else None


def _program_row(program: schema.Program, area_of: Dict[str, str]) -> models.Program:
    return models.Program(
        section=program.section, slug=program.slug, title=program.title, situation=program.situation,
        name=program.name, summary=program.summary, keywords=program.keywords, aliases=program.aliases,
        markets=program.markets,
        eligibility_target=program.eligibility.target, eligibility_conditions=program.eligibility.conditions,
        cost_text=program.cost.text, cost_free=program.cost.free, limits_text=program.limits.text,
        how_to_apply=program.how_to_apply, period=program.period, notes=program.notes,
        confidential=program.confidential,
        offers=[models.Offer(rank=i, name=o.name, description=o.description) for i, o in enumerate(program.offers)],
        desks=[
            models.Desk(
                rank=i, role=d.role, name=d.name, organization=d.organization, department=d.department,
                group_name=d.group, phone=d.phone, phone_note=d.phone_note, fax=d.fax, email=d.email,
                address=d.address, location=d.location, city=d.city, area=area_of.get(d.city or ""),
                hours=_dump(d.hours), reservation=d.reservation, aliases=d.aliases, serves=d.serves,
            )
            for i, d in enumerate(program.desks)
        ],
        places=[
            models.Place(
                rank=i, kind=p.kind, name=p.name, city=p.city, area=area_of.get(p.city or ""), address=p.address,
                hours=_dump(p.hours), reservation=p.reservation, aliases=p.aliases, serves=p.serves,
                contacts=[models.Contact(rank=j, name=c.name, phone=c.phone, extension=c.extension, fax=c.fax)
                          for j, c in enumerate(p.contacts)],
            )
            for i, p in enumerate(program.places)
        ],
        rules=[models.Rule(rank=i, kind=r.kind, params=r.model_dump()) for i, r in enumerate(program.rules)],
    )


# Children first, so deleting never trips a foreign key.
_TABLES_IN_DELETE_ORDER = (models.Passage, models.Role, models.Contact, models.Place, models.Desk, models.Offer,
                           models.Rule, models.Program, models.Municipality, models.Area, models.Synonym,
                           models.Setting)


def data_version(data_dir: Path = DATA_DIR) -> str:
    """A hash of every data file: caches built from the database (search index) key on it."""
    digest = hashlib.sha256()
    for path in sorted([*data_dir.rglob("*.yml"), *(data_dir / "source").glob("*.txt")]):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _schema_matches(engine) -> bool:
    """Whether every existing table has exactly the columns the models declare (absent tables are fine)."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    return all({c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
               for table in models.Base.metadata.sorted_tables if table.name in existing)


# How long the reload waits for readers at a time (PostgreSQL's lock_timeout), and how often it tries.
LOCK_TIMEOUT_MS = 200
LOCK_ATTEMPTS = 100
# PostgreSQL's lock_not_available (the lock_timeout) and deadlock_detected.
_LOCK_REFUSED = {"55P03", "40P01"}


def _lock_out_readers(db: Session) -> None:
    """Wait until no reader is half-way through an answer, and keep new readers out until the reload commits.

    A reader (READ COMMITTED) takes a new snapshot for each statement: reading a program, then its desks, it
    would see the old program and the new desks if a reload committed in between. But it holds an ACCESS SHARE
    lock on each table it has read until its session ends, and it waits for a table in ACCESS EXCLUSIVE mode,
    then reads what was committed. A reader half-way may need a table this transaction already holds while
    holding one it waits for: the short lock_timeout gives up first (the caller tries again), before
    PostgreSQL's deadlock check (1 s) would abort the reader."""
    tables = ", ".join(db.get_bind().dialect.identifier_preparer.format_table(table)
                       for table in models.Base.metadata.sorted_tables)
    db.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))
    db.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))


def _lock_refused(error: OperationalError) -> bool:
    return getattr(error.orig, "pgcode", None) in _LOCK_REFUSED


def load(url: str, data_dir: Path = DATA_DIR) -> GuideData:
    """Validate the data, then replace the database's contents with it in one transaction."""
    data = read_guide(data_dir)
    version = data_version(data_dir)
    engine = engine_for(url)
    if not _schema_matches(engine):  # the data's shape changed (a new column): rebuild the tables
        models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    postgres = engine.dialect.name == "postgresql"
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with Session(engine, future=True) as db, db.begin():
                if postgres:
                    _lock_out_readers(db)
                for table in _TABLES_IN_DELETE_ORDER:
                    db.execute(delete(table))
                db.add_all(_rows(data))
                db.add(models.Setting(key="data_version", value=version))
            return data
        except OperationalError as error:
            if not (postgres and _lock_refused(error)) or attempt == LOCK_ATTEMPTS:
                raise
            time.sleep(random.uniform(0.02, 0.2))  # readers' sessions last milliseconds
    raise AssertionError("unreachable")
