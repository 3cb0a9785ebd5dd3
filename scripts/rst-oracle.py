#!/usr/bin/python3
"""Description-rendering oracle: what readme_renderer (as PyPI runs it) says about each text.

    rst-oracle.py [--site DIR]  < docs.jsonl  > verdicts.jsonl

Each input line is {"id", "text", "contentType"?}; each output line is
{"id", "ok", "message"} where ok is False when Warehouse's `readme.render(...,
use_fallback=False)` returns None (the upload is refused as "The description failed
to render"), and message is the first line readme_renderer's warning stream got.
The site (default ../shared/warehouse/site next to the repository) holds the
readme_renderer, docutils and pygments that PyPI runs; nh3 and comrak are not packaged
for Debian, so they are stood in for as ../shared/warehouse/oracle.py does (the
sanitizer is identity; Markdown is cmark-gfm), neither of which changes a verdict.
"""
import io
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
site = os.path.join(HERE, "..", "..", "shared", "warehouse", "site")
if len(sys.argv) > 2 and sys.argv[1] == "--site":
    site = sys.argv[2]
site = os.path.abspath(site)
if not os.path.isdir(os.path.join(site, "readme_renderer")):
    sys.exit(f"rst-oracle.py: no readme_renderer under {site}")
sys.path.insert(0, site)

_nh3 = types.ModuleType("nh3")
_nh3.clean = lambda html, **kw: html
sys.modules["nh3"] = _nh3
try:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    _comrak = types.ModuleType("comrak")

    class _Opts:
        pass

    def _render(raw, extension_options=None, render_options=None):
        opts = Options.CMARK_OPT_UNSAFE
        if extension_options is not None:
            return cmarkgfm.github_flavored_markdown_to_html(raw, options=opts)
        return cmarkgfm.markdown_to_html(raw, options=opts)

    _comrak.ExtensionOptions = _comrak.RenderOptions = _Opts
    _comrak.render_markdown = _render
    sys.modules["comrak"] = _comrak
except ImportError:
    pass

import warnings  # noqa: E402

warnings.simplefilter("ignore")
import readme_renderer.rst  # noqa: E402
from warehouse.utils import readme  # noqa: E402  (Warehouse's own dispatcher)


def verdict(text, content_type):
    if not text:  # Warehouse renders nothing for an empty description (`if meta.description:`)
        return {"ok": True, "message": ""}
    stream = io.StringIO()
    if content_type in (None, "", "text/x-rst"):
        out = readme_renderer.rst.render(text, stream=stream)
    else:
        out = readme.render(text, content_type, use_fallback=False)
    first = stream.getvalue().strip().splitlines()
    return {"ok": out is not None, "message": first[0] if first else ""}


for raw in sys.stdin:
    doc = json.loads(raw)
    try:
        res = verdict(doc["text"], doc.get("contentType"))
    except Exception as e:  # a crash inside docutils is an upload error too (500), record it
        res = {"ok": False, "message": f"crash: {type(e).__name__}: {e}"}
    res["id"] = doc["id"]
    sys.stdout.write(json.dumps(res) + "\n")
    sys.stdout.flush()
