"""Query API on a real database: programs, locations, fields and opening hours at edge moments."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from knowledge import query
from knowledge.hours import JST
from knowledge.locations import Location, find_location, place_names


def test_program_by_section_and_slug(db):
    assert query.program(db, 21).slug == "business-succession"
    assert query.program(db, "21").section == 21
    assert query.program(db, "business-succession").section == 21
    assert query.program(db, 99) is None and query.program(db, "no-such-program") is None
    assert [p.section for p in query.all_programs(db)] == list(range(1, 23))


@pytest.mark.parametrize("said, municipality, area", [
    ("弘前です", "弘前市", "中南"),
    ("八戸市の水産加工業です", "八戸市", "三八"),
    ("むつで店をやってます", "むつ市", "下北"),
    ("十和田", "十和田市", "上北"),
    ("平川市", "平川市", "中南"),
    ("おいらせ町から", "おいらせ町", "上北"),
    ("五所川原市", "五所川原市", "西北"),
    ("鯵ヶ沢です", "鰺ヶ沢町", "西北"),
    ("ひろさき", "弘前市", "中南"),
    ("ＨＡＣＨＩＮＯＨＥじゃなくて三沢", "三沢市", "上北"),
    ("青森市", "青森市", "東青"),
])
def test_municipalities_map_to_the_guides_areas(db, said, municipality, area):
    assert find_location(db, said) == Location(area=area, municipality=municipality)


def test_areas_and_non_places(db):
    assert find_location(db, "中南地域の会社") == Location(area="中南")
    assert find_location(db, "下北") == Location(area="下北")
    assert find_location(db, "青森県内の事業者です") is None  # the prefecture is not 青森市
    assert find_location(db, "東京です") is None
    assert find_location(db, "田舎館村").area == "中南" and find_location(db, "大間").area == "下北"


def test_all_forty_municipalities_are_mapped(db):
    from sqlalchemy import func, select

    from knowledge.models import Municipality

    assert db.execute(select(func.count()).select_from(Municipality)).scalar_one() == 40
    areas = {m.area for m in db.execute(select(Municipality)).scalars()}
    assert areas == {"東青", "中南", "三八", "西北", "上北", "下北"}


def test_place_names_are_every_municipality_and_area_as_the_map_writes_them(db):
    names = place_names(db)
    assert {"八戸市", "八戸", "はちのへ", "外ケ浜町", "三八", "さんぱち", "中南"} <= names
    assert "三八地域" not in names  # find_location's own spellings (地域, 地区) are not the map's names


def test_places_near_prefers_the_same_city_then_the_area(db):
    startup = query.program(db, 6)
    hirosaki = query.places_near(startup, Location("中南", "弘前市"))
    assert [p.name for p in hirosaki] == ["ひろさきビジネス支援センター"]
    hirakawa = query.places_near(startup, Location("中南", "平川市"))  # no room in 平川: the area's rooms
    assert {p.city for p in hirakawa} == {"弘前市", "黒石市"}
    food = query.places_near(query.program(db, 13), Location("上北", "おいらせ町"))
    assert [c.phone for c in food[0].contacts] == ["0176-23-4281"]
    assert len(query.places_near(query.program(db, 18), Location("三八", "八戸市"))) == 2
    assert query.places_near(query.program(db, 21), Location("三八", "八戸市")) == ()


def test_single_fields(db):
    hr = query.program(db, 2)
    assert query.field_value(hr, "phone") == "017-775-7075"
    assert query.field_value(hr, "fax") == "017-775-7076"
    assert query.field_value(hr, "email") == "wakamono@pref.aomori.lg.jp"
    assert "アスパム" in query.field_value(hr, "address")
    assert "8：30" in query.field_value(hr, "hours") or "8:30" in query.field_value(hr, "hours")
    assert query.field_value(hr, "cost").startswith("無料")
    assert "採用" in query.field_value(hr, "target")
    assert "2回" in query.field_value(hr, "limits")
    assert query.field_value(query.program(db, 4), "phone") == "017-734-9375（直通）"
    assert query.field_value(query.program(db, 17), "hours") is None  # the guide gives none
    with pytest.raises(ValueError):
        query.field_value(hr, "weather")


def jst(*args):
    return datetime(*args, tzinfo=JST)


@pytest.mark.parametrize("moment, is_open", [
    (jst(2026, 11, 27, 17, 14), True),    # Friday, a minute before closing
    (jst(2026, 11, 27, 17, 15), False),   # closing moment
    (jst(2026, 11, 27, 17, 16), False),
    (jst(2026, 11, 27, 8, 29), False),
    (jst(2026, 11, 27, 8, 30), True),
    (jst(2026, 11, 28, 10, 0), False),    # Saturday
    (jst(2026, 11, 23, 10, 0), False),    # 勤労感謝の日 (Monday, public holiday)
    (jst(2026, 12, 31, 10, 0), False),    # 年末年始
    (jst(2027, 1, 3, 10, 0), False),
    (jst(2026, 12, 28, 10, 0), True),     # last working day of the year
    (datetime(2026, 11, 27, 8, 14, tzinfo=timezone.utc), True),  # 17:14 in Japan
])
def test_opening_hours_at_edge_moments(db, moment, is_open):
    desk = query.program(db, 2).main_desk
    status = query.open_status(db, desk, moment)
    assert status.is_open is is_open
    assert status.caveats == ("アスパム休館日",)


def test_next_opening(db):
    desk = query.program(db, 16).places[0]  # よろず支援拠点 相談窓口 (平日 8:30-17:15)
    assert query.open_status(db, desk, jst(2026, 11, 27, 17, 16)).next_opening == jst(2026, 11, 30, 8, 30)
    assert query.open_status(db, desk, jst(2026, 12, 31, 9, 0)).next_opening == jst(2027, 1, 4, 8, 30)
    assert query.open_status(db, desk, jst(2026, 11, 22, 12, 0)).next_opening == jst(2026, 11, 24, 8, 30)
    assert query.open_status(db, desk, jst(2026, 11, 24, 7, 0)).next_opening == jst(2026, 11, 24, 8, 30)


def test_hours_unknown_when_the_guide_names_no_days(db):
    satellite = next(p for p in query.program(db, 16).places if p.kind == "サテライト")
    status = query.open_status(db, satellite, jst(2026, 11, 27, 10, 0))
    assert status.is_open is None and "9:00" in status.hours_text
    assert query.open_status(db, query.program(db, 21).main_desk, jst(2026, 11, 27, 10, 0)) is None



# ---- the parts programs play (roles.yml) ------------------------------------------------------------------------

def test_roles_are_read_from_the_store(db):
    assert query.general_desk(db).name == "青森県よろず支援拠点"
    assert [p.section for p in query.topic_programs(db)] == [16, 2, 6, 21, 17]
    assert [p.section for p in query.candidates(db, "market")] == [17, 10, 11, 12, 4]
    assert [p.section for p in query.candidates(db, "expert")] == [19, 2, 3, 4, 8]
    with pytest.raises(ValueError, match="no candidates for situation 'nothing'"):
        query.candidates(db, "nothing")


def test_the_innovation_program_is_the_one_carrying_its_rules(db):
    innovation = query.innovation_program(db)
    assert innovation.slug == "management-innovation"
    assert {"employee_limit", "plan_period", "value_added_growth", "payroll_growth"} <= {r.kind for r in innovation.rules}


def test_roles_change_with_the_data_and_a_reload(tmp_path):
    """Nothing names the roles' programs in code: another roles.yml, loaded, is what the queries give."""
    import shutil

    import yaml

    from knowledge.db import session
    from knowledge.loader import DATA_DIR, load

    changed = tmp_path / "data"
    shutil.copytree(DATA_DIR, changed, ignore=shutil.ignore_patterns("*.py", "*.db", "__pycache__"))
    roles = yaml.safe_load((changed / "roles.yml").read_text(encoding="utf-8"))
    roles.update(general_desk=21, topics=[17, 21])
    roles["candidates"]["market"] = [11, 17]
    (changed / "roles.yml").write_text(yaml.safe_dump(roles, allow_unicode=True), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"

    load(url, changed)
    with session(url) as db:
        assert query.general_desk(db).section == 21
        assert [p.section for p in query.topic_programs(db)] == [17, 21]
        assert [p.section for p in query.candidates(db, "market")] == [11, 17]
        assert [p.section for p in query.candidates(db, "expert")] == [19, 2, 3, 4, 8]
    load(url)
    with session(url) as db:
        assert query.general_desk(db).section == 16
        assert [p.section for p in query.topic_programs(db)] == [16, 2, 6, 21, 17]


# ---- programs read once per data version ------------------------------------------------------------------------

def statements_while(url, reading):
    """The SQL statements the store runs while ``reading(db)`` runs in a new session on ``url``."""
    from sqlalchemy import event

    from knowledge.db import engine_for, session

    executed = []

    def record(_conn, _cursor, statement, *_args):
        executed.append(statement)

    event.listen(engine_for(url), "before_cursor_execute", record)
    try:
        with session(url) as db:
            reading(db)
    finally:
        event.remove(engine_for(url), "before_cursor_execute", record)
    return executed


def look_up_like_a_turn(db):
    assert query.program(db, 21).main_desk.phone
    assert query.program(db, "business-succession").section == 21
    assert len(query.all_programs(db)) == 22
    assert [p.section for p, _ in query.programs_named_in(db, "事業承継の電話番号は？")] == [21]
    assert query.general_desk(db).section == 16 and query.innovation_program(db).section == 5
    assert len(query.topic_programs(db)) == 5 and len(query.candidates(db, "expert")) == 5


def test_programs_are_read_once_per_data_version(kb_url):
    statements_while(kb_url, look_up_like_a_turn)  # the first session of this version may read every program
    later = [sql for sql in statements_while(kb_url, look_up_like_a_turn) if sql.lstrip().upper().startswith("SELECT")]
    assert len(later) == 1 and "FROM settings" in later[0], later  # only the data version, to know the snapshot holds


def test_a_reload_with_new_facts_is_read_at_once(tmp_path):
    import shutil

    import yaml

    from knowledge.db import session
    from knowledge.loader import DATA_DIR, load

    changed = tmp_path / "data"
    shutil.copytree(DATA_DIR, changed, ignore=shutil.ignore_patterns("*.py", "*.db", "__pycache__"))
    [path] = (changed / "programs").glob("21_*.yml")
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["desks"][0]["phone"] = "017-999-0000"
    path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"

    load(url)
    with session(url) as db:
        original = query.program(db, 21).main_desk.phone
    load(url, changed)
    with session(url) as db:
        assert query.program(db, 21).main_desk.phone == "017-999-0000" != original
    load(url)
    with session(url) as db:
        assert query.program(db, 21).main_desk.phone == original
