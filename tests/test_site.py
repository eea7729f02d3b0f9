"""The documentation site: the README is a front page into it, every page is in its
navigation, and the command reference is what ``--help`` says today.

``mkdocs build --strict`` (broken links and anchors) runs in .ci/run, with the docs extra.
"""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def cli_reference():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts/cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_reference_is_fresh():
    # When this fails: python scripts/cli_reference.py, and commit docs/cli.md.
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_reference().render()


def test_the_command_reference_has_every_command_and_option():
    import typer

    from xent.cli import app

    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="xent")
    for name in group.list_commands(ctx):
        assert f"## `xent {name}`" in page
        command = group.get_command(ctx, name)
        for param in command.params:
            for option in param.opts if param.param_type_name == "option" else []:
                assert f"`{option}`" in page, (name, option)


def nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s+- [^:\n]+: (\S+\.md)$", text, re.M)


def test_every_page_is_in_the_navigation_once():
    pages = nav_pages()
    assert len(pages) == len(set(pages))
    assert sorted(pages) == sorted(p.name for p in DOCS.glob("*.md"))
    assert pages[0] == "index.md"


def test_the_readme_is_a_front_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)
    # The two commands that open it, first, exactly (.ci/run runs them).
    assert blocks[0] == (
        "python3 -m venv .venv && .venv/bin/pip install . && "
        ".venv/bin/xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2\n"
    )
    assert blocks[1] == (
        "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest\n"
    )
    assert all(block.strip() for block in blocks), "an empty code block"
    for tool in ("pipx install", "uv tool install", "pip install"):
        assert tool in text
    assert "xent[fast]" in text and "Parquet" in text


def test_the_readme_links_to_files_that_exist():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 10
    for link in local:
        assert (ROOT / link).exists(), link
    for page in nav_pages():  # the README leads to every page but the generated ones
        if page not in {"index.md", "changelog.md", "lesson.md"}:
            assert f"docs/{page}" in text, page


def shown_commands():
    """Every ``xent COMMAND --option ...`` in a code block of the README and the pages,
    with the options it names (what a block without ``$`` lines shows but does not run)."""
    pages = [README, ROOT / "examples/README.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        if page.name == "cli.md":  # written from the command tree itself
            continue
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S):
            for line in block.splitlines():
                line = line.split(" #", 1)[0]
                if line.startswith((">>>", "...")) or "import " in line:  # Python
                    continue
                for match in re.finditer(r"(?:^|[\s/$])xent ([a-z]+)\b(.*)", line):
                    name, rest = match.groups()
                    words = []
                    for part in re.split(r" \| |&&|;", rest):
                        if words and not part.strip().startswith(("-", "(")):
                            break  # the next command of a pipe
                        words += part.split()
                    options = {
                        m.group(1)
                        for w in words
                        for m in [re.match(r"[(\[]*(--?[a-zA-Z][\w-]*)", w)]
                        if m
                    }
                    yield page.name, name, options


def test_every_command_shown_exists_with_its_options():
    import typer

    from xent.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="xent")
    seen = 0
    for page, name, options in shown_commands():
        command = group.get_command(ctx, name)
        assert command is not None, f"{page}: xent {name}"
        known = {"-h", "--help"}
        for param in command.params:
            known.update(getattr(param, "opts", []), getattr(param, "secondary_opts", []))
        assert options <= known, f"{page}: xent {name}: {sorted(options - known)}"
        seen += 1
    assert seen >= 50
