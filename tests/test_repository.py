"""The repository keeps its promises: README commands are what CI runs, the schema is documented."""
import re
from pathlib import Path

from cfnews.schemas import ARTICLES_SCHEMA, DUPLICATES_SCHEMA, REJECTED_SCHEMA, Reason

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", README, flags=re.S)


def test_readme_starts_with_install_and_demo_then_tests():
    first, second = readme_commands()[:2]
    assert "cfnews demo" in first and "pip install" in first
    assert "pytest" in second and "pip install" in second


def test_ci_runs_exactly_the_readme_test_command():
    test_command = readme_commands()[1].strip()
    ci_lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_every_column_and_reason_is_documented():
    for schema in (ARTICLES_SCHEMA, DUPLICATES_SCHEMA, REJECTED_SCHEMA):
        for name in schema.names:
            assert f"| {name} |" in README or f"`{name}`" in README, name
    for reason in Reason:
        assert f"`{reason.value}`" in README, reason.value


def test_transforms_never_import_pipeline():
    for path in (ROOT / "transforms").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (cfnews\.)?pipeline\b", source, flags=re.M), path
    for path in (ROOT / "schemas").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (cfnews\.)?(pipeline|transforms)\b", source, flags=re.M), path
