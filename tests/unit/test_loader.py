"""The loader: round trip, idempotent reload, and bad files rejected with the database untouched."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from knowledge import __main__ as cli
from knowledge import catalog
from knowledge.db import session
from knowledge.loader import DATA_DIR, KnowledgeDataError, load, read_guide
from knowledge.models import Contact, Desk, Place, Program, Role, Rule, Setting


def counts(url):
    with session(url) as db:
        return {model.__name__: db.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Program, Desk, Place, Contact, Rule, Role)}


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A private copy of the data files to break."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy, ignore=shutil.ignore_patterns("*.py", "*.db", "__pycache__"))
    return copy


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'kb.db'}"


def expected_counts():
    programs = read_guide().programs
    return {"Program": len(programs), "Desk": sum(len(p.desks) for p in programs),
            "Place": sum(len(p.places) for p in programs),
            "Contact": sum(len(c.contacts) for p in programs for c in p.places),
            "Rule": sum(len(p.rules) for p in programs),
            "Role": 22}  # roles.yml: the general desk, moving in, five topics, five candidates for each of two situations,
            # two for each of the two kinds of trouble, and the job-seekers' program


def test_round_trip_keeps_every_record(kb_url):
    assert counts(kb_url) == expected_counts()
    source = {p.section: p for p in read_guide().programs}[2]
    with session(kb_url) as db:
        stored = db.get(Program, 2)
        assert stored.slug == source.slug and stored.title == source.title
        assert stored.main_desk.phone == source.desks[0].phone == "017-775-7075"
        assert stored.main_desk.hours["open"] == "08:30"
        assert stored.rules[0].params["max_visits"] == 2


def test_reload_is_idempotent(url):
    load(url)
    first = counts(url)
    load(url)
    assert counts(url) == first == expected_counts()


def _edit(data_dir: Path, name: str, change) -> Path:
    path = data_dir / "programs" / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _assert_untouched(url, before_counts, before_version):
    assert counts(url) == before_counts
    with session(url) as db:
        assert db.get(Setting, "data_version").value == before_version
        assert db.get(Program, 21).main_desk.phone == "017-723-1040"


@pytest.fixture
def loaded(url):
    load(url)
    with session(url) as db:
        version = db.get(Setting, "data_version").value
    return counts(url), version


def test_broken_yaml_is_rejected_naming_the_file(url, loaded, data_dir):
    path = data_dir / "programs" / "21_business-succession.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeDataError) as error:
        load(url, data_dir)
    assert "21_business-succession.yml" in str(error.value) and "invalid YAML" in str(error.value)
    _assert_untouched(url, *loaded)


def test_missing_field_names_file_program_and_field(url, loaded, data_dir):
    _edit(data_dir, "05_management-innovation.yml", lambda d: d["desks"][0].pop("phone"))
    with pytest.raises(KnowledgeDataError) as error:
        load(url, data_dir)
    message = str(error.value)
    assert "05_management-innovation.yml" in message
    assert "§5 (management-innovation)" in message
    assert "desks[0].phone" in message and "required" in message.lower()
    _assert_untouched(url, *loaded)


def test_wrong_type_names_the_field(url, loaded, data_dir):
    _edit(data_dir, "05_management-innovation.yml", lambda d: d["rules"][0].update(max_employees="五百"))
    with pytest.raises(KnowledgeDataError) as error:
        load(url, data_dir)
    assert "rules[0].max_employees" in str(error.value)
    _assert_untouched(url, *loaded)


def test_malformed_phone_is_rejected(url, loaded, data_dir):
    _edit(data_dir, "02_human-resources.yml", lambda d: d["desks"][0].update(phone="017-775-70755"))
    with pytest.raises(KnowledgeDataError, match=r"desks\[0\]\.phone"):
        load(url, data_dir)
    _assert_untouched(url, *loaded)


def test_unknown_key_and_unknown_city_are_rejected(data_dir):
    _edit(data_dir, "06_startup-support.yml", lambda d: d["places"][0].update(city="仙台市"))
    with pytest.raises(KnowledgeDataError, match=r"places\[0\]\.city"):
        read_guide(data_dir)
    _edit(data_dir, "06_startup-support.yml", lambda d: d["places"][0].update(city="弘前市", phne="x"))
    with pytest.raises(KnowledgeDataError, match=r"phne"):
        read_guide(data_dir)


def test_missing_program_file_is_rejected(data_dir):
    (data_dir / "programs" / "13_agri-commerce-food.yml").unlink()
    with pytest.raises(KnowledgeDataError, match=r"missing \[13\]"):
        read_guide(data_dir)


def test_a_new_program_file_is_a_new_program(url, data_dir):
    """Nothing counts the programs: a 23rd file is loaded as the 23rd program."""
    source = yaml.safe_load((data_dir / "programs" / "21_business-succession.yml").read_text(encoding="utf-8"))
    count = len(catalog.programs())
    new = dict(source, section=count + 1, slug="new-program", name="新しい制度")
    (data_dir / "programs" / f"{count + 1:02d}_new-program.yml").write_text(yaml.safe_dump(new, allow_unicode=True),
                                                                          encoding="utf-8")
    data = load(url, data_dir)
    assert [p.section for p in data.programs] == list(range(1, count + 2))
    with session(url) as db:
        assert db.get(Program, count + 1).slug == "new-program"


def test_cli_reports_errors_without_a_traceback(monkeypatch, capsys, data_dir, url):
    _edit(data_dir, "02_human-resources.yml", lambda d: d.pop("slug"))
    monkeypatch.setattr("knowledge.loader.DATA_DIR", data_dir)
    monkeypatch.setattr(cli, "load", lambda target: load(target, data_dir))
    assert cli.main(["load", "--url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "02_human-resources.yml" in err and "Traceback" not in err
    monkeypatch.setattr(cli, "load", load)
    assert cli.main(["load", "--url", url]) == 0
    assert f"loaded {len(catalog.programs())} programs" in capsys.readouterr().out


# ---- roles.yml and the 経営革新 rules ------------------------------------------------------------------------------

def _edit_roles(data_dir: Path, change) -> None:
    path = data_dir / "roles.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("change, field, problem", [
    (lambda d: d["topics"].__setitem__(2, 99), "field 'topics[2]'", "no program has section 99"),
    (lambda d: d.update(general_desk=23), "field 'general_desk'", "no program has section 23"),
    (lambda d: d.update(general_desk=[16, 2]), "field 'general_desk'", "valid integer"),
    (lambda d: d["candidates"]["market"].append(17), "field 'candidates.market[5]'", "section 17 is listed twice"),
    (lambda d: d["candidates"].pop("expert"), "field 'candidates.expert'", "Field required"),
    (lambda d: d["candidates"].update(export=[19, 2]), "field 'candidates.export'", "Extra inputs"),
    (lambda d: d["candidates"].update(market=[17]), "field 'candidates.market'", "at least 2"),
    (lambda d: d.update(topics=["16"]), "field 'topics[0]'", "valid integer"),
])
def test_a_broken_roles_file_is_refused_naming_the_field(url, loaded, data_dir, change, field, problem):
    _edit_roles(data_dir, change)
    with pytest.raises(KnowledgeDataError) as error:
        load(url, data_dir)
    message = str(error.value)
    assert message.startswith(str(data_dir / "roles.yml")) and field in message and problem in message, message
    _assert_untouched(url, *loaded)


def test_the_roles_are_stored_in_order(url, loaded):
    with session(url) as db:
        rows = db.execute(select(Role).order_by(Role.role, Role.situation, Role.rank)).scalars().all()
        stored = {}
        for row in rows:
            stored.setdefault((row.role, row.situation), []).append(row.program_section)
    assert stored == {("general_desk", None): [16], ("moving_in", None): [6], ("topic", None): [16, 2, 6, 21, 17],
                      ("candidate", "market"): [17, 10, 11, 12, 4], ("candidate", "expert"): [19, 2, 3, 4, 8],
                      ("candidate", "debt"): [22, 16], ("candidate", "hardship"): [16, 22],
                      ("job_seekers", None): [15]}


def _move_rule(data_dir: Path, kind: str, to: str) -> None:
    moved = []
    _edit(data_dir, "05_management-innovation.yml",
          lambda d: moved.extend(d["rules"].pop(i) for i in reversed(range(len(d["rules"])))
                                 if d["rules"][i]["kind"] == kind))
    if to:
        _edit(data_dir, to, lambda d: d["rules"].extend(moved))


def test_the_innovation_rules_belong_to_one_program(url, loaded, data_dir):
    _move_rule(data_dir, "sum_formula", "07_innovation.yml")
    with pytest.raises(KnowledgeDataError) as error:
        load(url, data_dir)
    assert "one program must carry the 経営革新 rules" in str(error.value) and "found in: §5, §7" in str(error.value)
    _assert_untouched(url, *loaded)


def test_the_innovation_program_needs_every_rule_the_answers_use(data_dir):
    _move_rule(data_dir, "plan_period", "")
    with pytest.raises(KnowledgeDataError) as error:
        read_guide(data_dir)
    message = str(error.value)
    assert "05_management-innovation.yml" in message and "§5 (management-innovation)" in message
    assert "field 'rules'" in message and "needs rules of kind plan_period" in message


def test_without_innovation_rules_the_load_is_refused(data_dir):
    for kind in ("employee_limit", "plan_period", "value_added_growth", "payroll_growth", "sum_formula"):
        _move_rule(data_dir, kind, "")
    with pytest.raises(KnowledgeDataError, match="found in: none"):
        read_guide(data_dir)
