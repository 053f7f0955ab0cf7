"""Nothing a page loads comes from the internet; every static file a template names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# What a browser (or xhtml2pdf) would fetch: src=, href=, action=, CSS url(...) and @import,
# pointing at http(s):// or a protocol-relative //host. Text that merely mentions a URL
# (licence banners, the SVG namespace) is not loaded and does not match.
REMOTE = r"""(?:https?:)?//[^\s"')>]+"""
LOADED = [
    re.compile(rf"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*({REMOTE})""", re.I),
    re.compile(rf"""url\(\s*["']?\s*({REMOTE})""", re.I),
    re.compile(rf"""@import\s+(?:url\()?\s*["']?\s*({REMOTE})""", re.I),
    # JavaScript fetching or setting one: fetch("https://..."), .src = "https://..."
    re.compile(rf"""(?:fetch\(|import\(|\.src\s*=|\.href\s*=)\s*["'`]({REMOTE})""", re.I),
]


def every_file(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_the_folders_exist_and_hold_files() -> None:
    assert len(every_file(TEMPLATES)) >= 10
    assert len(every_file(STATIC)) >= 5


def test_no_template_or_static_file_loads_anything_from_the_internet() -> None:
    found = []
    for path in every_file(TEMPLATES) + every_file(STATIC):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for pattern in LOADED:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(1)}")
    assert not found, "remote resources would be loaded:\n" + "\n".join(found)


def test_the_check_catches_remote_urls() -> None:
    samples = [
        '<script src="https://cdn.example/x.js">',
        "<link href='//fonts.example/css' rel=stylesheet>",
        "body { background: url(http://example.com/a.png) }",
        '@import "https://fonts.example/css";',
        'fetch("https://api.example/x")',
    ]
    for sample in samples:
        assert any(p.search(sample) for p in LOADED), sample
    harmless = [
        '<svg xmlns="http://www.w3.org/2000/svg">',
        "url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'%3e\")",
        " * Bootstrap v5.3.9 (https://getbootstrap.com/)",
        '<a href="/api/invoice/1/pdf">',
    ]
    for sample in harmless:
        assert not any(p.search(sample) for p in LOADED), sample


def test_no_source_map_is_requested() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in every_file(STATIC)
        if path.suffix in (".js", ".css") and "sourceMappingURL" in path.read_text("utf-8")
    ]
    assert not offenders


def test_every_static_file_named_by_a_template_exists() -> None:
    named = set()
    for path in every_file(TEMPLATES):
        named |= set(
            re.findall(r"url_for\('static', filename='([^']+)'\)", path.read_text("utf-8"))
        )
    assert "vendor/bootstrap-5.3.9/bootstrap.min.css" in named
    missing = sorted(name for name in named if not (STATIC / name).is_file())
    assert not missing


def test_every_vendored_folder_is_documented_with_a_licence() -> None:
    readme = (STATIC / "vendor" / "README.md").read_text("utf-8")
    for folder in sorted(p for p in (STATIC / "vendor").iterdir() if p.is_dir()):
        assert f"`{folder.name}/`" in readme, folder.name
        assert any(f.name.upper().startswith(("LICENSE", "LICENCE")) for f in folder.iterdir())
