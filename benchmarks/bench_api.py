"""Annotation writes over HTTP under load: ``answerkey serve`` on SQLite, 50 concurrent clients, none lost.

The workspace is the demo's (5,000 tickets and their 20,797 judgements under two schema versions, imported as
``answerkey demo`` imports them), with one annotator token per client. The server is ``answerkey serve`` in its
own process on loopback; the clients run in a second process (asyncio, one ``httpx.AsyncClient`` and one
keep-alive connection each), so on a 2-core machine each side has a core and the client's CPU is reported to
show it is not the bottleneck. Every request posts 5 annotation rows (unique ``created_at`` so none is a
duplicate, and a note naming the request) with an Idempotency-Key.

Two runs, because one number cannot answer both questions:

- saturation: a closed loop with zero think time. Its throughput is the capacity; its latency is mostly
  queueing (Little's law: clients / throughput), not what a user waits.
- paced: each client sends ``--rate`` requests a second on a fixed schedule, below capacity. Latency is
  measured from the scheduled send time, so a stalled server cannot hide behind clients that wait for it
  (no coordinated omission). Its p99 is the figure held against the target, p99 < 200 ms on SQLite.

Each run starts with a few seconds of warm-up (``--warmup``: connections opened, worker threads and store
connections started), whose writes are checked like the rest but not timed.

After each run the store is read back: every acknowledged row (found by its note) must be stored and every
acknowledged Idempotency-Key recorded, and a sample of requests is replayed, which must answer
``Idempotent-Replayed`` with the first response and add nothing. Any lost write exits with status 1.

The floor is the same saturation load against a minimal FastAPI endpoint that appends the rows with sqlite3:
no token, no validation, no audit entry, no idempotency record (served by uvicorn the same way). The ratio of
throughputs is what the guarantees cost.

    python benchmarks/bench_api.py [--clients 50] [--seconds 60] [--rate 1.0] [--rows 5] [--warmup 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BASE = np.datetime64("2025-01-01T00:00:00", "s")
RUN_SPAN = 10_000_000  # seconds of created_at each run may use, so runs never collide


# --- setup -------------------------------------------------------------------------------------------------------

def build_workspace(folder: Path, clients: int, n_items: int) -> dict[str, Any]:
    """The demo's items and judgements imported into a fresh SQLite workspace; a token per client."""
    import pandas as pd

    from answerkey.demo import generate_demo
    from answerkey.project import Workspace, import_annotations, import_items
    from answerkey.project.access import create_token
    from answerkey.schema import dump_schema

    data = generate_demo(seed=7, n_items=n_items)
    root = folder / "ws"
    workspace = Workspace.init(root, schema=data.schema_v1)
    data.items.to_parquet(folder / "items.parquet", index=False)
    import_items(workspace, folder / "items.parquet")
    annotations = data.annotations.assign(created_at=data.annotations["created_at"].map(lambda t: t.isoformat() + "Z"))
    for schema in (data.schema_v1, data.schema_v2):
        (root / "schema.yaml").write_text(dump_schema(schema), encoding="utf-8")
        path = folder / f"labels_v{schema.version}.csv"
        annotations[annotations["schema_version"] == schema.version].to_csv(path, index=False)
        import_annotations(workspace, path)
    tokens = [create_token(workspace, f"bench-{i:03d}", "annotator")[1] for i in range(clients)]
    workspace.close()
    return {"root": str(root), "tokens": tokens, "items": pd.Series(data.items["item_id"]).tolist(),
            "labels": [label.name for label in data.schema_v2.labels], "before": len(data.annotations)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ANSWERKEY_DATABASE_URL", None)
    return env


def start_server(command: list[str], port: int) -> subprocess.Popen[bytes]:
    """Start a server process and wait (bounded) until it answers on ``port``."""
    import httpx

    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_environment())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read().decode()[-2000:] if server.stderr else ''}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not answer within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (0 where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the clients (a child process) ---------------------------------------------------------------------------------

def _key(plan: dict[str, Any], client: int, number: int) -> str:
    return f"{plan['name']}-{client:03d}-{number:06d}"


def _rows(plan: dict[str, Any], client: int, number: int) -> list[dict[str, str]]:
    """The body of a client's ``number``-th request (the same every time it is asked for, for the replays)."""
    key = _key(plan, client, number)
    rng = random.Random(key)
    offset = plan["run"] * RUN_SPAN + number * plan["rows"]
    return [{"item_id": rng.choice(plan["items"]), "label": rng.choice(plan["labels"]),
             "created_at": str(BASE + np.timedelta64(offset + j, "s")) + "Z", "note": f"{key}#{j}"}
            for j in range(plan["rows"])]


async def _client(plan: dict[str, Any], client: int, start: float, records: list[list[Any]]) -> None:
    import httpx

    rate = plan["rate"]
    phase = random.Random(client).random() / rate if rate else 0.0  # spread the clients over a period
    deadline = start + plan["warmup"] + plan["seconds"]
    headers = {"Authorization": f"Bearer {plan['tokens'][client]}"}
    async with httpx.AsyncClient(base_url=plan["url"], headers=headers, timeout=30.0,
                                 limits=httpx.Limits(max_connections=1)) as http:
        number = 0
        while True:
            now = time.perf_counter()
            scheduled = start + phase + number / rate if rate else now
            if scheduled >= deadline:
                break
            if scheduled > now:
                await asyncio.sleep(scheduled - now)
            key = _key(plan, client, number)
            body = _rows(plan, client, number)
            sent = time.perf_counter()
            added = 0
            try:
                response = await http.post("/api/annotations", json=body, headers={"Idempotency-Key": key})
                status: int | str = response.status_code
                if status == 201:
                    added = int(response.json()["rows_added"])
            except httpx.TimeoutException:
                status = "timeout"
            except httpx.TransportError as exc:
                status = type(exc).__name__
            done = time.perf_counter()
            records.append([client, key, status, added, done - max(scheduled, start), done - sent, done - start,
                            max(scheduled, start) - start])
            number += 1


async def _replay(plan: dict[str, Any], records: list[list[Any]], sample: int) -> dict[str, int]:
    """Send acknowledged requests again under their keys: each must replay the first answer."""
    import httpx

    acknowledged = [r for r in records if r[2] == 201]
    chosen = random.Random(1).sample(acknowledged, min(sample, len(acknowledged)))
    counts = {"replayed": 0, "not_replayed": 0}
    async with httpx.AsyncClient(base_url=plan["url"], timeout=30.0) as http:
        for client, key, _status, added, *_ in chosen:
            body = _rows(plan, client, int(key.rsplit("-", 1)[1]))
            response = await http.post("/api/annotations", json=body, headers={
                "Idempotency-Key": key, "Authorization": f"Bearer {plan['tokens'][client]}"})
            same = (response.status_code == 201 and response.headers.get("Idempotent-Replayed") == "true"
                    and response.json()["rows_added"] == added)
            counts["replayed" if same else "not_replayed"] += 1
    return counts


def run_clients(plan: dict[str, Any]) -> dict[str, Any]:
    """Run every client for the plan's seconds; the records, the CPU used and (for answerkey) the replays."""
    records: list[list[Any]] = []

    async def main() -> float:
        start = time.perf_counter() + 0.5
        await asyncio.gather(*(_client(plan, c, start, records) for c in range(plan["clients"])))
        return time.perf_counter() - start

    cpu = time.process_time()
    elapsed = asyncio.run(main())
    cpu = time.process_time() - cpu
    replays = asyncio.run(_replay(plan, records, plan["replay"])) if plan["replay"] else {}
    return {"records": records, "elapsed": elapsed, "cpu": cpu, "replays": replays,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# --- the floor (a child process) -----------------------------------------------------------------------------------

def serve_floor(database: Path, port: int) -> None:
    """FastAPI + sqlite3: parse the JSON body and append the rows, nothing else (the least such a server does)."""
    import sqlite3
    import threading

    import uvicorn
    from fastapi import Body, FastAPI

    connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS annotations (annotation_id INTEGER PRIMARY KEY, item_id TEXT, "
                       "label TEXT, created_at TEXT, note TEXT)")
    lock = threading.Lock()
    app = FastAPI()

    @app.get("/api/status")
    def status() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/api/annotations", status_code=201)
    def append(rows: list[dict[str, Any]] = Body()) -> dict[str, Any]:
        values = [(r.get("item_id"), r.get("label"), r.get("created_at"), r.get("note")) for r in rows]
        with lock:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT INTO annotations (item_id, label, created_at, note) VALUES (?, ?, ?, ?)",
                                   values)
            connection.execute("COMMIT")
        return {"ok": True, "rows_read": len(rows), "rows_added": len(rows)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                limit_concurrency=1024, timeout_keep_alive=30)


# --- one run, checked ------------------------------------------------------------------------------------------------

def _stored_notes(database: Path, prefix: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return [r[0] for r in connection.execute("SELECT note FROM annotations WHERE note LIKE ?", (prefix + "-%",))]


def _stored_keys(database: Path, prefix: str) -> set[str]:
    import sqlite3

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {r[0] for r in connection.execute("SELECT key FROM idempotency_keys WHERE key LIKE ?", (prefix + "-%",))}


def run(name: str, plan: dict[str, Any], folder: Path, server: subprocess.Popen[bytes], database: Path,
        idempotent: bool) -> dict[str, Any]:
    """One load run against a running server, then the store read back."""
    plan = {**plan, "name": name}
    plan_path = folder / f"plan-{name}.json"
    plan_path.write_text(json.dumps(plan))
    cpu_before = cpu_seconds(server.pid)
    done = subprocess.run([sys.executable, __file__, "--child", "clients", "--path", str(plan_path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the clients failed:\n{done.stderr[-3000:]}")
    result = json.loads((folder / f"result-{name}.json").read_text())
    records = result["records"]
    server_cpu = cpu_seconds(server.pid) - cpu_before
    acknowledged = [r for r in records if r[2] == 201]
    measured = [r for r in acknowledged if r[7] >= plan["warmup"]]  # sent after the warm-up
    notes = _stored_notes(database, name)
    stored = set(notes)
    lost = sum(max(0, r[3] - sum(f"{r[1]}#{j}" in stored for j in range(plan["rows"]))) for r in acknowledged)
    keys_lost = len({r[1] for r in acknowledged} - _stored_keys(database, name)) if idempotent else 0
    errors: dict[str, int] = {}
    for record in records:
        if record[2] != 201:
            errors[str(record[2])] = errors.get(str(record[2]), 0) + 1
    latency = np.array([r[4] for r in measured]) * 1000 if measured else np.zeros(1)
    service = np.array([r[5] for r in measured]) * 1000 if measured else np.zeros(1)
    return {
        "name": name, "requests": len(records), "acknowledged": len(acknowledged),
        "per_second": len(measured) / plan["seconds"], "elapsed": result["elapsed"],
        "p50": float(np.percentile(latency, 50)), "p90": float(np.percentile(latency, 90)),
        "p99": float(np.percentile(latency, 99)), "max": float(latency.max()),
        "service_p99": float(np.percentile(service, 99)),
        "errors": errors, "rows_acknowledged": sum(r[3] for r in acknowledged), "rows_stored": len(notes),
        "duplicates": len(notes) - len(stored), "lost_rows": lost, "lost_keys": keys_lost,
        "replays": result["replays"], "client_cpu": result["cpu"] / result["elapsed"],
        "server_cpu": server_cpu / result["elapsed"],
    }


def _line(label: str, r: dict[str, Any]) -> str:
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "none"
    replays = r["replays"]
    replayed = f"{replays['replayed']}/{replays['replayed'] + replays['not_replayed']}" if replays else "-"
    return (f"| {label} | {r['per_second']:,.0f} ({r['per_second'] * r['rows']:,.0f} rows/s) | {r['p50']:.0f} | "
            f"{r['p90']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | {errors} | {r['rows_acknowledged']:,} / "
            f"{r['rows_stored']:,} | {r['lost_rows']} | {replayed} | {r['server_cpu']:.0%} / {r['client_cpu']:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run, after its warm-up")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds each run first sends without timing (connections, threads, caches)")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="requests a second per client in the paced run (0 skips it)")
    parser.add_argument("--rows", type=int, default=5, help="annotation rows a request")
    parser.add_argument("--items", type=int, default=5000, help="demo tickets in the workspace")
    parser.add_argument("--no-saturation", action="store_true", help="skip the closed-loop run")
    parser.add_argument("--no-floor", action="store_true", help="skip the FastAPI + sqlite3 floor")
    parser.add_argument("--replay", type=int, default=500, help="acknowledged requests replayed after each run")
    parser.add_argument("--quick", action="store_true", help="10 clients, 5 s a run")
    parser.add_argument("--child", choices=["clients", "floor"])
    parser.add_argument("--path", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.child == "clients":
        plan = json.loads(args.path.read_text())
        result = run_clients(plan)
        (args.path.parent / f"result-{plan['name']}.json").write_text(json.dumps(result))
        return
    if args.child == "floor":
        serve_floor(args.path, args.port)
        return
    clients, seconds, warmup = (10, 5.0, 2.0) if args.quick else (args.clients, args.seconds, args.warmup)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workspace = build_workspace(folder, clients, args.items)
        load_before = os.getloadavg()[0]
        database = Path(workspace["root"]) / ".answerkey" / "store.db"
        port = _free_port()
        plan = {"url": f"http://127.0.0.1:{port}", "clients": clients, "seconds": seconds, "rows": args.rows,
                "tokens": workspace["tokens"], "items": workspace["items"], "labels": workspace["labels"],
                "replay": args.replay, "warmup": warmup}
        results: list[tuple[str, dict[str, Any]]] = []
        server = start_server([sys.executable, "-m", "answerkey.cli.main", "-w", workspace["root"], "serve",
                               "--port", str(port)], port)
        try:
            if not args.no_saturation:
                results.append(("answerkey, saturation (closed loop)",
                                run("saturation", {**plan, "run": 0, "rate": 0.0}, folder, server, database, True)))
            if args.rate > 0:
                results.append((f"answerkey, paced ({args.rate:g} req/s a client, "
                                f"{args.rate * clients:g} req/s offered)",
                                run("paced", {**plan, "run": 1, "rate": args.rate}, folder, server, database, True)))
        finally:
            stop_server(server)
        if not args.no_floor and not args.no_saturation:
            floor_port = _free_port()
            floor_db = folder / "floor.db"
            floor = start_server([sys.executable, __file__, "--child", "floor", "--path", str(floor_db),
                                  "--port", str(floor_port)], floor_port)
            try:
                floor_plan = {**plan, "url": f"http://127.0.0.1:{floor_port}", "run": 2, "rate": 0.0, "replay": 0}
                results.append(("floor: FastAPI + sqlite3, no checks (closed loop)",
                                run("floor", floor_plan, folder, floor, floor_db, False)))
            finally:
                stop_server(floor)

    print(f"{clients} clients x {seconds:g} s a run (after {warmup:g} s of warm-up, checked but not timed), "
          f"{args.rows} rows a request, on a SQLite workspace of {args.items:,} items and {workspace['before']:,} "
          f"judgements; latency in ms (paced: from the scheduled send); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    print("| run | requests/s | p50 | p90 | p99 | max | errors | rows acknowledged / stored | lost | replays "
          "| CPU server / client |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, result in results:
        print(_line(label, {**result, "rows": args.rows}))
    named = dict((r["name"], r) for _, r in results)
    if "saturation" in named and "floor" in named:
        print(f"answerkey at saturation: {named['saturation']['per_second'] / named['floor']['per_second']:.2f}x the "
              "floor's throughput")
    if "paced" in named and "saturation" in named:
        print(f"paced offered load: {args.rate * clients / named['saturation']['per_second']:.0%} of the saturation "
              "throughput")
    if "paced" in named:
        p99 = named["paced"]["p99"]
        print(f"paced p99 {p99:.0f} ms (service time p99 {named['paced']['service_p99']:.0f} ms): target < 200 ms "
              f"{'met' if p99 < 200 else 'missed'}")
    lost = [r for _, r in results if r["lost_rows"] or r["lost_keys"] or r["replays"].get("not_replayed")]
    for r in lost:
        print(f"LOST in {r['name']}: {r['lost_rows']} acknowledged rows not stored, {r['lost_keys']} acknowledged "
              f"keys not recorded, {r['replays'].get('not_replayed', 0)} replays not replayed")
    if lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
