"""Report sections on evaluation you can trust: likely label errors, splits and the test ledger, leakage."""

from __future__ import annotations

from html import escape

from answerkey.errors import NotFoundError
from answerkey.findings import Finding
from answerkey.project import Workspace, list_releases
from answerkey.project.adjudication import open_flags, review_queue
from answerkey.project.findings_log import recorded_findings
from answerkey.project.ledger import ledger_report
from answerkey.project.splits import get_split
from answerkey.report.sections import register_section, table

__all__ = ["label_errors_section", "leakage_section", "splits_section"]


def _findings_table(findings: list[Finding], limit: int = 12) -> str:
    rows = [[f.severity.value, f.where, f.what] for f in findings[:limit]]
    more = f"<p>… and {len(findings) - limit:,} more.</p>" if len(findings) > limit else ""
    return table(["severity", "where", "why and what to do"], rows) + more


@register_section("label-errors", "Likely label errors")
def label_errors_section(workspace: Workspace) -> str:
    """Items confident learning flagged, the ones still open in the review queue, and the suggested labels."""
    flags = open_flags(workspace)
    if flags.empty:
        return ("<p>No likely label errors recorded. Find them with <code>answerkey label-issues --release NAME "
                "--queue</code>.</p>")
    queue = review_queue(workspace, limit=None)
    open_items = queue[queue["reason"].astype(str).str.contains("likely label error")]
    moves = flags.groupby(["given_label", "suggested_label"]).size().rename("n").reset_index()
    moves = moves.sort_values("n", ascending=False, kind="stable").head(8)
    rows = [[r["item_id"], r["label"], r["suggested_label"], f"{r['priority']:.2f}", r["votes"]]
            for r in open_items.head(12).to_dict("records")]
    return (f"<p>{len(flags):,} items flagged as likely label errors; {len(open_items):,} still wait for a reviewer "
            "in the review queue (the others were decided or their label changed since).</p>"
            + table(["given label", "more likely", "items"],
                    [[r["given_label"], r["suggested_label"], f"{r['n']:,}"] for r in moves.to_dict("records")])
            + "<p>Worst first:</p>"
            + table(["item", "label", "suggested", "chance it is wrong", "votes"], rows))


@register_section("splits", "Splits and the test ledger")
def splits_section(workspace: Workspace) -> str:
    """Each release's split, its seal, how often its test set was looked at, and contamination across splits."""
    parts = []
    for release in [r["name"] for r in list_releases(workspace)]:
        try:
            split = get_split(workspace, release)
        except NotFoundError:
            continue
        counts = ", ".join(f"{k} {v:,}" for k, v in split.counts.items())
        seal = (f"test split sealed {str(split.seal['sealed_at'])[:10]} by {escape(str(split.seal['sealed_by']))}, "
                f"hash <code>{split.seal['test_hash'][:16]}</code>") if split.seal else "not sealed"
        parts.append(f"<h3>Release {escape(release)}</h3><p>Split v{split.version} ({escape(split.strategy)}, seed "
                     f"{split.seed}): {escape(counts)}; {seal}.</p>")
        if split.seal:
            ledger = ledger_report(workspace, release)
            looks = ledger.summary
            models = ", ".join(f"{escape(m)} ({n})" for m, n in looks["models"].items()) or "none"
            parts.append(f"<p>The test set was looked at {looks['looks']} times (warning past "
                         f"{looks['warn_after']}); models: {models}.</p>")
            if ledger.findings:
                parts.append(_findings_table(ledger.findings))
        contamination = recorded_findings(workspace, "contamination", release=release)
        summary = [f for f in contamination if f.check == "contamination.summary"]
        if summary:
            counts_by_tier = summary[0].evidence.get("counts", {})
            parts.append("<p>Contamination across splits (<code>answerkey split check</code>):</p>"
                         + table(["tier", "pairs"], [[k, f"{v:,}"] for k, v in counts_by_tier.items()]))
            parts.append(_findings_table([f for f in contamination if f.check != "contamination.summary"]))
    if not parts:
        return ("<p>No release has a split yet. Make one with <code>answerkey split create RELEASE --by "
                "group:COLUMN</code>, check it, then seal it.</p>")
    return "".join(parts)


@register_section("leakage", "Label leakage")
def leakage_section(workspace: Workspace) -> str:
    """The latest recorded leakage check of each features table, most suspicious first."""
    findings = recorded_findings(workspace, "leakage")
    if not findings:
        return ("<p>No leakage check recorded, or the last one found nothing. Run <code>answerkey leakage "
                "FEATURES --label COLUMN --record</code>.</p>")
    ranked = sorted(findings, key=lambda f: ({"error": 0, "warning": 1, "info": 2}[f.severity.value],
                                             -(f.score or 0.0)))
    return (f"<p>{len(findings)} suspicious features (recorded by <code>answerkey leakage</code>):</p>"
            + _findings_table(ranked, limit=20))
