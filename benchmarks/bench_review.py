"""A reviewer working through the review queue in the browser: how long each page and each decision takes.

The workspace is the demo's (5,000 tickets, 20,797 judgements under two schema versions), served by
``answerkey serve`` on SQLite in its own process on loopback. One reviewer signs in through the sign-in form and
decides ``--decisions`` items in queue order, as the page does it: open the item (``GET /review/{id}``), post
the decision with the page's CSRF token and item version (``POST /review/{id}``, which records it and answers
with the next item), then open that next item. Every decision changes the store, so every "decide" step finds
the consensus stale and brings it up to date; the page that follows reuses it.

No peer: a labeling tool's review screen (Label Studio, Argilla) is a different server over a different store.
The floor is the cheapest signed-in request on the same server, ``GET /api/status``; the ratios say what a page
costs above it.

    python benchmarks/bench_review.py [--decisions 40] [--items 5000]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench_api import _free_port, build_workspace, start_server, stop_server


def _field(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    if match is None:
        raise SystemExit(f"the page has no {pattern!r}: {html[:300]}")
    return match.group(1)


def _timed(call: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    response = call(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, response


def review(url: str, token: str, decisions: int) -> dict[str, list[float]]:
    """Sign in, then decide ``decisions`` queued items one after another; milliseconds per step."""
    import httpx

    times: dict[str, list[float]] = {"first page (queue, cold)": [], "open item": [], "decide, then next item": [],
                                     "floor: GET /api/status": []}
    with httpx.Client(base_url=url, headers={"Accept": "text/html"}, timeout=60) as browser:
        form = browser.get("/sign-in").text
        signed = browser.post("/sign-in", data={"token": token, "next": "/review",
                                                "sign_in_csrf": _field(form, r'name="sign_in_csrf" value="([^"]+)"')})
        if signed.status_code != 303:
            raise SystemExit(f"sign-in failed: {signed.status_code}")
        elapsed, first = _timed(browser.get, "/review")
        times["first page (queue, cold)"].append(elapsed)
        location = first.headers.get("location")
        if first.status_code != 303 or not location:
            raise SystemExit(f"the queue is empty or failed: {first.status_code}")
        for _ in range(decisions):
            elapsed, page = _timed(browser.get, location)
            times["open item"].append(elapsed)
            html = page.text
            label = _field(html, r'name="label" id="label-1" value="([^"]+)"')
            data = {"label": label, "note": "bench", "csrf_token": _field(html, r'name="csrf-token" content="([^"]+)"'),
                    "expected_version": _field(html, r'name="expected_version" value="(\d+)"')}
            action = _field(html, r'<form method="post" action="([^"]+)" id="decide"')
            elapsed, decided = _timed(browser.post, action, data=data)
            times["decide, then next item"].append(elapsed)
            if decided.status_code != 303:
                raise SystemExit(f"the decision failed: {decided.status_code} {decided.text[:300]}")
            location = decided.headers["location"]
            if not location.startswith("/review/"):
                break  # the queue is empty
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
            for _ in range(max(decisions, 20)):
                times["floor: GET /api/status"].append(_timed(api.get, "/api/status")[0])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=40)
    parser.add_argument("--items", type=int, default=5000, help="demo tickets in the workspace")
    args = parser.parse_args()

    from answerkey.project import Workspace
    from answerkey.project.access import create_token

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        built = build_workspace(folder, 0, args.items)
        workspace = Workspace.open(built["root"])
        token = create_token(workspace, "rita", "reviewer")[1]
        workspace.close()
        port = _free_port()
        server = start_server([sys.executable, "-m", "answerkey.cli.main", "-w", built["root"], "serve",
                               "--port", str(port)], port)
        try:
            times = review(f"http://127.0.0.1:{port}", token, args.decisions)
        finally:
            stop_server(server)

    floor = float(np.median(times["floor: GET /api/status"]))
    print(f"one reviewer, {len(times['open item'])} decisions in queue order, on a SQLite workspace of "
          f"{args.items:,} items and {built['before']:,} judgements; milliseconds")
    print("| step | n | p50 | p90 | max | p50 / floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    for step, values in times.items():
        shown = np.asarray(values)
        print(f"| {step} | {len(shown)} | {np.median(shown):.0f} | {np.percentile(shown, 90):.0f} | "
              f"{shown.max():.0f} | {np.median(shown) / floor:.1f}x |")


if __name__ == "__main__":
    main()
