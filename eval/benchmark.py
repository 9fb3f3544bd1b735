"""Throughput and latency over REST with realistic conversations: the embedded default, the production stack, and a
bare `rasa init` bot, in the same run on the same machine (so ratios stay meaningful on a noisy machine).

- Conversations: 3–8 turns each, over the topics' mix (a situation from the conversation matrix, then follow-ups,
  a town, thanks), drawn with a fixed seed; every conversation is a new sender.
- Load: 1, 4, 16 and 64 conversations at once (``--concurrency``).
- Figures per mode and load: turns/s, p50/p95/p99 latency, failed requests (non-200 or no reply), and CPU-ms per
  turn of each process (its whole process tree, from /proc: user + system time over the measured turns).

Modes: ``single`` is `make run`'s shape (one Rasa process, SQLite, in-memory tracker store); ``production`` is
`make run-prod`'s (scripts/prod/: nginx, two Rasa processes, PostgreSQL tracker store, Redis lock store), started on
its own ports and runtime directory, with nginx's per-client rate limit raised (the benchmark is one client).
Usage: python -m eval.benchmark [--modes single,production,init] [--concurrency 1,4,16,64] [--rounds N]
                                [--handover-probe]

``--handover-probe`` (single mode): the assistant also runs its LINE channel, on a local stub of LINE's API, and
while the highest load runs, a few conversations held by staff receive staff messages; the time until each
reaches the web chat's event stream and LINE's Push API is printed as p50/p95 (eval/handover_probe.py). Off by
default: the probe's streams and writes are extra load, so the other figures are not comparable with a run without
it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import requests

from eval import cases, servers
from eval.handover_probe import DeliveryProbe

SEED = 7
INIT_TURNS = ["hello", "I am sad", "yes", "are you a bot?", "hi", "great", "thanks", "bye"]
TOWNS = ["弘前です", "八戸市にあります", "むつ市の事業者です", "五所川原です"]
CLOSINGS = ["ありがとうございました", "助かりました"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROD_PORT_BASE = 6300  # nginx, rasa-1, rasa-2, actions, postgres, redis: away from the tests' ports


def conversations(count: int, rng: random.Random) -> List[List[str]]:
    """``count`` conversations of 3–8 turns: a situation, follow-ups about it, maybe a town, maybe thanks."""
    matrix = cases.matrix()
    entries = [text for texts in matrix["entries"].values() for text in texts]
    followups = [text for texts in matrix["followups"].values() for text in texts]
    made = []
    for _ in range(count):
        length = rng.randint(3, 8)
        turns = [rng.choice(entries)]
        while len(turns) < length - 1:
            turns.append(rng.choice(TOWNS) if rng.random() < 0.15 else rng.choice(followups))
        turns.append(rng.choice(CLOSINGS) if rng.random() < 0.5 else rng.choice(followups))
        made.append(turns)
    return made


def converse(url: str, turns: List[str]) -> Tuple[List[float], int]:
    """Latencies (ms) of one conversation's turns, and how many failed."""
    sender, latencies, failed = f"bench-{uuid.uuid4().hex[:10]}", [], 0
    with requests.Session() as http:
        for text in turns:
            start = time.perf_counter()
            try:
                response = http.post(url, json={"sender": sender, "message": text}, timeout=120)
                ok = response.status_code == 200 and bool(response.json())
            except (requests.RequestException, ValueError):
                ok = False
            latencies.append((time.perf_counter() - start) * 1000)
            failed += not ok
    return latencies, failed


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and all its descendants (children of a process group's leader too)."""
    parents: Dict[int, int] = {}
    times: Dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in family:
                family.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in family)


def measure(url: str, dialogues: List[List[str]], concurrency: int, processes: Dict[str, int]) -> Dict[str, object]:
    converse(url, dialogues[0])  # warm-up
    before = {name: tree_cpu_seconds(pid) for name, pid in processes.items()}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda turns: converse(url, turns), dialogues))
    elapsed = time.perf_counter() - start
    after = {name: tree_cpu_seconds(pid) for name, pid in processes.items()}
    latencies = sorted(x for r, _ in results for x in r)
    turns = len(latencies)
    q = statistics.quantiles(latencies, n=100) if turns > 1 else [latencies[0]] * 99
    return {"turns": turns, "turns_per_s": turns / elapsed, "p50": q[49], "p95": q[94], "p99": q[98],
            "failed": sum(f for _, f in results),
            "cpu_ms": {name: (after[name] - before[name]) * 1000 / turns for name in processes}}


def bench(name: str, url: str, processes: Dict[str, int], levels: List[int], rounds: int,
          make_dialogues, during=None) -> Dict[int, Dict[str, object]]:
    """The figures at each load; ``during(level)``, when given, is a context entered around that load's run (the
    handover probe)."""
    figures = {}
    for level in levels:
        with during(level) if during is not None else contextlib.nullcontext():
            figures[level] = measure(url, make_dialogues(max(level * rounds, 4)), level, processes)
    print(f"\n{name}")
    print(f"{'concurrent':>10} {'turns':>6} {'turns/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'failed':>6}  "
          "CPU-ms per turn")
    for level, f in figures.items():
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in f["cpu_ms"].items())
        print(f"{level:>10} {f['turns']:>6} {f['turns_per_s']:>8.1f} {f['p50']:>8.1f} {f['p95']:>8.1f} "
              f"{f['p99']:>8.1f} {f['failed']:>6}  {cpu}")
    return figures


@contextlib.contextmanager
def production() -> Iterator[Tuple[str, Dict[str, int]]]:
    """The production stack from scripts/prod/ctl.sh on its own ports and runtime directory; stopped afterwards.

    The runtime directory is outside ``work`` (a private 0700 temporary directory): PostgreSQL runs as the postgres
    user, who must be able to reach its data directory."""
    run_dir = Path(tempfile.mkdtemp(prefix="aomori-prod-bench-"))
    run_dir.chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if key not in ("KNOWLEDGE_DB_URL", "REVIEW_DB_URL", "RASA_API_TOKEN", "ASSISTANT_CORS_ORIGINS")}
    base = PROD_PORT_BASE
    env.update(PROD_RUN_DIR=str(run_dir), PROD_LISTEN=f"127.0.0.1:{base}", PROD_RASA_PORTS=f"{base + 1} {base + 2}",
               PROD_ACTIONS_PORT=str(base + 3), PROD_PG_PORT=str(base + 4), PROD_REDIS_PORT=str(base + 5),
               PROD_CONSOLE_PORT="0", PROD_RATE="100000r/s", PROD_BURST="100000")
    ctl = ["bash", str(servers.ROOT / "scripts" / "prod" / "ctl.sh")]
    try:
        subprocess.run([*ctl, "up"], cwd=servers.ROOT, env=env, check=True, timeout=900)
        pids = {path.stem: int(path.read_text().strip()) for path in (run_dir / "pids").glob("*.pid")}
        postmaster = run_dir / "postgres" / "data" / "postmaster.pid"
        if postmaster.exists():
            pids["postgres"] = int(postmaster.read_text().split()[0])
        yield f"http://127.0.0.1:{base}/webhooks/rest/webhook", pids
    finally:
        subprocess.run([*ctl, "down"], cwd=servers.ROOT, env=env, timeout=300)
        shutil.rmtree(run_dir, ignore_errors=True)


@contextlib.contextmanager
def single(work: Path, kb_url: str, probe: bool, probe_level: int):
    """`make run`'s shape on ports 5025/5075: ``(processes, during, probes)``. With ``probe``, the LINE channel runs
    too, on a local stub of LINE's API, and ``during`` runs a handover delivery probe around the ``probe_level``
    load (its results in ``probes``, by level, once the load is done)."""
    if not probe:
        with servers.assistant(work, kb_url, rasa_port=5025, actions_port=5075) as processes:
            yield processes, None, {}
        return
    from tests.e2e.line_stub import LineApiStub

    line_api = LineApiStub()
    review_url = f"sqlite:///{work / 'review.db'}"
    env = {"LINE_CHANNEL_SECRET": "bench-channel-secret", "LINE_CHANNEL_ACCESS_TOKEN": "bench-access-token",
           "LINE_API_BASE_URL": line_api.url, "REVIEW_DB_URL": review_url}
    probes: Dict[int, DeliveryProbe] = {}

    @contextlib.contextmanager
    def during(level: int):
        if level != probe_level:
            yield
            return
        with DeliveryProbe("http://127.0.0.1:5025", review_url, line_api) as running:
            yield
        probes[level] = running

    try:
        with servers.assistant(work, kb_url, rasa_port=5025, actions_port=5075, env=env,
                               credentials=servers.ROOT / "credentials-line-stub.yml") as processes:
            yield processes, during, probes
    finally:
        line_api.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="single,production,init")
    parser.add_argument("--concurrency", default="1,4,16,64")
    parser.add_argument("--rounds", type=int, default=2, help="conversations per concurrent user and level")
    parser.add_argument("--handover-probe", action="store_true",
                        help="single mode: measure staff messages' delivery (web chat, LINE) under the highest load")
    args = parser.parse_args()
    modes = args.modes.split(",")
    levels = [int(c) for c in args.concurrency.split(",")]
    # Every mode gets the same conversations at each load (a shared generator would give each mode the next ones).
    ours = lambda n: conversations(n, random.Random(SEED))  # noqa: E731
    results: Dict[str, Dict[int, Dict[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "single" in modes:
            kb_url = servers.loaded_knowledge(work)
            with single(work, kb_url, args.handover_probe, max(levels)) as (processes, during, probes):
                results["single"] = bench("single process (make run: SQLite, in-memory trackers)",
                                          "http://127.0.0.1:5025/webhooks/rest/webhook",
                                          {"actions": processes[0].pid, "rasa": processes[1].pid}, levels,
                                          args.rounds, ours, during)
            for level, probe in probes.items():
                print(probe.report(level))
        if "production" in modes:
            with production() as (url, pids):
                results["production"] = bench("production (make run-prod: nginx, 2 Rasa, PostgreSQL, Redis)", url,
                                              pids, levels, args.rounds, ours)
        if "init" in modes:
            init_dir = work / "init-bot"
            init_dir.mkdir()
            subprocess.run([str(servers.BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(init_dir)],
                           check=True, capture_output=True)
            model = next((init_dir / "models").glob("*.tar.gz"))
            command = [str(servers.BIN / "rasa"), "run", "--model", str(model), "--port", "5035", "--interface",
                       "127.0.0.1"]
            with servers.running([command], ["http://127.0.0.1:5035/"], work, init_dir) as processes:
                results["init"] = bench("bare `rasa init` bot", "http://127.0.0.1:5035/webhooks/rest/webhook",
                                        {"rasa": processes[0].pid}, levels, args.rounds,
                                        lambda n: [INIT_TURNS] * n)
    print("\nratios at each load (throughput; p95):")
    for level in levels:
        parts = []
        for a, b in (("production", "single"), ("single", "init")):
            if a in results and b in results:
                x, y = results[a][level], results[b][level]
                parts.append(f"{a}/{b} {x['turns_per_s'] / y['turns_per_s']:.2f}x; {x['p95'] / y['p95']:.2f}x")
        print(f"  {level:>2} concurrent: " + " | ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
