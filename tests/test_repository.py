"""The set-up files agree with each other."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _pins(text):
    return dict(re.findall(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([^\s#]+)", text, flags=re.M))


def test_environment_yml_has_the_same_pins_as_requirements():
    requirements = _pins((ROOT / "requirements.txt").read_text())
    environment = _pins((ROOT / "environment.yml").read_text())
    assert requirements and requirements == environment


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_notebooks_link_to_their_neighbours_and_to_nothing_missing():
    import json

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    names = [path.name for path in notebooks]
    link = re.compile(r"\]\(([0-9]{2}_[a-z_0-9]+\.ipynb)\)")
    for i, path in enumerate(notebooks):
        cells = json.loads(path.read_text())["cells"]
        markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        for where in (markdown[0], markdown[-1]):  # 上一节 / 下一节 at the top and the bottom
            found = set(link.findall(where))
            assert i == 0 or names[i - 1] in found, (path.name, "previous")
            assert i == len(names) - 1 or names[i + 1] in found, (path.name, "next")
        for target in link.findall("".join(markdown)):
            assert target in names, (path.name, target)
    overview = (ROOT / "notebooks" / "00_overview.ipynb").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in names[1:]:
        assert name in overview, f"the overview does not link {name}"
        assert f"notebooks/{name}" in readme, f"the README does not link {name}"
