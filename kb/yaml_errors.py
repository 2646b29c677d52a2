"""Where a YAML syntax error really is, for `file:line:` messages (config.yml and front matter)."""

from __future__ import annotations

import yaml


def locate(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The 0-based line to blame and a one-line description.

    PyYAML's problem mark is where the parser noticed, often a line or more after the mistake
    (an unclosed quote is noticed at the end of the file, a key without its colon on the next
    line). While scanning a token, the context mark is where that token began: blame it.
    """
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    if context.startswith("while scanning") and exc.context_mark is not None:
        return exc.context_mark.line, f"{problem} ({context})"
    if exc.problem_mark is not None:
        return exc.problem_mark.line, problem
    return None, problem
