"""The sentence-transformers side of `cargo xtask bench embed`, and the corpus both sides embed.

    python embed_baseline.py corpus OUT.jsonl COUNT   # COUNT paragraphs of the stdlib's docstrings
    python embed_baseline.py sample IN.jsonl OUT.jsonl REPEAT   # the texts of IN, REPEAT times over
    python embed_baseline.py measure MODEL_DIR BATCH FILE.jsonl...   # one JSON line per file on stdout
    python embed_baseline.py report BRAINSTORE.jsonl BASELINE.jsonl   # the side-by-side table

The corpus is real text without a download: the docstrings of Python's own standard library, read with
`ast` (no module is imported), split into paragraphs, deduplicated, in file order.
"""

import ast
import json
import os
import resource
import sys
import sysconfig
import time


def corpus(out, count):
    stdlib = sysconfig.get_paths()["stdlib"]
    seen, texts = set(), []
    for root, dirs, files in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "tests", "__pycache__"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(root, name), encoding="utf-8") as source:
                    tree = ast.parse(source.read())
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
            for node in nodes:
                doc = ast.get_docstring(node)
                for paragraph in (doc or "").split("\n\n"):
                    text = " ".join(paragraph.split())
                    if len(text) >= 40 and text not in seen:
                        seen.add(text)
                        texts.append(text)
                        if len(texts) == count:
                            write(out, texts)
                            return
    write(out, texts)


def write(out, texts):
    with open(out, "w", encoding="utf-8") as file:
        for index, text in enumerate(texts):
            file.write(json.dumps({"id": f"stdlib-{index}", "text": text}) + "\n")


def sample(source, out, repeat):
    with open(source, encoding="utf-8") as file:
        texts = [json.loads(line)["text"] for line in file if line.strip()]
    write(out, texts * repeat)


def report(ours_path, theirs_path):
    def read(path):
        with open(path, encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]

    ours, theirs = read(ours_path), read(theirs_path)
    print(f"{'corpus':<28}{'texts':>7}{'tokens':>9}  {'brainstore':>12}  {'sentence-transformers':>22}  {'ratio':>6}")
    for a, b in zip(ours, theirs):
        name = os.path.basename(a["file"])
        ratio = a["texts_per_sec"] / b["texts_per_sec"]
        print(f"{name:<28}{a['texts']:>7}{a['tokens']:>9}  {a['texts_per_sec']:>8.1f} t/s  {b['texts_per_sec']:>18.1f} t/s  {ratio:>5.2f}x")
    print(f"{'peak RSS (MB)':<44}  {ours[-1]['peak_rss_mb']:>12.0f}  {theirs[-1]['peak_rss_mb']:>22.0f}")
    print(f"{'model load (s)':<44}  {ours[-1]['load_seconds']:>12.2f}  {theirs[-1]['load_seconds']:>22.2f}")
    print(f"threads: brainstore {ours[-1]['threads']}, torch {theirs[-1]['threads']} (torch {theirs[-1]['torch']})")


def measure(model_dir, batch, files):
    started = time.perf_counter()
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    load_seconds = time.perf_counter() - started
    model.encode(["warm up the model once"], batch_size=batch)
    for path in files:
        with open(path, encoding="utf-8") as file:
            texts = [json.loads(line)["text"] for line in file if line.strip()]
        started = time.perf_counter()
        vectors = model.encode(texts, batch_size=batch, convert_to_numpy=True)
        seconds = time.perf_counter() - started
        assert vectors.shape[0] == len(texts)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({
            "file": path,
            "texts": len(texts),
            "seconds": seconds,
            "texts_per_sec": len(texts) / seconds,
            "peak_rss_mb": peak_kib / 1024,
            "load_seconds": load_seconds,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
        }), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "corpus":
        corpus(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "sample":
        sample(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        measure(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
