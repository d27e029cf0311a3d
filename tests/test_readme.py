"""README.md (and docs/architecture.md) as a Markdown renderer shows them: every `|` table renders
as a table with whole rows, every relative link leads to a file in the repository, and what the
README counts in the manifest matches it (issue 9)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/architecture.md"]
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def render(name: str) -> tuple[list[str], list[Token]]:
    """Source lines and tokens, as GitHub-flavoured tables render (CommonMark plus tables)."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return text.splitlines(), MarkdownIt("commonmark").enable("table").parse(text)


def cells(row: str) -> int:
    parts = CELL_SPLIT.split(row.strip())
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return len(parts)


def walk(tokens: list[Token]):
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


@pytest.mark.parametrize("name", DOCS)
def test_every_pipe_line_renders_inside_a_table(name: str) -> None:
    lines, tokens = render(name)
    tables = [t.map for t in tokens if t.type == "table_open" and t.map]
    code = [t.map for t in tokens if t.type in {"fence", "code_block", "html_block"} and t.map]
    in_any = lambda n, spans: any(a <= n < b for a, b in spans)  # noqa: E731
    stray = [f"line {n + 1}: {line[:70]}" for n, line in enumerate(lines)
             if line.lstrip().startswith("|") and not in_any(n, tables) and not in_any(n, code)]
    assert not stray, "rendered as text, not as a table (a header row and |---| missing?):\n" + "\n".join(stray)
    raw = [t.content.splitlines()[0][:70] for t in tokens
           if t.type == "inline" and any(part.lstrip().startswith("|") for part in t.content.splitlines())]
    assert not raw, f"paragraphs of raw | text: {raw}"


@pytest.mark.parametrize("name", DOCS)
def test_every_table_row_has_as_many_cells_as_its_header(name: str) -> None:
    """A `|` inside a cell (a code span included) must be written `\\|`, or the row splits there
    and the renderer silently drops what lies past the header's last column."""
    lines, tokens = render(name)
    for table in (t for t in tokens if t.type == "table_open"):
        start, end = table.map
        header = cells(lines[start])
        assert header >= 2, f"{name} line {start + 1}: a table needs a header row"
        for n in range(start + 2, end):
            if lines[n].strip():
                assert cells(lines[n]) == header, (
                    f"{name} line {n + 1}: {cells(lines[n])} cells under a {header}-column header: {lines[n][:80]}")


def test_readme_has_its_tables() -> None:
    """The command tables (/prodops, /feedback, /launch, the calendar, the CLI) and Configuration."""
    _, tokens = render("README.md")
    headers = [t for t in tokens if t.type == "table_open"]
    assert len(headers) >= 6


@pytest.mark.parametrize("name", DOCS)
def test_every_relative_link_points_to_a_file_that_exists(name: str) -> None:
    _, tokens = render(name)
    base = (ROOT / name).parent
    targets = [t.attrs.get("href") or t.attrs.get("src") for t in walk(tokens) if t.type in {"link_open", "image"}]
    relative = []
    for target in map(str, filter(None, targets)):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:  # https:, mailto:, or #anchor in this page
            continue
        relative.append(target)
        path = (base / unquote(parts.path)).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{name}: link to {target}, which does not exist"
    if name == "README.md":
        assert relative, "expected relative links (manifest.yml, docs/architecture.md, …)"


def test_readme_counts_the_manifests_urls() -> None:
    """Step 2 of "Create the Slack app" says how many URLs to replace: as many as the manifest has."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))

    def urls(node: object) -> int:
        if isinstance(node, dict):
            return sum((k in {"url", "request_url"}) + urls(v) for k, v in node.items())
        if isinstance(node, list):
            return sum(urls(v) for v in node)
        return 0

    words = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"all {words[urls(manifest)]} URLs" in readme
