#!/usr/bin/env python3
"""Benchmark training per backend: wall time, peak memory, prediction speed, dev scores.

Usage: python scripts/bench_train.py [--backends tfidf spacy transformer] [--epochs 10]
                                     [--limit N] [--threads N] [--checkpoint DIR]

Data: data/labelled/train.jsonl (+ dev.jsonl for the scores) when they exist, else a
generated set. Each backend runs in its own process, so that its peak RSS
(``resource.getrusage``) is its own. The transformer backend needs the `transformer` extra;
without ``--checkpoint`` it fine-tunes a tiny randomly initialised BERT (hidden 32, 2
layers) built on the fly from the training texts: its time is a floor for the real thing
and its scores mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATED = [
    ("Økonomiudvalget godkendte budgetopfølgningen for {q}. kvartal uden bemærkninger.", 0, ["politicians"]),
    ("Forvaltningen har udbudt renoveringen af {place}hallen, og kontrakten er underskrevet.", 0, ["administration"]),
    ("Borgeren formulerer sammen med terapeuten egne mål for genoptræningen i {place}.", 1, ["citizens", "professionals"]),
    ("Den ledige udarbejder selv sin jobplan med jobkonsulenten i jobcentret i {place}.", 1, ["citizens", "professionals"]),
    ("Frivillige besøgsvenner fra {place} kommer på plejecentret sammen med personalet.", 2, ["civil_society", "professionals"]),
    ("Lektiecaféen på {place} Skole drives af frivillige i samarbejde med lærerne.", 2, ["civil_society", "professionals"]),
    ("Lokalplanen for {place} sendes i offentlig høring, og borgerne kan indsende høringssvar.", 3, ["citizens", "administration"]),
    ("Der afholdes dialogmøde med beboerne i {place} om den nye park.", 3, ["citizens", "administration"]),
    ("Byrådet nedsætter et § 17, stk. 4-udvalg med borgere, foreninger og virksomheder i {place}.", 4,
     ["politicians", "citizens", "civil_society", "businesses"]),
    ("Borgerbudgettet lader beboerne i {place} beslutte, hvilke projekter der gennemføres.", 4, ["citizens", "politicians"]),
]
PLACES = ["Gellerup", "Søndervang", "Vollsmose", "Tåsinge", "Nørrebro", "Ølstykke", "Hasseris", "Åbyhøj", "Brønshøj"]


def generated_records(n: int, seed: int = 13) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        picks = rng.sample(GENERATED, k=3)
        rung = max(p[1] for p in picks)
        actors = sorted({a for p in picks for a in p[2]})
        text = " ".join(p[0].format(place=rng.choice(PLACES), q=rng.randint(1, 4)) for p in picks)
        out.append({"id": f"g{i}", "text": text, "rung": rung, "actors": actors})
    return out


def build_tiny_bert(texts: list[str], folder: Path) -> Path:
    """A randomly initialised 2-layer BERT and a WordPiece vocabulary of ``texts`` (no download)."""
    from collections import Counter

    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    normalise, pre = BertNormalizer(lowercase=True), BertPreTokenizer()
    counts = Counter(w for t in texts for w, _ in pre.pre_tokenize_str(normalise.normalize_str(t)))
    words = [w for w, _ in counts.most_common(20000)]
    chars = sorted({c for w in counts for c in w})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words + [c for c in chars if c not in counts] + [f"##{c}" for c in chars]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    if len(tokenizer) < len(vocab):  # transformers >= 5 takes the vocabulary as `vocab`
        tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)})
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(args: argparse.Namespace) -> dict:
    """Child process: train one backend, time it, report peak RSS and dev scores as JSON."""
    started = time.perf_counter()
    import numpy as np

    from pipeline.codebook import load_codebook
    from pipeline.config import load_config
    from pipeline.labels import actor_matrix

    codebook = load_codebook()
    train, dev = load_data(args.limit)
    overrides = [f"model.backend={args.one}", f"model.epochs={args.epochs}"]
    if args.one == "transformer":
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        checkpoint = args.checkpoint or str(build_tiny_bert([r["text"] for r in train], Path(args.tmp) / "tiny_bert"))
        lr = args.lr or (5e-5 if args.checkpoint else 1e-3)  # a random tiny model needs a larger step
        overrides += [f"model.checkpoint={checkpoint}", f"model.max_length={args.max_length}", f"model.learning_rate={lr}"]
    config = load_config(overrides=overrides).model
    from pipeline.models import create_backend

    backend = create_backend(config, codebook)
    setup_s = time.perf_counter() - started
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    backend.fit([r["text"] for r in train], np.array([r["rung"] for r in train]), actor_matrix(train, codebook))
    fit_s = time.perf_counter() - t0
    row = {"backend": args.one, "n_train": len(train), "epochs": args.epochs if args.one != "tfidf" else None,
           "setup_s": round(setup_s, 1), "fit_s": round(fit_s, 1), "rss_before_fit_mb": round(rss_before),
           "peak_rss_mb": round(_rss_mb())}
    if dev:
        from sklearn.metrics import f1_score

        texts = [r["text"] for r in dev]
        t0 = time.perf_counter()
        rung_proba, actor_proba = backend.predict_proba(texts)
        pred_s = time.perf_counter() - t0
        gold_actors = actor_matrix(dev, codebook)
        row.update(n_dev=len(dev), predict_para_s=round(len(dev) / pred_s, 1),
                   dev_rung_macro_f1=round(float(f1_score([r["rung"] for r in dev], rung_proba.argmax(1), average="macro")), 3),
                   dev_actors_micro_f1=round(float(f1_score(gold_actors, actor_proba >= config.actor_threshold, average="micro")), 3))
        row["peak_rss_mb"] = round(_rss_mb())
    return row


def load_data(limit: int | None) -> tuple[list[dict], list[dict]]:
    from pipeline.labels import LABELLED_DIR, load_labels

    if (LABELLED_DIR / "train.jsonl").is_file():
        train = load_labels(LABELLED_DIR / "train.jsonl")
        dev = load_labels(LABELLED_DIR / "dev.jsonl") if (LABELLED_DIR / "dev.jsonl").is_file() else []
    else:
        records = generated_records(1500)
        train, dev = records[:1200], records[1200:]
    return (train[:limit] if limit else train), dev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["tfidf", "spacy", "transformer"])
    parser.add_argument("--epochs", type=int, default=10, help="spacy / transformer epochs")
    parser.add_argument("--limit", type=int, default=None, help="use the first N training records")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for the transformer (0: torch's default)")
    parser.add_argument("--checkpoint", default=None, help="a local HF checkpoint instead of the tiny random BERT")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends:
            cmd = [sys.executable, __file__, "--one", name, "--tmp", tmp, "--epochs", str(args.epochs),
                   "--threads", str(args.threads), "--max-length", str(args.max_length)]
            cmd += ["--limit", str(args.limit)] if args.limit else []
            cmd += ["--checkpoint", args.checkpoint] if args.checkpoint else []
            cmd += ["--lr", str(args.lr)] if args.lr else []
            print(f"... {name}", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
                print(f"    {name} failed (exit {proc.returncode}): {tail[0]}", file=sys.stderr)
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    keys = ["backend", "n_train", "epochs", "setup_s", "fit_s", "rss_before_fit_mb", "peak_rss_mb", "n_dev",
            "predict_para_s", "dev_rung_macro_f1", "dev_actors_micro_f1"]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join("" if row.get(k) is None else str(row[k]) for k in keys) + " |")
    try:
        load = os.getloadavg()[0]
        print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the end; torch threads {args.threads or 'default'}")
    except OSError:
        pass


if __name__ == "__main__":
    main()
