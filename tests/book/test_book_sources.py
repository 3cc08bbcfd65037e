r"""The book's sources, without building it: the table of contents, the paired notebooks,
the configuration and the vendored assets."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest
import yaml
from book_paths import REPO_ROOT, build_command, is_notebook, source_of, toc_files

sys.path.insert(0, str(REPO_ROOT / "tools"))
import code_width  # noqa: E402
import sync_notebooks  # noqa: E402

pytestmark = pytest.mark.book

CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
VENDOR = REPO_ROOT / "site_assets" / "vendor"


def test_every_toc_entry_has_a_source():
    for page in toc_files():
        assert source_of(page).exists()


def test_every_book_page_is_in_the_toc():
    # only_build_toc_files: true silently skips a page missing from _toc.yml; this does not.
    listed = set(toc_files())
    book = REPO_ROOT / "book"
    pages = {str(p.relative_to(REPO_ROOT).with_suffix("")) for p in book.glob("*.md")}
    missing = sorted(pages - listed)
    assert not missing, f"pages in book/ that _toc.yml does not list: {missing}"


def test_landing_page_maps_every_chapter_and_only_those():
    intro = source_of(toc_files()[0]).read_text(encoding="utf-8")
    mapped = {f"book/{name}" for name in re.findall(r"\{doc\}`([^`<>]+)`", intro)}
    chapters = set(toc_files()[1:])
    assert mapped == chapters, (
        f"not on the landing page: {sorted(chapters - mapped)}; "
        f"on it but not in _toc.yml: {sorted(mapped - chapters)}"
    )


def test_chapters_are_paired_notebooks_in_sync_and_without_outputs():
    chapters = sync_notebooks.chapter_sources()
    notebook_pages = {source_of(p) for p in toc_files() if is_notebook(p)}
    assert notebook_pages <= set(chapters)
    stale = {md.name: sync_notebooks.problems(md) for md in chapters}
    stale = {name: why for name, why in stale.items() if why}
    assert not stale, f"run `python tools/sync_notebooks.py`: {stale}"


def test_sync_check_detects_a_stale_notebook(tmp_path: Path):
    # The check above must be able to fail: an edited .md, a notebook with outputs.
    md = tmp_path / "page.md"
    md.write_text(
        "---\njupytext:\n  formats: ipynb,md:myst\nkernelspec:\n  name: python3\n"
        "  display_name: Python 3\n  language: python\n---\n\n# Page\n\n"
        "```{code-cell} ipython3\n1 + 1\n```\n",
        encoding="utf-8",
    )
    assert sync_notebooks.problems(md) == ["page.ipynb is missing"]
    ipynb = sync_notebooks.write_notebook(md)
    first = ipynb.read_bytes()
    assert sync_notebooks.problems(md) == []
    assert sync_notebooks.write_notebook(md).read_bytes() == first  # deterministic
    md.write_text(md.read_text(encoding="utf-8").replace("1 + 1", "1 + 2"), encoding="utf-8")
    assert sync_notebooks.problems(md) == ["page.ipynb differs from page.md"]
    assert sync_notebooks.main(["--check", str(md)]) == 1
    sync_notebooks.write_notebook(md)
    text = ipynb.read_text(encoding="utf-8").replace(
        '"outputs": []', '"outputs": [{"output_type": "stream", "name": "stdout", "text": "3"}]'
    )
    ipynb.write_text(text, encoding="utf-8")
    assert sync_notebooks.problems(md) == ["page.ipynb holds outputs in cells [1]"]


def test_config_identity_and_repository():
    assert CONFIG["title"] == "Backprop, executed"
    assert CONFIG["author"] == "The Backprop, executed authors"
    assert str(CONFIG["copyright"]) == "2026"
    repo = CONFIG["repository"]
    assert repo["url"] == "https://github.com/backprop-executed/backprop-executed"
    assert repo["branch"] == "main"
    assert repo["path_to_book"] == ""


def test_config_is_strict():
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "force"
    assert execute["allow_errors"] is False
    assert execute["stderr_output"] == "error"
    assert CONFIG["only_build_toc_files"] is True
    assert "book/*.ipynb" in CONFIG["exclude_patterns"]


def test_config_launch_buttons_without_thebe():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["notebook_interface"] == "jupyterlab"
    assert buttons.get("thebe", False) is False
    assert "sphinx_thebe" not in CONFIG["sphinx"]["config"]["extensions"]


def test_config_serves_scripts_from_the_site():
    sphinx = CONFIG["sphinx"]["config"]
    assert sphinx["html_extra_path"] == ["site_assets"]
    paths = [sphinx["mathjax_path"], *sphinx["nb_ipywidgets_js"]]
    for path in paths:
        assert "://" not in path, path
        # Relative paths are relative to _static/, which sits next to site_assets' folders.
        assert path.startswith("../"), path
        assert (REPO_ROOT / "site_assets" / path.removeprefix("../")).is_file(), path


def _manifest() -> dict[str, str]:
    files = {}
    for line in (VENDOR / "MANIFEST").read_text(encoding="utf-8").splitlines():
        if line.startswith("file "):
            digest, path = line.removeprefix("file ").split("  ", 1)
            files[path] = digest
    return files


def test_vendored_assets_match_their_manifest():
    listed = _manifest()
    present = {
        str(p.relative_to(VENDOR))
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "MANIFEST"
    }
    assert present == set(listed), (
        f"not in MANIFEST: {sorted(present - set(listed))}; "
        f"missing: {sorted(set(listed) - present)}"
    )
    changed = [
        path
        for path, digest in listed.items()
        if hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() != digest
    ]
    assert not changed, f"edited by hand? re-run tools/vendor_assets.sh: {changed}"


def test_readme_quick_start_is_the_two_commands_ci_and_the_fixture_run():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick_start, flags=re.DOTALL)
    setup = "python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt && "
    assert commands == [
        setup + ".venv/bin/jupyter-book build . --all -W -n --keep-going",
        setup + ".venv/bin/python -m pytest",
    ]
    # The build fixture runs the same jupyter-book command (from this venv).
    assert build_command()[1:] == commands[0].split(".venv/bin/jupyter-book ", 1)[1].split()
    assert "_build/html/" in quick_start


def test_chapter_code_lines_fit_the_text_column():
    # tools/code_width.py --fix shortens them; the browser test measures the result.
    long = [
        f"{md.name}:{number}: {len(line)} characters"
        for md in sorted((REPO_ROOT / "book").glob("*.md"))
        for number, line in code_width.long_lines(md)
    ]
    assert not long, f"code lines over {code_width.MAX_WIDTH} characters: {long}"


def test_the_code_width_check_can_fail(tmp_path: Path):
    md = tmp_path / "x.md"
    md.write_text(
        "text " * 30
        + "\n```{code-cell} ipython3\n:tags: [hide-input]\n"
        + "x = 1  # "
        + "word " * 16
        + "\n```\n",
        encoding="utf-8",
    )
    assert [n for n, _ in code_width.long_lines(md)] == [4]
    code_width.fix(md)
    assert code_width.long_lines(md) == []
    assert "x = 1" in md.read_text(encoding="utf-8")


#: Markup a fold's title cannot render: myst-nb shows ``code_prompt_show`` as plain text.
PROMPT_MARKUP = re.compile(r"[`$]|\\[A-Za-z]+|\{[a-z]+\}`")


def prompt_markup_problems(text: str) -> list[str]:
    r"""Fold titles (``code_prompt_show``/``_hide``) holding Markdown or TeX markup, which
    the page would show raw (backticks, dollars, TeX commands, roles)."""
    return [
        f"{prompt[:70]!r}: {PROMPT_MARKUP.search(prompt).group(0)!r} would show as typed"
        for prompt in re.findall(r'code_prompt_(?:show|hide): "([^"\n]*)"', text)
        if PROMPT_MARKUP.search(prompt)
    ]


@pytest.mark.parametrize("page", toc_files())
def test_fold_titles_hold_no_markup(page: str):
    path = source_of(page)
    problems = prompt_markup_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{page}:\n" + "\n".join(problems)


def test_markup_in_a_fold_title_is_caught():
    for bad in ("of `fit` on", "of $\\delta$", "the \\sigma", "see {eq}`x`"):
        text = f'  code_prompt_show: "✓ Checked: {bad}"\n'
        assert len(prompt_markup_problems(text)) == 1, bad
    assert prompt_markup_problems('  code_prompt_show: "✓ Checked: (eq:td-l) and fit"\n') == []
