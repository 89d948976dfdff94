"""The README's promises: two-command quickstart, and the uniform list
generated from the code that defines the uniforms."""

import re

from conftest import ROOT
from visualizer.scenes.uniforms import ALL_UNIFORMS, markdown_table


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_quickstart_is_exactly_make_demo_and_make_test():
    section = readme().split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    assert block.split("\n")[:-1] == ["make demo", "make test"]


def test_uniform_table_in_readme_matches_the_code():
    text = readme()
    table = text.split("<!-- uniforms:start -->\n", 1)[1].split("<!-- uniforms:end -->", 1)[0]
    assert table.strip() == markdown_table().strip()
    for u in ALL_UNIFORMS:
        assert f"`{u.name}`" in table


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
