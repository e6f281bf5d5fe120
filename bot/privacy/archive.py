"""Subject access: one zip with everything held about a person.

``data.json`` has every row and event as stored (machine-readable);
``summary.html`` says the same for a person to read (everything escaped:
it is what residents and staff typed); ``photos/`` has the photos they sent.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from jinja2 import Environment, FileSystemLoader

from bot.privacy.subject import DataStores, Subject
from bot.storage import tracker_events

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What our photo stores name files (bot/web/uploads.py, bot/channels/sms_media.py).
_PHOTO_NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(?:jpg|png|webp)$")


def collect(stores: DataStores, subject: Subject) -> Dict[str, Any]:
    """Everything held about the subject, grouped by kind."""
    conversations = tracker_events.export(stores.tracker_engine, sorted(subject.conversation_ids))
    cases = stores.cases.export(subject.case_ids)
    return {
        "generated_at": datetime.now(timezone.utc),
        "request": {"kind": subject.selector.kind, "value": subject.selector.value},
        "identifiers": {
            "phone_numbers": sorted(subject.phones),
            "email_addresses": sorted(subject.emails),
            "case_references": sorted(subject.references),
            "conversation_ids": sorted(subject.conversation_ids),
        },
        "conversations": [{"conversation_id": c, "channel": _channel(conversations.get(c, [])),
                           "events": conversations.get(c, [])} for c in sorted(subject.conversation_ids)],
        "cases": cases,
        "sms": stores.sms.export(subject.phones, subject.conversation_ids),
        # Other residents' cases this person said "me too" to: their own row, not those cases.
        "followed_cases": stores.followers.export(subject.conversation_ids),
        "escalations": stores.escalations.export(subject.conversation_ids, subject.phones),
        "audit": stores.audit.naming(subject.names),
        "photos": [{"url": url, "file": f"photos/{path.name}"}
                   for url, path in photo_files(stores.photo_dirs, photo_urls(cases, conversations.values()))],
    }


def _channel(events: List[Dict[str, Any]]) -> Optional[str]:
    """How the resident wrote (web, sms, ...): the channel of their first message."""
    return next((str(e["input_channel"]) for e in events if e.get("event") == "user" and e.get("input_channel")), None)


def photo_urls(cases: List[Dict[str, Any]], conversations: Iterable[List[Dict[str, Any]]]) -> List[str]:
    """Photo URLs on the cases and in the conversations' messages, first seen first."""
    urls = [str(u) for case in cases for u in (case.get("media_urls") or [])]
    for events in conversations:
        for event in events:
            if event.get("event") == "user":
                urls += [str(u) for u in ((event.get("metadata") or {}).get("media_urls") or [])]
    return list(dict.fromkeys(urls))


def photo_files(dirs: Iterable[Path], urls: Iterable[str]) -> List[Tuple[str, Path]]:
    """The stored file behind each of our photo URLs, once per file (others, and odd names, are skipped)."""
    found: Dict[Path, str] = {}
    for url in urls:
        name = url.rsplit("/", 1)[-1]
        if not _PHOTO_NAME.match(name):
            continue
        for directory in dirs:
            path = directory / name
            if path.is_file():
                found.setdefault(path, url)
                break
    return [(url, path) for path, url in found.items()]


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(data: Dict[str, Any]) -> str:
    return json.dumps(data, default=_json_default, indent=2, ensure_ascii=False)


def _when(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc).strftime("%d %b %Y %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return ""


def _lines(events: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """The readable part of a conversation: who said what, when."""
    lines = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            lines.append({"who": "You", "text": str(event.get("text") or ""), "when": _when(event.get("timestamp"))})
        elif kind == "bot" and event.get("text"):
            metadata = event.get("metadata") or {}
            who = "Council staff" if metadata.get("from_staff") else "Assistant"
            lines.append({"who": who, "text": str(event["text"]), "when": _when(event.get("timestamp"))})
    return lines


def summary_html(data: Dict[str, Any], council_name: str) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["lines"] = _lines
    env.filters["show"] = lambda value: value.isoformat(sep=" ", timespec="seconds") if isinstance(
        value, datetime) else ("" if value is None else value)
    return env.get_template("summary.html").render(data=data, council_name=council_name)


def build_archive(data: Dict[str, Any], council_name: str, photos: Dict[str, Path],
                  out: Optional[Path] = None) -> bytes:
    """The zip (returned, and written to ``out`` when given); ``photos`` maps names in it to files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", to_json(data))
        archive.writestr("summary.html", summary_html(data, council_name))
        for name, path in photos.items():
            archive.write(path, name)
    content = buffer.getvalue()
    if out is not None:
        out.touch(mode=0o600)  # personal data: the operator's eyes only
        out.chmod(0o600)
        out.write_bytes(content)
    return content


def export_subject(stores: DataStores, subject: Subject, council_name: str,
                   out: Optional[Path] = None) -> Tuple[bytes, Dict[str, int]]:
    """The archive for the subject, and how many of each kind it holds."""
    data = collect(stores, subject)
    photos = {f"photos/{path.name}": path
              for _url, path in photo_files(stores.photo_dirs, [p["url"] for p in data["photos"]])}
    return build_archive(data, council_name, photos, out), counts(data)


def counts(data: Dict[str, Any]) -> Dict[str, int]:
    return {
        "conversations": len(data["conversations"]),
        "conversation events": sum(len(c["events"]) for c in data["conversations"]),
        "cases": len(data["cases"]),
        "sms messages": len(data["sms"]["messages"]),
        "escalations": len(data["escalations"]),
        "staff notes": sum(len(e["notes"]) for e in data["escalations"]),
        "notifications": sum(len(c["notifications"]) for c in data["cases"]),
        "audit entries": len(data["audit"]),
        "photos": len(data["photos"]),
    }
