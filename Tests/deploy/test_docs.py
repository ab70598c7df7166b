"""The documents: README.md stays a front door, and every relative link in it and in docs/
(files, and #anchors as GitHub makes them from headings) leads somewhere."""
import functools
import glob
import os
import re
import unicodedata
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRONT_DOOR_LIMIT = 12 * 1024


def documents():
    return [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))


def prose_lines(text, keep_inline_code=False):
    """The lines outside fenced code blocks and indented code: links and headings inside code
    are not links or headings. Inline code is removed unless kept (a heading's slug has its text)."""
    fence = None
    for line in text.split("\n"):
        marker = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            continue
        if line.startswith("    ") or line.startswith("\t"):
            continue
        yield line if keep_inline_code else re.sub(r"(`+)(?:(?!\1).)+?\1", "", line)


def slug(heading):
    """GitHub's anchor for a heading: its text without markup, lower case, punctuation other than
    `-` and `_` dropped, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


@functools.cache
def anchors(path):
    """Every anchor of a Markdown file, numbered as GitHub numbers repeated headings."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    seen = {}
    result = set()
    for line in prose_lines(text, keep_inline_code=True):
        match = re.match(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(path):
    with open(path, encoding="utf-8") as file:
        text = file.read()
    for number, line in enumerate(prose_lines(text), 1):
        for target in re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
            yield number, target


def broken_links(path, root=ROOT):
    problems = []
    for number, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:: not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        destination = os.path.normpath(os.path.join(os.path.dirname(path), urllib.parse.unquote(file_part))) if file_part else path
        where = f"{os.path.relpath(path, root)}: ({target})"
        if not destination.startswith(root + os.sep):
            problems.append(f"{where} leaves the repository")
        elif not os.path.exists(destination):
            problems.append(f"{where}: no such file")
        elif anchor:
            if not destination.endswith(".md"):
                problems.append(f"{where}: an anchor into a file that is not Markdown")
            elif urllib.parse.unquote(anchor).lower() not in anchors(destination):
                problems.append(f"{where}: no heading makes #{anchor}")
    return problems


def test_every_relative_link_and_anchor_resolves():
    problems = [problem for path in documents() for problem in broken_links(path)]
    assert not problems, "\n".join(problems)


def test_the_link_check_finds_broken_links(tmp_path):
    """The checker itself: a page with a missing file, a missing anchor and a good link."""
    (tmp_path / "other.md").write_text("# A `Router` page\n\n## Set up: step 1\n## Set up: step 1\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-router-page) [ok](other.md#set-up-step-1-1) [x](missing.md) "
                    "[y](other.md#nowhere)\n\n    [code](ignored.md)\n")
    problems = broken_links(str(page), root=str(tmp_path))
    assert len(problems) == 2 and "missing.md" in problems[0] and "#nowhere" in problems[1], problems


def test_the_readme_is_a_front_door():
    size = os.path.getsize(os.path.join(ROOT, "README.md"))
    assert size <= FRONT_DOOR_LIMIT, f"README.md is {size} bytes: move reference material to docs/"


def test_docker_run_with_an_env_file_listens_beyond_loopback():
    """.env.example keeps HOST=127.0.0.1 for scripts/start; given to `docker run --env-file` it
    overrides the image's HOST=0.0.0.0, so every such command in the documents sets HOST after it."""
    commands = []
    for path in documents():
        with open(path, encoding="utf-8") as file:
            for line in file:
                if line.strip().startswith("docker run") and "--env-file" in line:
                    commands.append(line)
                    after = line.split("--env-file", 1)[1]
                    assert "HOST=0.0.0.0" in after, f"{os.path.relpath(path, ROOT)}: {line.strip()}"
    assert commands, "the documents show how to run the image with an env file"
    with open(os.path.join(ROOT, ".env.example"), encoding="utf-8") as file:
        example = file.read()
    assert re.search(r"^HOST=127\.0\.0\.1$", example, re.M)
    comment = example[:example.index("\nHOST=")]
    assert "--env-file" in comment and "HOST=0.0.0.0" in comment
