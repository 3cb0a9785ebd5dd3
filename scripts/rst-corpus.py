#!/usr/bin/python3
"""Builds the reST description corpus from real sources on this machine (JSON lines on stdout).

    rst-corpus.py [--site DIR] > corpus.jsonl

Each line is {"id", "source", "contentType", "text"}; ids are stable (source path plus a
mutation name), texts are de-duplicated. Sources, in order:
  1. descriptions (METADATA body) of the wheels in /opt/pypi/files and /opt/pypi-more/files;
  2. descriptions of the installed Debian Python packages (dist-info METADATA, egg-info PKG-INFO);
  3. README / *.rst / *.txt files under /usr/share/doc and /usr/lib/python3/dist-packages
     (gzip-compressed ones too), at most 256 KiB each;
  4. the .rst/.txt documents shipped in the Warehouse site (docutils' own docs among them);
  5. broken variants: for every 3rd reST document from 1-4 one realistic mistake (an
     underline shortened, a blank line dropped, an unclosed `*`, an unknown role, directive
     or reference, a Sphinx-only construct...), chosen by a fixed hash so reruns agree.
Only reST is kept (no Description-Content-Type, or text/x-rst); Markdown and plain
descriptions are counted on stderr and skipped.
"""
import email.parser
import email.policy
import glob
import gzip
import hashlib
import json
import os
import re
import sys
import tarfile
import zipfile

MAX = 256 * 1024
site = None
if len(sys.argv) > 2 and sys.argv[1] == "--site":
    site = sys.argv[2]

seen = set()
skipped = {"markdown/plain": 0, "empty": 0, "duplicate": 0}
docs = []


def add(doc_id, source, text, content_type=None):
    if not text or not text.strip():
        skipped["empty"] += 1
        return
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct not in ("", "text/x-rst"):
        skipped["markdown/plain"] += 1
        return
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if key in seen:
        skipped["duplicate"] += 1
        return
    seen.add(key)
    docs.append({"id": doc_id, "source": source, "contentType": content_type, "text": text})


def description_of(raw_bytes):
    """The description as twine sends it: the message body, else the Description header."""
    text = raw_bytes.decode("utf-8", "replace")
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    body = msg.get_payload()
    ct = msg.get("Description-Content-Type")
    if isinstance(body, str) and body.strip():
        return body, ct
    desc = msg.get("Description")
    if desc:
        lines = desc.splitlines()
        # the header's continuation lines are indented by 8 spaces or "       |" (PEP 241 era)
        out = [lines[0]] + [re.sub(r"^( {8}|       \|)", "", ln) for ln in lines[1:]]
        return "\n".join(out), ct
    return None, ct


def from_wheels():
    for d in ("/opt/pypi/files", "/opt/pypi-more/files"):
        for path in sorted(glob.glob(os.path.join(d, "*.whl"))):
            try:
                with zipfile.ZipFile(path) as z:
                    names = [n for n in z.namelist() if re.match(r"[^/]+\.dist-info/METADATA$", n)]
                    if not names:
                        continue
                    text, ct = description_of(z.read(names[0])[: 4 * MAX])
                    add("wheel:" + os.path.basename(path), "wheel", text, ct)
            except (zipfile.BadZipFile, OSError, KeyError):
                continue
        for path in sorted(glob.glob(os.path.join(d, "*.tar.gz"))):
            try:
                with tarfile.open(path) as t:
                    for m in t:
                        if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"):
                            text, ct = description_of(t.extractfile(m).read(4 * MAX))
                            add("sdist:" + os.path.basename(path), "sdist", text, ct)
                            break
            except (tarfile.TarError, OSError):
                continue


def from_installed():
    pats = ["/usr/lib/python3/dist-packages/*.dist-info/METADATA",
            "/usr/lib/python3/dist-packages/*.egg-info/PKG-INFO",
            "/usr/lib/python3/dist-packages/*.egg-info"]
    for pat in pats:
        for path in sorted(glob.glob(pat)):
            if not os.path.isfile(path) or os.path.getsize(path) > 4 * MAX:
                continue
            with open(path, "rb") as f:
                text, ct = description_of(f.read())
            add("installed:" + path, "installed", text, ct)


def read_doc(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read(MAX + 1)
    except OSError:
        return None
    if len(data) > MAX or b"\0" in data:
        return None
    return data.decode("utf-8", "replace")


def from_files():
    roots = ["/usr/share/doc", "/usr/lib/python3/dist-packages"]
    if site:
        roots.append(site)
    name_ok = re.compile(r"(^readme([._-].*)?$)|(\.rst(\.gz)?$)|(^[^.]+\.txt(\.gz)?$)", re.I)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                if not name_ok.search(fn) or fn.lower().startswith(("license", "copying")):
                    continue
                if re.search(r"\.(md|markdown|html|py|json)(\.gz)?$", fn, re.I):
                    continue
                path = os.path.join(dirpath, fn)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                text = read_doc(path)
                if text is not None:
                    add("file:" + path, "site" if site and path.startswith(site) else "file", text)


# -- realistic mistakes ---------------------------------------------------------------------
def m_short_underline(t):
    return re.sub(r"(?m)^(\S[^\n]{5,})\n([=\-~^*+#])\2{5,}$",
                  lambda m: m[1] + "\n" + m[2] * (len(m[1]) - 2), t, count=1)


def m_drop_blank_before_indent(t):
    return re.sub(r"(?m)^(\S[^\n]*[^:\n])\n\n( {2,}\S)", r"\1\n\2", t, count=1)


def m_unclosed_emphasis(t):
    return re.sub(r"(?m)^([A-Za-z][^\n*`]{10,}) ([a-z]{3,})", r"\1 *\2", t, count=1)


def m_unknown_role(t):
    return t + "\n\nSee :func:`setup` and :class:`Config` for details.\n"


def m_sphinx_directive(t):
    return t + "\n\n.. versionadded:: 1.2\n   The ``strict`` option.\n"


def m_unknown_reference(t):
    return t + "\n\nRead the `user guide`_ first.\n"


def m_bullet_no_blank(t):
    return re.sub(r"(?m)^(\* [^\n]+)\n\n(?=[A-Za-z])", r"\1\n", t, count=1)


def m_literal_expected(t):
    return t + "\n\nExample::\n\nNothing indented follows.\n"


def m_code_unknown_lang(t):
    return t + "\n\n.. code-block:: pythonn\n\n   import x\n"


def m_table_break(t):
    return re.sub(r"(?m)^(\+[-+]+\+)$", lambda m: m[1][:-2] + "+", t, count=1)


def m_substitution(t):
    return t + "\n\n|build-status| badge\n"


def m_transition_end(t):
    return t.rstrip() + "\n\n----------\n"


def m_title_overline(t):
    return re.sub(r"(?m)^([=\-~*#])\1{5,}\n([^\n]+)\n\1{5,}$",
                  lambda m: m[1] * (len(m[0].split("\n")[0]) + 3) + "\n" + m[2] + "\n" + m[1] * len(m[0].split("\n")[0]),
                  t, count=1)


def m_duplicate_target(t):
    return t + "\n\n.. _home: https://a.example\n.. _home: https://b.example\n"


def m_image_no_arg(t):
    return t + "\n\n.. image::\n   :alt: logo\n"


def m_field_list_no_blank(t):
    return t + "\n\n:Author: Someone\n:Version: 1.0\nText directly after.\n"


MUTATIONS = [m_short_underline, m_drop_blank_before_indent, m_unclosed_emphasis, m_unknown_role,
             m_sphinx_directive, m_unknown_reference, m_bullet_no_blank, m_literal_expected,
             m_code_unknown_lang, m_table_break, m_substitution, m_transition_end,
             m_title_overline, m_duplicate_target, m_image_no_arg, m_field_list_no_blank]


def mutate():
    for doc in list(docs):
        h = int(hashlib.sha256(doc["id"].encode()).hexdigest()[:8], 16)
        if h % 3:
            continue
        # the first mutation (in a hash-chosen rotation) that changes the text
        for k in range(len(MUTATIONS)):
            fn = MUTATIONS[(h // 3 + k) % len(MUTATIONS)]
            out = fn(doc["text"])
            if out != doc["text"]:
                add(doc["id"] + "#" + fn.__name__[2:], "mutant", out, doc["contentType"])
                break


from_wheels()
from_installed()
from_files()
mutate()
for d in docs:
    sys.stdout.write(json.dumps(d) + "\n")
counts = {}
for d in docs:
    counts[d["source"]] = counts.get(d["source"], 0) + 1
sys.stderr.write(f"rst-corpus: {len(docs)} documents {counts}; skipped {skipped}\n")
