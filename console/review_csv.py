"""The filtered queue as a CSV file for Excel: the spreadsheet staff hand on, with formula injection defused.

Works on the entries as the page shows them (console/review_queue.py), so the file says what the page says.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping, Optional, Sequence

CSV_COLUMNS = ("ID", "日時（日本時間）", "会話", "チャネル", "種別", "発言（マスク済み）", "意図", "候補（スコア）",
               "回答した制度", "評価", "判定", "学習例の制度", "判定日時（日本時間）")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell Excel shows as text: one that starts like a formula gets a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _named(program: Optional[Mapping[str, Any]]) -> str:
    return f"Ⅲ-{program['section']} {program['name']}" if program else ""


def queue_csv(entries: Sequence[Mapping[str, Any]]) -> str:
    """The entries as CSV, UTF-8 with a byte order mark (so Excel reads the Japanese), CRLF line ends."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        candidates = "、".join(f"{_named(c)}（{c['score']}）" for c in e["candidates"])
        writer.writerow([_cell(v) for v in (
            e["id"], e["at_jst"], e["conversation"], e["channel_label"], e["kind_label"], e["text"], e["intent"],
            candidates, _named(e["program"]), e["feedback_label"] if e["feedback"] else "", e["mark_label"],
            _named(e["mark_program"]), e["marked_at_jst"])])
    return out.getvalue()
