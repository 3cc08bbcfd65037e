r"""The reading path of the built site holds issue 21's targets.

The measures are ``tools/reading_metrics.py`` (run it as a script for the per-page table);
its docstring defines what is visible, a code line, a word of prose and a mention of the
notes. Over the built site:

- the source notes: at most 25 visible mentions over the landing page and the chapters
  (not the appendices for the notes' readers, nor the references); no heading names a note;
- code: at most 4 visible code lines per 100 words of prose over the landing page and the
  numbered chapters, at most 6 on any one of them; no visible ``glue(`` line; at most 50
  visible assert lines in the book; and book/*.md still executes at least as many assert
  lines and glue calls as it did (the checks are folded, never dropped);
- every fold of a code cell says what it holds (not myst-nb's "Show code cell source");
- every figure (image or animation) has a numbered caption;
- in chromium (run on the page loads of ``test_site_layout.py``, which opens each page once
  at each width): no display equation wider than its column at 1280 px (folds opened); at
  390 x 844 every control of the article at least 24 px each way and every button at least
  44 px tall, and the "What you will learn" box ends above 60 % of the first screen or is
  folded.

The size of figure text is checked by ``test_site_layout.py`` (from ``book/figure_text.py``).
The last tests show that each measure catches the defect it exists for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from book_paths import MATHJAX_READY, REPO_ROOT, toc_files

sys.path.insert(0, str(REPO_ROOT / "tools"))
import reading_metrics as rm  # noqa: E402

pytestmark = pytest.mark.book

CSS = REPO_ROOT / "site_assets" / "css" / "book.css"
OBJECTIVES_JS = REPO_ROOT / "site_assets" / "js" / "book_objectives.js"


@pytest.fixture(scope="module")
def metrics(built_site: Path) -> dict[str, rm.PageMetrics]:
    return {page: rm.measure_page(built_site, page) for page in toc_files()}


def _listing(per_page: dict[str, list[str]], limit: int = 6) -> str:
    lines = []
    for page, items in per_page.items():
        if items:
            lines.append(f"{page}: {len(items)}")
            lines += [f"    {item}" for item in items[:limit]]
    return "\n".join(lines)


# -- the notes --------------------------------------------------------------------------------


def test_the_notes_are_mentioned_at_most_25_times_in_the_reading_path(metrics):
    pages = rm.notes_pages()
    total = sum(len(metrics[p].mentions) for p in pages)
    assert total <= rm.MAX_NOTE_MENTIONS, (
        f"{total} visible mentions of the notes (at most {rm.MAX_NOTE_MENTIONS}):\n"
        + _listing({p: metrics[p].mentions for p in pages})
    )


def test_no_heading_names_a_note(metrics):
    pages = rm.notes_pages()
    headings = {p: metrics[p].note_headings for p in pages}
    assert not any(headings.values()), "headings naming a note:\n" + _listing(headings)


# -- code in the reading path -----------------------------------------------------------------


def test_visible_code_is_at_most_4_lines_per_100_words(metrics):
    pages = rm.code_pages()
    code = sum(metrics[p].code_lines for p in pages)
    words = sum(metrics[p].words for p in pages)
    ratio = 100 * code / words
    table = "\n".join(
        f"  {p:28} {metrics[p].code_lines:5} lines / {metrics[p].words:6} words = "
        f"{metrics[p].code_per_100_words:4.1f}"
        for p in pages
    )
    assert ratio <= rm.MAX_CODE_PER_100_WORDS, (
        f"{code} visible code lines for {words} words of prose: {ratio:.1f} per 100 words "
        f"(at most {rm.MAX_CODE_PER_100_WORDS}):\n{table}"
    )


@pytest.mark.parametrize("page_name", rm.code_pages())
def test_no_chapter_shows_more_than_6_code_lines_per_100_words(page_name, metrics):
    m = metrics[page_name]
    assert m.code_per_100_words <= rm.MAX_CODE_PER_100_WORDS_ONE_PAGE, (
        f"{page_name}: {m.code_lines} visible code lines for {m.words} words of prose, "
        f"{m.code_per_100_words:.1f} per 100 words (at most "
        f"{rm.MAX_CODE_PER_100_WORDS_ONE_PAGE})"
    )


def test_no_visible_glue_line_and_at_most_50_visible_asserts(metrics):
    glue = {p: m.glue_lines for p, m in metrics.items()}
    asserts = {p: m.assert_lines for p, m in metrics.items()}
    n_asserts = sum(len(a) for a in asserts.values())
    assert not any(glue.values()), "visible glue( lines:\n" + _listing(glue)
    assert n_asserts <= rm.MAX_VISIBLE_ASSERTS, (
        f"{n_asserts} visible assert lines (at most {rm.MAX_VISIBLE_ASSERTS}):\n"
        + _listing(asserts, limit=3)
    )


def test_the_chapters_execute_no_fewer_checks():
    asserts, glues = rm.source_check_counts()
    assert asserts >= rm.MIN_ASSERT_LINES, (
        f"book/*.md has {asserts} assert lines, fewer than {rm.MIN_ASSERT_LINES}: fold a "
        "check, never drop it (or lower the floor with the reason in reading_metrics.py)"
    )
    assert glues >= rm.MIN_GLUE_CALLS, (
        f"book/*.md has {glues} glue calls, fewer than {rm.MIN_GLUE_CALLS}"
    )


def test_every_fold_says_what_it_holds(metrics):
    generic = {p: m.generic_folds for p, m in metrics.items() if m.generic_folds}
    assert sum(generic.values()) <= rm.MAX_GENERIC_FOLDS, (
        "folds showing myst-nb's default 'Show code cell source' (give the cell a "
        f"mystnb code_prompt_show that says what it holds): {generic}"
    )


# -- figures ----------------------------------------------------------------------------------


def test_every_figure_has_a_numbered_caption(metrics):
    missing = {p: m.uncaptioned for p, m in metrics.items()}
    assert not any(missing.values()), "figures without a numbered caption:\n" + _listing(missing)


# -- in the browser ---------------------------------------------------------------------------


# The checks in chromium (display equations at 1280 px with the folds opened, controls and
# the objectives box at 390 px) run on the loads of test_site_layout.py's
# test_page_layout_at_1280_px and test_page_layout_at_390_px, with this module's measures
# (reading_metrics.wide_equations, small_controls, objectives_problem).


# -- the measures can fail ----------------------------------------------------------------------

ARTICLE = """<article class="bd-article">
<h1>Chapter<a class="headerlink" href="#c">#</a></h1>
<h2>The network of the note</h2>
<p>Swinn and Mehmet wrote the lecture notes; the note’s sum, the notes' network.</p>
<p>Notes on a wide range of topics. A <code>note</code> about the gradient.</p>
<div class="math">\\[E = \\tfrac12 (o - t)^2 \\text{ as the lecture says}\\]</div>
<div class="cell"><div class="cell_input"><div class="highlight"><pre>x = 1
assert x == 1

glue("k", x)</pre></div></div>
<div class="cell_output"><pre>printed Swinn output
assert 1</pre></div></div>
<div class="cell tag_hide-input"><details class="hide above-input"><summary>
<p class="collapsed admonition-title">✓ Checked: the lecture's sum</p>
<p class="expanded admonition-title">Hide the lecture</p></summary>
<div class="cell_input"><pre>assert Swinn
glue("j", 2)</pre></div></details></div>
<div class="dropdown note admonition"><p class="admonition-title">For readers of Swinn</p>
<p>Swinn Swinn Swinn</p><pre>assert hidden</pre></div>
<details open><summary>opened</summary><pre>assert shown</pre></details>
<figure><img src="../_images/a.png"><figcaption><p><span class="caption-number">Fig. 1
</span>A caption.</p></figcaption></figure>
<img src="../_images/b.png">
<figure><img src="../_images/c.png"><figcaption><p>Unnumbered.</p></figcaption></figure>
<div class="animation"><img id="_anim_img"></div>
<script>var Swinn = 1;</script>
</article>"""


def test_the_static_measures_count_what_a_reader_sees():
    m = rm.measure_article("test", rm.article_of(ARTICLE))
    # Visible: heading "the note", Swinn, Mehmet, lecture notes, the note’s, the notes',
    # the lecture (maths), "Swinn" in the output, the receipt's "the lecture's", the
    # dropdown's title. Folded ones (the cell, the dropdown's body, "Hide the lecture") and
    # the script are not; "Notes on" and `note` are not mentions.
    assert len(m.mentions) == 10, m.mentions
    assert m.note_headings == ["The network of the note"]
    # x = 1, assert x == 1, glue("k", x), assert shown: 4 lines (blank, output, folded: no).
    assert m.code_lines == 4
    assert m.glue_lines == ['glue("k", x)']
    assert m.assert_lines == ["assert x == 1", "assert shown"]
    # Words: Chapter, The network of the note (5), the two paragraphs (11 + 9), "opened"
    # is a summary and the caption "A caption." (2) counts; "Fig." too (a word with a
    # letter); "1" does not; "Unnumbered." does.
    prose = "Chapter The network of the note " + (
        "Swinn and Mehmet wrote the lecture notes; the note’s sum, the notes' network. "
        "Notes on a wide range of topics. A note about the gradient. "
        "For readers of Swinn Fig. A caption. Unnumbered."
    )
    assert m.words == len(prose.split()), (m.words, len(prose.split()))
    assert m.figures == 4
    assert m.uncaptioned == [
        "image b.png",
        "image c.png",
        "an animation (after the heading 'The network of the note')",
    ]
    assert m.code_per_100_words == pytest.approx(100 * 4 / m.words)
    assert m.generic_folds == 0  # the one fold says "✓ Checked: the lecture's sum"
    generic = ARTICLE.replace("✓ Checked: the lecture's sum", "Show code cell source")
    assert rm.measure_article("test", rm.article_of(generic)).generic_folds == 1


PRE_ARTICLE = """<article><p>the lecture &amp; <code>x</code></p>
<div class="highlight"><pre><span></span><span class="n">x</span> <span class="o">=</span>
<span class="s2">&quot;the notes&#39; sum&quot;</span>  <!-- a comment -->
<a href="#x">link</a><span class="c1"># Swinn &lt;pre&gt;</span>
</pre></div>
<script>var s = "<pre>not a block";</script>
<PRE class="x">upper <b>case</b></PRE><p>after</p></article>"""


def _texts(article) -> list[str]:
    from bs4 import NavigableString

    return [str(t) for t in article.find_all(string=True) if type(t) is NavigableString]


@pytest.mark.parametrize("page_name", ["PRE_ARTICLE", "book/feedforward", "book/errata"])
def test_the_parsing_shortcut_reads_what_the_whole_parse_reads(page_name, built_site: Path):
    r"""``article_of`` parses each ``<pre>`` empty and gives it its texts: the measures, the
    text of every ``<pre>`` and all the text in order are those of the article parsed whole."""
    if page_name == "PRE_ARTICLE":
        html = PRE_ARTICLE
    else:
        html = (built_site / f"{page_name}.html").read_text(encoding="utf-8")
    fast, whole = rm.article_of(html), rm.article_of_whole(html)
    assert rm.measure_article(page_name, fast) == rm.measure_article(page_name, whole)
    assert [p.get_text() for p in fast.find_all("pre")] == [
        p.get_text() for p in whole.find_all("pre")
    ]
    assert "".join(_texts(fast)) == "".join(_texts(whole))
    if page_name == "PRE_ARTICLE":
        m = rm.measure_article(page_name, fast)
        assert m.code_lines == 4 and len(m.mentions) == 3, m
        assert "# Swinn <pre>" in fast.find("pre").get_text()


def test_the_source_counts_count_assert_lines_and_glue_calls(tmp_path: Path):
    (tmp_path / "a.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n"
        "# A\n\nassert in prose is not counted\n\n"
        "```{code-cell} ipython3\nassert 1 == 1\n# assert in a comment\n"
        "np.testing.assert_allclose(1, 1)\nglue('a', 1); glue('b', 2)\nx = 1\n```\n",
        encoding="utf-8",
    )
    assert rm.source_check_counts(tmp_path) == (2, 2)


@pytest.mark.browser
def test_a_wide_equation_is_caught(site_server, offline_page):
    page = offline_page.page
    page.set_viewport_size(rm.LAPTOP)
    terms = " + ".join(f"\\frac{{\\partial E}}{{\\partial w_{{{k}}}}}" for k in range(40))
    page.set_content(
        f'<base href="{site_server}book/"><article style="width: 600px">'
        '<div class="math">\\[E = o - t\\]</div>'
        f'<div class="math">\\[{terms}\\]</div>'
        "<p>inline \\(x + y\\)</p></article>"
        f'<script src="{site_server}vendor/mathjax/tex-mml-chtml.js"></script>'
    )
    page.evaluate(MATHJAX_READY)
    wide = rm.wide_equations(page)
    assert len(wide) == 1, wide
    assert wide[0]["column"] == pytest.approx(600, abs=1) and wide[0]["width"] > 1000, wide


CONTROLS_PAGE = """<article class="bd-article">
<button>Check</button>
<input type="range" min="0" max="4">
<select><option>a</option></select>
<input type="checkbox">
<div class="widget-subarea"><button class="jupyter-button">Step</button>
<div class="noUi-target"><div class="noUi-handle"
style="width: var(--jp-widgets-slider-handle-size, 16px);
height: var(--jp-widgets-slider-handle-size, 16px)"></div>
</div></div>
<button class="copybtn">copy</button>
</article>"""


@pytest.mark.browser
def test_small_controls_are_caught_and_the_css_enlarges_them(offline_page):
    page = offline_page.page
    page.set_viewport_size(rm.PHONE)
    page.set_content(CONTROLS_PAGE)
    problems = rm.small_controls(page.evaluate(rm.CONTROLS))
    kinds = sorted(p.split(" '")[0] for p in problems)
    assert kinds == [
        "button",
        "button",
        "input checkbox",
        "input range",
        "select",
        "slider handle",
    ], problems
    page.add_style_tag(content=CSS.read_text(encoding="utf-8"))
    assert rm.small_controls(page.evaluate(rm.CONTROLS)) == []
    page.set_viewport_size(rm.LAPTOP)  # on a laptop the controls keep their own size
    assert len(rm.small_controls(page.evaluate(rm.CONTROLS))) == len(problems)


OBJECTIVES_PAGE = """<article class="bd-article"><section><h1>Chapter</h1>
<div class="tip admonition"><p class="admonition-title">What you will learn</p>
<ul>{items}</ul></div><p>The text.</p></section></article>"""


@pytest.mark.browser
def test_objectives_filling_the_screen_are_caught_and_folded_on_a_phone(offline_page):
    page = offline_page.page
    page.set_viewport_size(rm.PHONE)
    html = OBJECTIVES_PAGE.format(items="<li><p>an objective</p></li>" * 30)
    page.set_content(html)
    problem = rm.objectives_problem(page.evaluate(rm.OBJECTIVES, rm.OBJECTIVES_TITLE), 844)
    assert problem is not None and "down the page, below 506 px" in problem, problem
    page.add_style_tag(content=CSS.read_text(encoding="utf-8"))
    page.add_script_tag(content=OBJECTIVES_JS.read_text(encoding="utf-8"))
    page.evaluate("() => bookFoldObjectives()")
    state = page.evaluate(rm.OBJECTIVES, rm.OBJECTIVES_TITLE)
    assert state["folded"] and state["bottom"] < 200, state
    page.click("text=What you will learn")  # the reader opens it
    state = page.evaluate(rm.OBJECTIVES, rm.OBJECTIVES_TITLE)
    assert not state["folded"] and state["bottom"] > 844, state
    page.set_viewport_size(rm.LAPTOP)  # on a laptop it is never folded
    page.set_content(html)
    page.add_script_tag(content=OBJECTIVES_JS.read_text(encoding="utf-8"))
    page.evaluate("() => bookFoldObjectives()")
    assert not page.evaluate(rm.OBJECTIVES, rm.OBJECTIVES_TITLE)["folded"]
