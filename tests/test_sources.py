"""The duplicate-id check of classify's input (pipeline.sources): the same verdicts whether
the first occurrence is among the recent ids or already in the compact sorted arrays."""

import pytest

from pipeline.sources import SeenIds, Source, checked_batches


def _check(records: list[dict]) -> tuple[list, list[dict]]:
    source = Source(lambda on_bad: iter(enumerate(records, 1)), "test", len(records), "in.jsonl")
    rejects: list[dict] = []
    kept = [r["id"] for batch in checked_batches(source, 7, rejects.append) for r in batch]
    return kept, rejects


@pytest.mark.parametrize("recent", [SeenIds.RECENT, 4])
def test_duplicates_and_clashes_found_near_and_far(monkeypatch, recent):  # noqa: ANN001
    monkeypatch.setattr(SeenIds, "RECENT", recent)
    records = [{"id": i, "text": "t"} for i in range(50)]
    records += [{"id": 3, "text": "t"}, {"id": "7", "text": "t"}, {"id": "a", "text": "t"}, {"id": 49, "text": "t"},
                {"id": "a", "text": "t"}, {"id": 7.0, "text": "t"}, {"id": "50", "text": "t"}]
    kept, rejects = _check(records)
    assert kept == [*range(50), "a", "50"]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (51, "duplicate id 3 (first on line 4)"),
        (52, "id '7' clashes with id 7 on line 8 (both become '7' in the output)"),
        (54, "duplicate id 49 (first on line 50)"),
        (55, "duplicate id 'a' (first on line 53)"),
        (56, "duplicate id 7 (first on line 8)"),
    ]


def test_string_ids_clash_with_integer_ids_seen_long_before(monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(SeenIds, "RECENT", 3)
    seen = SeenIds()
    for n in range(1, 20):
        seen.add(f"s{n}", n, f"s{n}")
    seen.add("-5", 20, -5)
    assert seen.first("s11") == (11, "s11")
    assert seen.first("-5") == (20, -5)
    assert seen.first("s20") is None and seen.first("5") is None
