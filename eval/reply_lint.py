"""A linter for the assistant's Japanese replies: what a customer would notice as broken.

Each finding names the rule and the offending text. Used by the conversation matrix (tests/e2e) and
the evaluation; its own tests are in tests/unit/test_reply_lint.py.
"""
from __future__ import annotations

import re
from typing import List

PAIRS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "［": "］", "[": "]"}
# A copula or polite ending doubled across a sentence boundary: 「…です。です。」「…ます。です。」
DOUBLED_COPULA = re.compile(r"(です|ます|でした|ください)[。．]?\s*(です|ます)[。．]")
# Words that promise a list or table that must follow on a later line.
POINTING = re.compile(r"(以下の|下記の|以下のとおり|次のとおり|次の(?!受付|開始|日|回|方|月|年|週|営業|機会))")
# References to a table above that a reply cannot show.
BACKWARD = re.compile(r"上記の?|前記の?")
EMPTY_LABEL = re.compile(r"^[^\n：]{1,12}：\s*$", re.MULTILINE)


def _unbalanced(text: str) -> List[str]:
    stack: List[str] = []
    closing = {v: k for k, v in PAIRS.items()}
    for char in text:
        if char in PAIRS:
            stack.append(char)
        elif char in closing:
            if not stack or stack[-1] != closing[char]:
                return [f"unbalanced bracket {char!r}"]
            stack.pop()
    return [f"unclosed bracket {stack[-1]!r}"] if stack else []


def _dangling_pointer(text: str) -> List[str]:
    """「以下の」「次の」 must be followed, after a line break, by at least one more non-empty line."""
    findings = []
    for match in POINTING.finditer(text):
        rest = text[match.end():]
        following = [line for line in rest.split("\n")[1:] if line.strip()]
        if not following:
            findings.append(f"dangling {match.group(1)!r} with nothing listed after it")
    return findings


def lint(text: str) -> List[str]:
    """Findings for one reply text; [] when it reads correctly."""
    findings = []
    if not text or not text.strip():
        return ["empty reply"]
    if DOUBLED_COPULA.search(text):
        findings.append(f"doubled copula: {DOUBLED_COPULA.search(text).group(0)!r}")
    if "。。" in text or "、。" in text or "。、" in text:
        findings.append("doubled punctuation")
    findings += _dangling_pointer(text)
    if BACKWARD.search(text):
        findings.append(f"refers to something above it: {BACKWARD.search(text).group(0)!r}")
    findings += _unbalanced(text)
    if re.search(r"\{[a-z_]+\}", text):
        findings.append(f"unfilled placeholder: {re.search(r'{[a-z_]+}', text).group(0)}")
    if re.search(r"\bNone\b|\bnull\b", text):
        findings.append("None or null shown to the user")
    if EMPTY_LABEL.search(text):
        findings.append(f"label with empty value: {EMPTY_LABEL.search(text).group(0)!r}")
    if "「」" in text or "（）" in text:
        findings.append("empty brackets")
    return findings
