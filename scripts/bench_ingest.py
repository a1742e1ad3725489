#!/usr/bin/env python3
"""Benchmark ingestion: build a synthetic corpus of Danish council minutes as PDFs, ingest it.

Usage: python scripts/bench_ingest.py [--docs 40] [--pages 50] [--workers 1 2] [--keep DIR]

Prints pages/second for extraction + cleaning + segmentation + storing, the rerun time
(everything skipped), and peak RSS of the main process and of the worker processes.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MUNICIPALITIES = ["Aarhus", "Odense", "Aalborg", "Vejle", "Høje-Taastrup", "Lyngby-Taarbæk", "Ringkøbing-Skjern", "Ærø"]
COMMITTEES = ["Økonomiudvalget", "Børne- og Skoleudvalget", "Teknik- og Miljøudvalget", "Social- og Sundhedsudvalget",
              "Kultur- og Fritidsudvalget", "Byrådet"]
MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "august", "september", "oktober", "november", "december"]
TITLES = ["Borgerinddragelse i ny lokalplan for {place}", "Frivilligstrategi 2020-2024", "Lektiecafé på {place} Skole",
          "Anlægsbevilling til renovering af {place}hallen", "Partnerskab med boligorganisationerne i {place}",
          "Høring om ny skolestruktur", "Evaluering af værestedet i {place}", "Klimatilpasning i {place} Ådal",
          "Budgetopfølgning pr. 31. marts", "Samarbejde med idrætsforeningerne om sommeraktiviteter"]
PLACES = ["Gellerup", "Søndervang", "Vollsmose", "Tåsinge", "Nørrebro", "Ølstykke", "Hasseris", "Åbyhøj", "Brønshøj"]
SENTENCES = [
    "Forvaltningen foreslår, at borgere, foreninger og lokale virksomheder inddrages tidligt i arbejdet med {title}.",
    "Der nedsættes et § 17, stk. 4-udvalg med repræsentanter fra boligforeninger, skolebestyrelser og idrætsforeninger i {place}.",
    "Udvalget mødes fire gange i løbet af året og afleverer sine anbefalinger til {committee}.",
    "Projektet finansieres af puljemidler på {money} mio. kr., jf. bilag 2, og udgiften afholdes inden for rammen.",
    "Frivillige fra Røde Kors og Ældre Sagen driver allerede aktiviteterne sammen med medarbejderne på plejecentret.",
    "Beboerne i {place} har gennem borgerpaneler og workshops bidraget med idéer til områdets udvikling.",
    "Administrationen vurderer, at indsatsen styrker samskabelsen mellem kommunen og civilsamfundet.",
    "Der er gennemført høring, og der er indkommet {n} høringssvar fra borgere, foreninger og myndigheder.",
    "Erfaringerne fra lignende projekter i andre kommuner viser, at tidlig inddragelse giver bedre løsninger.",
    "Sagen forelægges samtidig for Ældrerådet og Handicaprådet, jf. serviceloven § 83.",
    "Forvaltningen vil i samarbejde med lokaludvalget udarbejde en plan for den videre proces og kommunikation.",
    "Arbejdet udføres i etaper, så driften på skolen kan fortsætte i hele anlægsperioden.",
]
SECTIONS = ["Resumé", "Sagsfremstilling", "Økonomi", "Høring", "Indstilling"]


def _paragraph(rng: random.Random, title: str, committee: str) -> str:
    picks = rng.sample(SENTENCES, k=rng.randint(3, 6))
    return " ".join(s.format(title=title.lower(), place=rng.choice(PLACES), committee=committee,
                             money=f"{rng.randint(1, 40)},{rng.randint(0, 9)}", n=rng.randint(3, 60)) for s in picks)


def _lines(rng: random.Random, municipality: str, committee: str, date: str, pages: int) -> list[list[str]]:
    """Page-sized lists of visual lines: a header block, then agenda items with sections."""
    body: list[str] = ["Referat", committee, f"Mødedato: {date}, kl. 16:00", "Mødested: Rådhuset, byrådssalen",
                       "Fraværende: Ingen", ""]
    per_page = 52
    item = 0
    while len(body) < pages * per_page:
        item += 1
        title = rng.choice(TITLES).format(place=rng.choice(PLACES))
        body += [f"{item}. {title}", f"Sagsnr.: {rng.randint(100, 999)}-20{rng.randint(10, 23)}-{rng.randint(1000, 99999)}"]
        for section in rng.sample(SECTIONS, k=rng.randint(3, 5)):
            body.append(section)
            for _ in range(rng.randint(1, 3)):
                body += textwrap.wrap(_paragraph(rng, title, committee), width=95, break_on_hyphens=False)
        body += [f"Beslutning i {committee} den {date}:", rng.choice(["Godkendt.", "Anbefales.", "Taget til efterretning."]), ""]
    return [body[i:i + per_page] for i in range(0, pages * per_page, per_page)]


def make_corpus(folder: Path, *, docs: int, pages: int, seed: int = 13) -> int:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    total = 0
    for d in range(docs):
        municipality = MUNICIPALITIES[d % len(MUNICIPALITIES)]
        committee = rng.choice(COMMITTEES)
        day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(2008, 2024)
        date = f"{day}. {month} {year}"
        sub = folder / municipality.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
        sub.mkdir(parents=True, exist_ok=True)
        c = canvas.Canvas(str(sub / f"referat_{d:03d}.pdf"), pagesize=A4, pageCompression=1)
        width, height = A4
        page_lines = _lines(rng, municipality, committee, date, pages)
        for p, lines in enumerate(page_lines, start=1):
            c.setFont("Helvetica", 8)
            c.drawString(50, height - 30, f"{municipality} Kommune – {committee} – Referat {date}")
            c.drawString(width / 2 - 25, 25, f"Side {p} af {len(page_lines)}")
            c.setFont("Helvetica", 9)
            y = height - 60
            for line in lines:
                c.drawString(50, y, line)
                y -= 14.5
            c.showPage()
            total += 1
        c.save()
    return total


class PeakRSS:
    """Sample the RSS of this process and all its descendants (the worker pool) every 0.1 s."""

    def __init__(self) -> None:
        import threading

        import psutil

        self._proc = psutil.Process()
        self.main_mb = self.total_mb = self.worker_mb = 0.0
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(0.1):
            try:
                main = self._proc.memory_info().rss
                children = [c.memory_info().rss for c in self._proc.children(recursive=True)]
            except psutil.Error:
                continue
            for c in [self._proc, *self._proc.children(recursive=True)]:
                try:
                    t = c.cpu_times()
                    self._cpu[c.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self.main_mb = max(self.main_mb, main / 2**20)
            self.worker_mb = max([self.worker_mb] + [c / 2**20 for c in children])
            self.total_mb = max(self.total_mb, (main + sum(children)) / 2**20)

    def __enter__(self) -> "PeakRSS":
        t = self._proc.cpu_times()
        self._cpu_start = t.user + t.system
        self._thread.start()
        return self

    @property
    def cpu_s(self) -> float:
        """CPU seconds used by this process and its workers while sampling (robust to a busy machine)."""
        return sum(self._cpu.values()) - self._cpu_start

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated corpus here")
    args = parser.parse_args()

    from pipeline.ingest import ingest
    from pipeline.store import CorpusStore

    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        corpus = args.keep or tmp / "corpus"
        t0 = time.perf_counter()
        pages = make_corpus(corpus, docs=args.docs, pages=args.pages)
        print(f"generated {args.docs} PDFs, {pages} pages in {time.perf_counter() - t0:.1f} s "
              f"({sum(f.stat().st_size for f in corpus.rglob('*.pdf')) / 1e6:.1f} MB)")
        for run, workers in enumerate(args.workers):
            db = tmp / f"corpus_{run}_w{workers}.duckdb"
            with CorpusStore(db) as store:
                t0 = time.perf_counter()
                with PeakRSS() as rss:
                    results = list(ingest([str(corpus)], store=store, workers=workers))
                elapsed = time.perf_counter() - t0
                failed = [r for r in results if r.status == "failed"]
                t1 = time.perf_counter()
                rerun = list(ingest([str(corpus)], store=store, workers=workers))
                rerun_s = time.perf_counter() - t1
                n_docs, n_segs = store.count_documents(), store.count_segments()
                sections = store.con.execute("SELECT count(*) FROM segments WHERE section IS NOT NULL").fetchone()[0]
                munis = store.con.execute("SELECT count(DISTINCT municipality) FROM documents").fetchone()[0]
            print(f"workers={workers}: {pages / elapsed:.1f} pages/s wall ({elapsed:.1f} s), {pages / rss.cpu_s:.1f} pages per CPU-second "
                  f"({rss.cpu_s:.1f} CPU s), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {n_docs} documents, {n_segs} segments "
                  f"({sections} with a section), {munis} municipalities, {len(failed)} failed; "
                  f"rerun {rerun_s:.1f} s, {sum(r.status == 'skipped' for r in rerun)} skipped; "
                  f"db {db.stat().st_size / 1e6:.1f} MB; peak RSS main {rss.main_mb:.0f} MB, "
                  f"largest worker {rss.worker_mb:.0f} MB, all processes {rss.total_mb:.0f} MB")
        print(f"peak RSS of the main process over the whole script (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
