"""Per-turn latency and throughput over REST, for this assistant and a bare `rasa init` bot.

Both bots are measured in the same run on the same machine (1, 4 and 16 concurrent conversations
of 8 turns each), so the ratio stays meaningful on a noisy machine. Also prints each Rasa server's
resident memory. Usage: python -m eval.benchmark [--rounds N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests

from eval import servers

OUR_TURNS = ["こんにちは", "後継者がいなくて困っています", "費用は？", "電話番号は？", "弘前です",
             "受付時間は？", "ありがとうございました", "さようなら"]
INIT_TURNS = ["hello", "I am sad", "yes", "are you a bot?", "hi", "great", "thanks", "bye"]
CONCURRENCY = (1, 4, 16)


def conversation(url: str, turns: List[str]) -> List[float]:
    sender, latencies = f"bench-{uuid.uuid4().hex[:8]}", []
    with requests.Session() as http:
        for text in turns:
            start = time.perf_counter()
            response = http.post(url, json={"sender": sender, "message": text}, timeout=120)
            response.raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def measure(url: str, turns: List[str], concurrency: int, rounds: int) -> Dict[str, float]:
    conversation(url, turns)  # warm-up
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: conversation(url, turns), range(concurrency * rounds)))
    elapsed = time.perf_counter() - start
    latencies = sorted(x for r in results for x in r)
    q = statistics.quantiles(latencies, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98], "turns_per_s": len(latencies) / elapsed}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench(name: str, url: str, turns: List[str], pid: int, rounds: int) -> Dict[int, Dict[str, float]]:
    figures = {c: measure(url, turns, c, rounds) for c in CONCURRENCY}
    print(f"\n{name}: Rasa server RSS {rss_mb(pid):.0f} MB")
    print(f"{'concurrent':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'turns/s':>8}")
    for c, f in figures.items():
        print(f"{c:>10} {f['p50']:>8.1f} {f['p95']:>8.1f} {f['p99']:>8.1f} {f['turns_per_s']:>8.1f}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="conversations per concurrent user")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kb_url = servers.loaded_knowledge(work)
        with servers.assistant(work, kb_url, rasa_port=5025, actions_port=5075) as processes:
            ours = bench("this assistant", "http://127.0.0.1:5025/webhooks/rest/webhook", OUR_TURNS,
                         processes[-1].pid, args.rounds)
        init_dir = work / "init-bot"
        init_dir.mkdir()
        subprocess.run([str(servers.BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(init_dir)],
                       check=True, capture_output=True)
        model = next((init_dir / "models").glob("*.tar.gz"))
        command = [str(servers.BIN / "rasa"), "run", "--model", str(model), "--port", "5035", "--interface",
                   "127.0.0.1"]
        with servers.running([command], ["http://127.0.0.1:5035/"], work, init_dir) as processes:
            bare = bench("bare `rasa init` bot", "http://127.0.0.1:5035/webhooks/rest/webhook", INIT_TURNS,
                         processes[0].pid, args.rounds)
    print("\nratio (this assistant / rasa init), p95:")
    for c in CONCURRENCY:
        print(f"  {c:>2} concurrent: {ours[c]['p95'] / bare[c]['p95']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
