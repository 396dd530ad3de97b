"""A synthetic support-ticket labeling workspace with known truth, for demos, docs and end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from answerkey.errors import ParameterError
from answerkey.schema.model import EdgeCase, LabelDefinition, LabelingSchema

__all__ = ["ANNOTATORS", "FINE_LABELS", "AnnotatorProfile", "DemoData", "generate_demo"]

_Codes = NDArray[np.int64]
_Names = NDArray[np.object_]
_Times = NDArray[np.datetime64]
_Time = np.datetime64
_Floats = NDArray[np.float64]

_SPLIT = "billing"
_V2_PARTS = ("billing_refund", "billing_question")
_DEFS: dict[str, tuple[str, list[str], tuple[str, str, str]]] = {
    "billing": (
        "Questions or complaints about money: charges, invoices, refunds, payment methods, prices.",
        ["I was charged twice this month.", "Can you resend the invoice for March?"],
        ("I cancelled last week but was still charged.", "billing", "The ask is about the charge, not leaving."),
    ),
    "billing_refund": (
        "The customer wants money back: a refund, a reversed charge or a credit for a past payment.",
        ["I was charged twice, please refund one.", "I want my money back for the unused months."],
        ("Why was I charged $40? I did not order anything.", "billing_refund", "Disputing a charge asks for it back."),
    ),
    "billing_question": (
        "Questions about charges, invoices, payment methods or prices that do not ask for money back.",
        ["Can you resend the invoice for March?", "How do I change my payment card?"],
        ("Is VAT included in the Pro price?", "billing_question", "A price question, no money is claimed."),
    ),
    "technical_issue": (
        "Something in the product is broken or fails: errors, crashes, bugs, slowness, missing data.",
        ["The dashboard shows a 500 error.", "The app crashes when I upload a file."],
        ("I get an error page after entering my password.", "account_access", "The user cannot get in."),
    ),
    "account_access": (
        "The customer cannot get into their account: login, password reset, 2FA, locked or disabled accounts.",
        ["I forgot my password and the reset email never arrives.", "My account is locked after three tries."],
        ("How do I add a second user to our team?", "other", "Managing users is not an access failure."),
    ),
    "cancellation": (
        "The customer wants to end or downgrade a subscription or close the account.",
        ["Please cancel my subscription at the end of the month."],
        ("Please cancel my order, it has not shipped yet.", "shipping", "Cancelling an order is a shipping ask."),
    ),
    "feature_request": (
        "A suggestion or request for new functionality or a change to how the product works.",
        ["It would be great to export reports as PDF.", "Please add a dark mode."],
        ("Export to PDF used to work and now fails.", "technical_issue", "A broken feature is a bug."),
    ),
    "shipping": (
        "Physical orders: delivery times, tracking, lost or damaged packages, addresses, returns of goods.",
        ["My package has not arrived after ten days.", "The tracking number does not work."],
        ("The package arrived but the device will not turn on.", "technical_issue", "Delivery worked."),
    ),
    "other": (
        "Anything that fits no other label: general questions, feedback, partnerships, spam.",
        ["Do you have an office in Berlin?"],
        ("Your app is great but I wish it had a calendar.", "feature_request", "Praise wrapping a request."),
    ),
}
FINE_LABELS: tuple[str, ...] = (
    "billing_refund", "billing_question", "technical_issue", "account_access",
    "cancellation", "feature_request", "shipping", "other",
)
"""The true intents, in v2 names; v1 merges the two billing labels into ``billing``."""
_V1_OF_FINE = np.array([0, 0, 1, 2, 3, 4, 5, 6])
_NAME_TABLE = np.array([[""] * 8, ["billing", *FINE_LABELS[2:], ""], list(FINE_LABELS)], dtype=object)
"""Label name by ``[schema_version, code]``: v1 codes run 0-6, v2 codes 0-7."""
_BASE_MIX = {"enterprise": [.08, .09, .30, .18, .06, .14, .05, .10], "smb": [.12, .14, .18, .12, .10, .06, .18, .10]}

_TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("I was charged twice for {plan}, please refund the extra {amount}.", "Can I get a refund for order {order}?",
     "We paid {amount} for seats we never used and would like our money back.",
     "Please reverse the last payment of {amount}, it was a mistake.", "I want my money back for {plan}."),
    ("Can you send me the invoice for {month}?", "Why did the price of {plan} go up to {amount}?",
     "How do I change the card on file for our account?", "Is tax included in the {plan} price?",
     "Our finance team needs a copy of the {month} statement.", "What payment methods do you accept for {plan}?"),
    ("{product} shows error {code} when I open it.", "{product} keeps crashing since the last update.",
     "Data in {product} is not loading, it just spins forever.", "There is a bug in {product}: saving does nothing.",
     "{product} is extremely slow today for the whole team.", "Sync between {product} and our CRM stopped working."),
    ("I forgot my password and the reset email never arrives.", "I cannot log in to {product}, it says invalid user.",
     "My account got locked after too many attempts.", "The 2FA code from my phone is rejected every time.",
     "{name} left and we cannot get into the admin account.", "It says my account is disabled, I can't sign in."),
    ("Please cancel our {plan} subscription at the end of the month.", "I want to cancel, we no longer need it.",
     "How do I close my account and delete our data?", "We are moving to another vendor, please end our contract.",
     "Downgrade us from {plan} to the free tier please.", "Stop renewing our plan after {month}."),
    ("It would be great if {product} could export to {format}.", "Please add a dark mode to {product}.",
     "Feature idea: let us schedule reports in {product}.", "Could you support {format} files in a future release?",
     "Our team would love keyboard shortcuts in {product}.", "Any plans to add an integration with {partner}?"),
    ("My package for order {order} has not arrived after {days} days.", "The tracking number for {order} is invalid.",
     "The box arrived damaged, order {order}.", "Can I change the delivery address for order {order}?",
     "Where is my order? It has been {days} days.", "{carrier} says delivered but nothing is at our door.",
     "Please cancel order {order}, it has not shipped yet."),
    ("Do you have an office in {city}?", "Who can I talk to about a partnership with {partner}?",
     "Just wanted to say {product} is great, thanks!", "Are you hiring in {city}?",
     "Is there a user conference this year?", "Can you fill in our vendor security questionnaire?"),
)
_OPENERS = ("", "", "", "Hi! ", "Hello team. ", "Hi there, hope you are well. ", "Good morning. ", "URGENT: ",
            "Quick question. ", "Hey! ", "Sorry to bother you again. ")
_CLOSERS = ("", "", "", " Thanks.", " Thank you!", " Please advise.", " Any help appreciated.", " Regards, {name}.",
            " We need this sorted soon.", " Cheers.", " Ticket from our {city} office.")
_SLOTS: dict[str, tuple[str, ...]] = {
    "plan": ("the Pro plan", "the Basic plan", "the Team plan", "the Enterprise plan"),
    "product": ("the mobile app", "the dashboard", "the API", "the web portal", "the desktop client", "reporting"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October"),
    "format": ("PDF", "Excel", "CSV", "Google Sheets"),
    "partner": ("Salesforce", "Slack", "HubSpot", "Zapier", "Shopify"),
    "carrier": ("UPS", "DHL", "FedEx", "the courier"),
    "city": ("Berlin", "Austin", "Toronto", "Lisbon", "Singapore", "Dublin"),
    "name": ("Maria", "Tom", "Priya", "Jonas", "Aiko", "Sam"),
}
_KEYWORD_RULES: tuple[tuple[str, str, str], ...] = (
    (r"refund|money back", "billing", "billing_refund"),
    (r"invoice|price|payment|charged|statement", "billing", "billing_question"),
    (r"password|log in|sign in|2fa|locked", "account_access", "account_access"),
    (r"cancel", "cancellation", "cancellation"),
    (r"error|crash|bug|slow", "technical_issue", "technical_issue"),
    (r"package|tracking|deliver", "shipping", "shipping"),
    (r"would be great|would love|feature", "feature_request", "feature_request"),
)
"""The ``rule:keywords`` labeling function: the first pattern that matches decides; no match abstains."""


@dataclass(frozen=True)
class AnnotatorProfile:
    """Who one synthetic annotator is and how they err, so tests and docs can say what a method should find."""

    annotator_id: str
    kind: str
    accuracy: float
    description: str


@dataclass(frozen=True)
class DemoData:
    """A whole demo workspace: two schema versions, tickets, judgements from every source, and the truth."""

    schema_v1: LabelingSchema
    schema_v2: LabelingSchema
    items: pd.DataFrame
    annotations: pd.DataFrame
    truth: pd.DataFrame
    annotators: list[AnnotatorProfile]
    schema_change_at: pd.Timestamp


ANNOTATORS: tuple[AnnotatorProfile, ...] = (
    AnnotatorProfile("eva", "expert", 0.97, "Senior support lead; labels a 15% audit subset, rarely wrong."),
    AnnotatorProfile("ana", "reliable", 0.90, "Careful annotator; errors are random."),
    AnnotatorProfile("ben", "reliable", 0.88, "Careful annotator; errors are random."),
    AnnotatorProfile("chloe", "reliable", 0.86, "Careful annotator; errors are random."),
    AnnotatorProfile("dev", "reliable", 0.85, "Careful annotator; errors are random."),
    AnnotatorProfile("kai", "careless", 0.55, "Clicks fast; wrong labels are uniformly random."),
    AnnotatorProfile("lena", "confuser", 0.95, "Good, but labels most account_access tickets as technical_issue."),
    AnnotatorProfile("omar", "drifter", 0.90, "Good until month 9, then labels more and more tickets as other."),
)
"""The eight human annotators; ``accuracy`` is the rate on tickets their quirk does not touch."""
_WORKLOAD = np.array([1.0, 1.0, 1.0, 1.0, 0.7, 1.0, 1.0])  # relative share of the non-expert annotators
_CONFUSION_RATE, _DRIFT_START, _DRIFT_MAX, _DRIFT_TARGET = 0.85, 9.0, 0.5, "other"


def _schema(version: int) -> LabelingSchema:
    """Schema v1 (seven intents) or v2 (``billing`` split into refund and question), built from ``_DEFS``."""
    labels = []
    for name in _NAME_TABLE[version]:
        if not name:
            continue
        definition, examples, (text, label, why) = _DEFS[name]
        labels.append(
            LabelDefinition(
                name=name,
                definition=definition,
                examples=examples,
                edge_cases=[EdgeCase(text=text, label=label, why=why)],
                replaces=[_SPLIT] if name in _V2_PARTS else [],
            )
        )
    description = "The intent of one customer support ticket: what the customer wants us to do."
    return LabelingSchema(name="support_intent", version=version, labels=labels, description=description)


def _texts(rng: np.random.Generator, fine: _Codes) -> list[str]:
    """Ticket texts: a template of the true intent, random slot values, an optional opener and closer."""
    n = len(fine)
    pick = rng.random((3, n))
    slots = {key: np.asarray(values, dtype=object)[rng.integers(0, len(values), n)] for key, values in _SLOTS.items()}
    amount, order, days = rng.integers(5, 900, n), rng.integers(100000, 999999, n), rng.integers(3, 21, n)
    code = rng.choice(np.array([500, 502, 403, 404, 429]), n)
    out = []
    for i in range(n):
        templates = _TEMPLATES[fine[i]]
        text = _OPENERS[int(pick[0, i] * len(_OPENERS))] + templates[int(pick[1, i] * len(templates))]
        text += _CLOSERS[int(pick[2, i] * len(_CLOSERS))]
        values = {key: column[i] for key, column in slots.items()}
        values.update(amount=f"${amount[i]}", order=f"#{order[i]}", days=days[i], code=code[i])
        text = text.format(**values)
        out.append(text[0].upper() + text[1:])
    return out


def _categorical(rng: np.random.Generator, probs: _Floats) -> _Codes:
    """One category per row of ``probs`` (rows sum to one), vectorised by inverse CDF."""
    codes: _Codes = (rng.random((len(probs), 1)) > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1).astype(np.int64)
    return codes


def _names(fine: _Codes, version: _Codes) -> _Names:
    """The name of each fine intent under the schema version of its row."""
    names: _Names = _NAME_TABLE[version, np.where(version == 2, fine, _V1_OF_FINE[fine])]
    return names


def _judge(rng: np.random.Generator, fine: _Codes, version: _Codes, accuracy: _Floats) -> _Names:
    """Label names: right with probability ``accuracy``, else a uniformly random other label of that version."""
    size = np.where(version == 2, len(FINE_LABELS), len(FINE_LABELS) - 1)
    true_code = np.where(version == 2, fine, _V1_OF_FINE[fine])
    wrong = (true_code + rng.integers(1, size)) % size  # never the true code
    names: _Names = _NAME_TABLE[version, np.where(rng.random(len(fine)) < accuracy, true_code, wrong)]
    return names


def _frame(
    item_ids: _Names, who: _Names | str, labels: _Names, when: _Times, source: _Names | str, change: _Time
) -> pd.DataFrame:
    """Annotation rows in the long format; the schema version is the one in force at each row's time."""
    version = np.where(when >= change, 2, 1)
    return pd.DataFrame(
        {"item_id": item_ids, "annotator_id": who, "label": labels, "created_at": when, "source": source,
         "schema_version": version.astype(np.int64)}
    )


def _items(rng: np.random.Generator, n_items: int, t0: pd.Timestamp) -> tuple[pd.DataFrame, _Codes, _Floats]:
    """Tickets with their true fine intent and age in months; volume doubles over the 18 months."""
    span_s = ((t0 + pd.DateOffset(months=18)) - t0).total_seconds()
    offsets = np.sort(np.sqrt(1.0 + 3.0 * rng.random(n_items)) - 1.0) * span_s  # density grows linearly, 1 -> 2
    created = (t0 + pd.to_timedelta(offsets.astype(np.int64), unit="s")).as_unit("ns")
    enterprise = rng.random(n_items) < 0.3
    weights = [np.arange(1, size + 1) ** -power for size, power in ((40, 0.8), (1200, 0.5))]
    big, small = (rng.choice(len(w), n_items, p=w / w.sum()) for w in weights)
    customer = np.where(enterprise, big, 40 + small)
    mix = np.where(enterprise[:, None], _BASE_MIX["enterprise"], _BASE_MIX["smb"])
    mix[:, 6] *= 1.0 + np.isin(created.month, (11, 12))  # holiday shipping peak
    fine = _categorical(rng, mix / mix.sum(axis=1, keepdims=True))
    items = pd.DataFrame(
        {
            "item_id": [f"TICKET-{i:05d}" for i in range(1, n_items + 1)],
            "text": _texts(rng, fine),
            "segment": np.where(enterprise, "enterprise", "smb"),
            "group_id": [f"CUST-{c:04d}" for c in customer],
            "created_at": created,
        }
    )
    return items, fine, offsets / span_s * 18.0


def _human(rng: np.random.Generator, items: pd.DataFrame, fine: _Codes, month: _Floats, change: _Time) -> pd.DataFrame:
    """Three distinct crowd judgements per ticket (weighted, Gumbel top-k) plus the expert's audit subset."""
    n = len(items)
    keys = np.log(_WORKLOAD) + rng.gumbel(size=(n, len(ANNOTATORS) - 1))
    audit = np.flatnonzero(rng.random(n) < 0.15)
    row = np.concatenate([np.repeat(np.arange(n), 3), audit])
    who = np.concatenate([np.argsort(-keys, axis=1)[:, :3].ravel() + 1, np.zeros(len(audit), dtype=np.int64)])
    delay_s = np.clip(rng.lognormal(np.log(14.0), 1.0, len(row)), 1.0, 240.0) * 3600
    when = items["created_at"].to_numpy()[row] + delay_s.astype("timedelta64[s]")
    version = np.where(when >= change, 2, 1)
    labels = _judge(rng, fine[row], version, np.array([a.accuracy for a in ANNOTATORS])[who])
    kind = np.array([a.kind for a in ANNOTATORS], dtype=object)[who]
    confused = (kind == "confuser") & (fine[row] == FINE_LABELS.index("account_access"))
    labels = np.where(confused & (rng.random(len(row)) < _CONFUSION_RATE), "technical_issue", labels)
    drift = np.clip((month[row] - _DRIFT_START) / (18.0 - _DRIFT_START), 0.0, 1.0) * _DRIFT_MAX
    labels = np.where((kind == "drifter") & (rng.random(len(row)) < drift), _DRIFT_TARGET, labels)
    ids = np.array([a.annotator_id for a in ANNOTATORS], dtype=object)[who]
    item_ids = items["item_id"].to_numpy(dtype=object)[row]
    return _frame(item_ids, ids, labels, when, np.where(who == 0, "expert", "human"), change)


def _routing(rng: np.random.Generator, items: pd.DataFrame, fine: _Codes, change: _Time) -> pd.DataFrame:
    """The queue ~40% of tickets were routed to: coarse (no feature queue, one billing queue) and noisy."""
    routed = np.flatnonzero(rng.random(len(items)) < 0.4)
    when = items["created_at"].to_numpy()[routed] + rng.integers(60, 1800, len(routed)).astype("timedelta64[s]")
    queue = np.where(fine[routed] == FINE_LABELS.index("feature_request"), FINE_LABELS.index("other"), fine[routed])
    queue = np.where(queue == 0, 1, queue)  # the billing queue never learned about refunds
    labels = _judge(rng, queue, np.where(when >= change, 2, 1), np.full(len(routed), 0.9))
    return _frame(items["item_id"].to_numpy(dtype=object)[routed], "routing", labels, when, "behavioral", change)


def _keywords(items: pd.DataFrame, change: _Time) -> pd.DataFrame:
    """The ``rule:keywords`` labeling function, run nightly at 02:00 over new tickets; abstains on no match."""
    when = (pd.DatetimeIndex(items["created_at"]).normalize() + pd.Timedelta(days=1, hours=2)).to_numpy()
    version = np.where(when >= change, 2, 1)
    lowered = items["text"].str.lower()
    labels = np.full(len(items), "", dtype=object)
    for pattern, v1_name, v2_name in reversed(_KEYWORD_RULES):  # reversed, so the first rule that matches wins
        hit = lowered.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        labels[hit] = np.where(version[hit] == 2, v2_name, v1_name)
    fired = np.flatnonzero(labels != "")
    item_ids = items["item_id"].to_numpy(dtype=object)[fired]
    return _frame(item_ids, "rule:keywords", labels[fired], when[fired], "synthetic", change)


def generate_demo(seed: int = 7, n_items: int = 5000, start: str = "2025-05-01") -> DemoData:
    """A deterministic demo workspace: the same arguments always give identical frames; no I/O, no printing."""
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 1:
        raise ParameterError.invalid("n_items", "a positive integer", n_items)
    try:
        t0 = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ParameterError.invalid("start", "a date such as '2025-05-01'", start) from None
    if pd.isna(t0):
        raise ParameterError.invalid("start", "a date such as '2025-05-01'", start)
    if t0.tz is not None:
        t0 = t0.tz_convert("UTC").tz_localize(None)
    rng = np.random.default_rng(seed)
    change_at = t0 + pd.DateOffset(months=12)
    change = change_at.to_datetime64()
    items, fine, month = _items(rng, int(n_items), t0)
    human = _human(rng, items, fine, month, change)
    parts = [human, _routing(rng, items, fine, change), _keywords(items, change)]
    annotations = pd.concat(parts, ignore_index=True)
    annotations["created_at"] = annotations["created_at"].astype("datetime64[ns]")
    annotations = annotations.sort_values(["created_at", "item_id", "annotator_id"], kind="stable", ignore_index=True)
    crowd = human[human["source"] == "human"]
    version = crowd.groupby("item_id", sort=True)["schema_version"].min().reindex(items["item_id"]).to_numpy()
    truth = pd.DataFrame(
        {
            "item_id": items["item_id"],
            "label": _names(fine, version.astype(np.int64)),
            "true_label_v2": _NAME_TABLE[2, fine],
            "schema_version": version.astype(np.int64),
        }
    )
    return DemoData(_schema(1), _schema(2), items, annotations, truth, list(ANNOTATORS), change_at)
