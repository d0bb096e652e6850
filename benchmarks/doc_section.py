# -*- coding: utf-8 -*-
"""One place that puts a benchmark's section into docs/benchmarks.md, between its start and end markers."""
import os


def write(doc_path, start, end, section):
    """Replace the text between start and end (markers included in section), or append the section."""
    doc = open(doc_path).read() if os.path.exists(doc_path) else "# Benchmarks\n"
    if start in doc:
        doc = doc[:doc.index(start)] + section + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    with open(doc_path, "w") as handle:
        handle.write(doc)
