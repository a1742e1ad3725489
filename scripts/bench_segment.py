#!/usr/bin/env python3
"""Benchmark minutes segmentation on the project's fixtures in the layouts of Danish publishing systems.

Usage: python scripts/bench_segment.py [--show]

For each fixture (a committee-minutes web page with table cells, one built of blocks and
headings, a council-minutes PDF; see
tests/ingest/minutes_fixtures.py) the file is written, read and segmented as `samskab ingest`
does, then compared with its gold structure:

* item boundaries: a boundary is (first segment of a run of segments, item number). Gold runs
  come from where each item's text really is; precision and recall over the boundaries
  (segments before the first item and table-of-contents segments belong to no item);
* title accuracy: share of gold items found with their full title (whitespace-normalised);
* section-kind accuracy: share of gold sections whose segment carries the right
  ``section_kind``; and noise recall / content kept (noise kinds found as noise, content
  kinds not mistaken for noise);
* whether the noise snippets (navigation, table of contents) land in segments of that kind.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ingest.minutes_fixtures import Fixture, agenda_html, committee_html, council_pdf  # noqa: E402

NOISE = {"toc", "navigation", "attendance", "appendix_list", "case_history"}
_NUMBER = re.compile(r"^(?:(?:Punkt|Pkt\.?)\s*(\d{1,3})\s*[:.,]?|(\d{1,3})\.)\s*")


def _find(text: str, snippet: str, start: int) -> int:
    """Offset of ``snippet``'s first words in ``text`` at or after ``start`` (any whitespace between words)."""
    words = snippet.split()[:6]
    match = re.compile(r"\s+".join(map(re.escape, words))).search(text, start)
    return match.start() if match else -1


def _number(item: str | None) -> int | None:
    m = _NUMBER.match(item or "")
    return int(m.group(1) or m.group(2)) if m else None


def _runs(labels: list[int | None]) -> set[tuple[int, int]]:
    return {(i, lab) for i, lab in enumerate(labels) if lab is not None and (i == 0 or labels[i - 1] != lab)}


def evaluate(doc: dict, segments: list[dict], fixture: Fixture) -> dict[str, float]:
    text = doc["text"]
    # where each gold item's text starts (its first section body), searched in document order
    starts, cursor = [], 0
    for item in fixture.items:
        body = item.sections[0].body.replace("¦", "")
        at = _find(text, body, cursor)
        starts.append((at if at >= 0 else cursor, item.number))
        cursor = max(cursor, at)

    def gold_item(offset: int) -> int | None:
        number = None
        for start, n in starts:
            if offset >= start:
                number = n
        return number

    gold = [gold_item(s["start"]) for s in segments]
    pred = [None if s.get("section_kind") == "toc" else _number(s.get("item")) for s in segments]
    g, p = _runs(gold), _runs(pred)
    hit = len(g & p)

    titles = {}
    for s in segments:
        if s.get("item") and s.get("section_kind") != "toc":
            titles.setdefault(_number(s["item"]), " ".join(_NUMBER.sub("", s["item"], count=1).split()))
    title_ok = sum(titles.get(item.number) == " ".join(item.title.split()) for item in fixture.items)

    kinds_ok = noise_total = noise_found = content_total = content_kept = 0
    gold_sections = fixture.gold_sections()
    cursor = 0
    for _, kind, body in gold_sections:
        at = _find(text, body, cursor)
        seg = next((s for s in segments if at >= 0 and s["start"] <= at < max(s["end"], s["start"] + 1)), None)
        if at >= 0:
            cursor = at
        got = seg.get("section_kind", "content") if seg else None
        kinds_ok += got == kind
        if kind in NOISE:
            noise_total += 1
            noise_found += got in NOISE
        else:
            content_total += 1
            content_kept += got is not None and got not in NOISE
    snippets_ok = snippets_total = 0
    for kind, snippets in fixture.noise_snippets.items():
        for snippet in snippets:
            holders = [s for s in segments if snippet in s["text"]]
            snippets_total += 1
            snippets_ok += bool(holders) and all(s.get("section_kind") == kind for s in holders)
    return {
        "items_gold": len(fixture.items), "items_found": len({n for n in pred if n is not None}),
        "boundary_precision": hit / len(p) if p else 0.0, "boundary_recall": hit / len(g) if g else 0.0,
        "title_accuracy": title_ok / len(fixture.items),
        "kind_accuracy": kinds_ok / len(gold_sections), "noise_recall": noise_found / max(1, noise_total),
        "content_kept": content_kept / max(1, content_total),
        "noise_snippets": f"{snippets_ok}/{snippets_total}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every segment (item, section, kind, start of text)")
    args = parser.parse_args()

    from pipeline.ingest import read_document
    from pipeline.segment import segment_document

    with tempfile.TemporaryDirectory() as tmp:
        html, web = committee_html()
        web_path = Path(tmp) / "aarhus_teknisk_udvalg_referat.html"
        web_path.write_text(html, encoding="utf-8")
        html, blocks = agenda_html()
        blocks_path = Path(tmp) / "holbaek_boerne_og_skoleudvalget_referat.html"
        blocks_path.write_text(html, encoding="utf-8")
        pdf_path = Path(tmp) / "aarhus_byraad_referat.pdf"
        council = council_pdf(pdf_path)
        rows = []
        for path, fixture in ((web_path, web), (blocks_path, blocks), (pdf_path, council)):
            t0 = time.perf_counter()
            [doc] = read_document(path)
            segments = segment_document(doc)
            seconds = time.perf_counter() - t0
            if args.show:
                for s in segments:
                    print(f"  {s['position']:>3} {str(s.get('item'))[:40]:<40} {str(s['section'])[:18]:<18} "
                          f"{s.get('section_kind', '-'):<13} {s['text'][:60]!r}")
            rows.append((fixture.name, len(segments), seconds, evaluate(doc, segments, fixture)))

    print(f"{'fixture':<14} {'items':>7} {'segs':>5} {'bnd P':>6} {'bnd R':>6} {'titles':>7} {'kinds':>6} "
          f"{'noise R':>8} {'content':>8} {'snippets':>9} {'ms':>6}")
    for name, n_segments, seconds, m in rows:
        print(f"{name:<14} {m['items_found']:>3}/{m['items_gold']:<3} {n_segments:>5} {m['boundary_precision']:>6.2f} "
              f"{m['boundary_recall']:>6.2f} {m['title_accuracy']:>7.2f} {m['kind_accuracy']:>6.2f} {m['noise_recall']:>8.2f} "
              f"{m['content_kept']:>8.2f} {m['noise_snippets']:>9} {1000 * seconds:>6.0f}")


if __name__ == "__main__":
    main()
