"""The layers of marketplace/, checked on the source (ast): an area imports only areas below it,
and never another area's private names (`_x`).

From the bottom up:
  core (and extensions) → audit → accounts → notifications → files → providers → challenges →
  submissions → review → notices → projects → cases → search → needs → matching → meetings → auditlog → workflow → the edge.

audit, notifications and files are low-level services every area may use: they know nothing of
the areas above (files asks each owning area, through a registry, whether a user may read one of
its files). search reads every area to index it, and nothing below imports it. needs (需求征集)
sit above it: they compare a need with earlier needs and challenges through its jieba analyzer,
and turn into challenges. matching (供需对接) ranks providers with the same analyzer and follows
subscriptions; meetings (路演、对接会、大赛) link challenges. auditlog reads the recorded events back (deciding what is still
sealed), while recording them (audit) stays at the bottom. workflow
(marketplace/workflow.py) is the one place that moves a challenge across areas.

The edge — pages (views.py), the forms pages and the API share (forms.py), notification
subscribers (notifications.py, wired by the workflow), demo data, CLI commands, the API package
and the app factory — may import any area.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "marketplace"
ORDER = ["core", "extensions", "audit", "accounts", "notifications", "files", "providers", "challenges",
         "submissions", "review", "notices", "projects", "cases", "search", "needs", "matching", "meetings", "auditlog",
         "workflow"]
RANK = {name: i for i, name in enumerate(ORDER)}
RANK["extensions"] = RANK["core"]
EDGE_PACKAGES = {"api", "main"}
EDGE_MODULES = {"__init__.py", "views.py", "forms.py", "notifications.py", "demo.py", "cli.py"}
EDGE_TOP = {"__init__.py", "web.py", "cli.py", "demo.py", "admin_summary.py"}


def _area_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "marketplace" or len(parts) < 2:
        return None
    return parts[1]


def _modules(root):
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        area = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name not in EDGE_TOP else None
        edge = area is None or area in EDGE_PACKAGES or (len(rel.parts) > 1 and rel.name in EDGE_MODULES)
        yield path, rel, area, edge


def _imports(tree):
    """(imported module, [names], lineno) for every import, lazy ones inside functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


def _violations(root=ROOT):
    found = []
    for path, rel, area, edge in _modules(root):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}  # local name → area of the imported module, for `ops._private` checks
        for module, names, line in _imports(tree):
            target = _area_of(module)
            if target is None:
                continue
            if target == "marketplace" or module == "marketplace":
                continue
            if module.count(".") == 1 and names and target not in ("core", "extensions"):
                # from marketplace.review import operations as review_ops
                for name in names:
                    aliases[name] = target
            for name in names:
                if name.startswith("_") and target != area:
                    found.append(f"{rel}:{line} imports private {module}.{name}")
            if edge or area is None or target == area or target not in RANK or area not in RANK:
                continue
            if RANK[target] > RANK[area]:
                found.append(f"{rel}:{line} ({area}) imports higher {module} ({target})")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and aliases.get(node.value.id) not in (None, area)):
                found.append(f"{rel}:{node.lineno} uses private {node.value.id}.{node.attr}")
    return found


def test_no_area_imports_a_higher_one_or_a_private_name():
    assert _violations() == []


def test_the_check_sees_a_violation(tmp_path):
    # The checker itself: a low area importing a higher one, and a private name, are both caught.
    fake = tmp_path / "marketplace"
    (fake / "challenges").mkdir(parents=True)
    (fake / "challenges" / "operations.py").write_text(
        "from marketplace.review.operations import _conflicted\n"
        "from marketplace.review import operations as review_ops\n"
        "review_ops._x()\n", encoding="utf-8")
    found = _violations(fake)
    assert any("imports private marketplace.review.operations._conflicted" in f for f in found)
    assert any("imports higher marketplace.review.operations" in f for f in found)


def test_every_package_has_a_place_in_the_layers():
    # A new area left out of ORDER would escape the check above.
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - set(ORDER) - EDGE_PACKAGES == set()


@pytest.mark.parametrize("area", [a for a in ORDER if a not in ("core", "extensions", "workflow")])
def test_every_area_is_a_package_in_the_order(area):
    assert (ROOT / area).is_dir()
