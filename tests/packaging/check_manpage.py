#!/usr/bin/env python3
"""Checks that the built man page says what `blockforge --help` says.

Usage: check_manpage.py BLOCKFORGE MANPAGE

MANPAGE is the build's blockforge.1 (next to it blockforge.1.gz, which the package
ships). Every option of --help must be in the page's OPTIONS, in the same order, with
the same value name and the same description; the modes, the summary and the exit
status too; the page has no option --help lacks, and groff reads it without a warning.
Prints what differs and exits 1; exits 0 when they agree.
"""
import gzip
import re
import subprocess
import sys


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def help_sections(text):
    """(description lines, [(term, description)]) from --help."""
    lines = text.splitlines()
    try:
        start = lines.index("Options:")
    except ValueError:
        fail("--help has no 'Options:' line")
    options = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        match = re.match(r"^  (\S.*?)\s{2,}(\S.*)$", line)
        if match and not line.startswith("   "):
            term = match.group(1).replace("<", "").replace(">", "")
            options.append([term, match.group(2)])
        elif options and line.startswith("   "):
            options[-1][1] += " " + line.strip()
        else:
            fail(f"cannot read this --help line: {line!r}")
    return lines[:start], [tuple(o) for o in options], lines


def plain(roff):
    """A roff line as text: fonts dropped, escapes resolved."""
    text = re.sub(r"\\f[BIRP]", "", roff)
    return text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def man_sections(page):
    """{section: [lines]} of the roff source."""
    sections, current = {}, None
    for line in page.splitlines():
        if line.startswith(".SH "):
            current = line[4:].strip('"')
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def tagged_paragraphs(lines):
    """[(term, text)] of the .TP paragraphs in lines."""
    items = []
    for i, line in enumerate(lines):
        if line == ".TP":
            items.append((plain(lines[i + 1]), plain(lines[i + 2])))
    return items


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    blockforge, man_path = sys.argv[1], sys.argv[2]
    help_text = subprocess.run([blockforge, "--help"], capture_output=True, text=True,
                               check=True).stdout
    generated = subprocess.run([blockforge, "--man-page"], capture_output=True, text=True,
                               check=True).stdout
    with open(man_path, encoding="utf-8") as f:
        page = f.read()
    with gzip.open(man_path + ".gz", "rt", encoding="utf-8") as f:
        if f.read() != page:
            fail(f"{man_path}.gz differs from {man_path}")
    if page != generated:
        fail(f"{man_path} is not what this blockforge --man-page prints (a stale build?)")
    if "--man-page" in help_text:
        fail("--help lists the hidden --man-page option")

    head, options, help_lines = help_sections(help_text)
    sections = man_sections(page)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"):
        if name not in sections:
            fail(f"the man page has no {name} section")

    man_options = tagged_paragraphs(sections["OPTIONS"])
    if man_options != options:
        print("--help options:")
        for term, text in options:
            print(f"  {term}: {text}")
        print("man page options:")
        for term, text in man_options:
            print(f"  {term}: {text}")
        fail("the OPTIONS of the man page and of --help differ")

    # The summary, then the modes ("  blockforge --server [...]  run ...").
    summary = head[1]
    description = [plain(line) for line in sections["DESCRIPTION"]]
    if summary not in description:
        fail(f"the man page's DESCRIPTION lacks the summary {summary!r}")
    help_modes = [tuple(re.split(r"\s{2,}", line.strip(), maxsplit=1))
                  for line in head[head.index("Modes:") + 1:] if line.strip()]
    man_modes = tagged_paragraphs(sections["DESCRIPTION"])
    if man_modes != help_modes:
        fail(f"modes differ: --help {help_modes}, man page {man_modes}")
    name_line = plain(sections["NAME"][0])
    if name_line != "blockforge - " + summary.split(": ", 1)[1].rstrip("."):
        fail(f"NAME {name_line!r} does not match the summary {summary!r}")

    exit_line = [line for line in help_lines if line.startswith("Exit status: ")]
    man_exit = "Exit status: " + " ".join(plain(line) for line in sections["EXIT STATUS"])
    if exit_line != [man_exit]:
        fail(f"exit status differs: --help {exit_line}, man page {man_exit!r}")

    groff = subprocess.run(["groff", "-man", "-ww", "-z", man_path], capture_output=True,
                           text=True)
    if groff.returncode != 0 or groff.stderr:
        fail(f"groff warns about the man page: {groff.stderr}")
    print(f"OK: {len(options)} options, {len(help_modes)} modes, summary and exit status agree")


if __name__ == "__main__":
    main()
