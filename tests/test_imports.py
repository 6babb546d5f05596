"""Imports flow one way: backend -> autograd/tensor -> ops -> nn -> optim, data -> train, io, viz.

Checked by reading the source (ast), so a backwards import fails here even when
it happens inside a function. `import groundup` must stay light: no torch (the
test oracle only), no matplotlib, no tqdm.
"""

import ast
import os
import subprocess
import sys

import pytest

import groundup

PKG_DIR = os.path.dirname(groundup.__file__)

# rank of each top-level part of the package: a module may import parts of its own or a lower
# rank, never a higher one; optim and data (same rank) are independent of each other
RANK = {
    "backend": 0,
    "autograd": 1, "tensor": 1, "random": 1, "creation": 1, "gradcheck": 1,
    "ops": 2,
    "nn": 3,
    "optim": 4, "data": 4,
    "train": 5, "io": 5, "viz": 5, "models": 5,
    "cli": 6, "commands": 6, "__main__": 7,
}
INDEPENDENT = {("optim", "data"), ("data", "optim")}
# Tensor's methods call ops by name (x.sum() -> ops.sum): tensor.py imports ops at its end
ALLOWED = {("tensor", "ops")}


def _source_files():
    for root, _, files in os.walk(PKG_DIR):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, PKG_DIR)
                yield path, rel


def _module_name(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "__init__":
        return "groundup." + ".".join(parts[:-1]) if parts[:-1] else "groundup", True
    return "groundup." + ".".join(parts), False


def _imports(path, rel):
    """Absolute names of everything the file imports (module or module.name)."""
    module, is_package = _module_name(rel)
    package = module if is_package else module.rpartition(".")[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            if node.module is None:  # from . import x
                names += [(f"{prefix}.{a.name}", node.lineno) for a in node.names]
            else:
                names += [(prefix, node.lineno)]
                names += [(f"{prefix}.{a.name}", node.lineno) for a in node.names]
    return module, names


def _part(dotted):
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "groundup" else None


def test_every_part_has_a_rank():
    parts = set()
    for _, rel in _source_files():
        first = rel.split(os.sep)[0]
        if first != "__init__.py":
            parts.add(first[:-3] if first.endswith(".py") else first)
    assert parts <= set(RANK), f"add these parts to RANK: {sorted(parts - set(RANK))}"


def test_imports_flow_one_way():
    bad = []
    for path, rel in _source_files():
        module, names = _imports(path, rel)
        src = _part(module)
        if src is None:  # groundup/__init__.py re-exports everything
            continue
        for name, line in names:
            dst = _part(name)
            if dst is None or dst == src or dst not in RANK or (src, dst) in ALLOWED:
                continue
            rs, rd = RANK[src], RANK[dst]
            if rd > rs or (src, dst) in INDEPENDENT:
                bad.append(f"{rel}:{line} ({src}, rank {rs}) imports {name} ({dst}, rank {rd})")
    assert not bad, "backwards imports:\n" + "\n".join(bad)


@pytest.mark.parametrize("part,forbidden", [
    ("ops", {"nn", "optim", "train", "data", "io", "viz", "models", "cli"}),
    ("nn", {"optim", "train", "data", "io", "viz", "models", "cli"}),
    ("backend", set(RANK) - {"backend"}),
    ("autograd", set(RANK) - {"backend", "autograd"}),
])
def test_named_rules(part, forbidden):
    bad = []
    for path, rel in _source_files():
        module, names = _imports(path, rel)
        if _part(module) != part:
            continue
        bad += [f"{rel}:{line} imports {name}" for name, line in names if _part(name) in forbidden]
    assert not bad, "\n".join(bad)


def test_no_torch_and_no_pickle_in_the_package():
    bad = []
    for path, rel in _source_files():
        _, names = _imports(path, rel)
        for name, line in names:
            root = name.split(".")[0]
            if root in ("torch", "pickle", "cPickle", "dill", "cloudpickle", "scipy"):
                bad.append(f"{rel}:{line} imports {name}")
        with open(path, encoding="utf-8") as f:
            if "allow_pickle=True" in f.read():
                bad.append(f"{rel}: allow_pickle=True")
    assert not bad, "\n".join(bad)


def test_resolver_understands_relative_imports():
    path = os.path.join(PKG_DIR, "ops", "elementwise.py")
    module, names = _imports(path, os.path.join("ops", "elementwise.py"))
    assert module == "groundup.ops.elementwise"
    got = {n for n, _ in names}
    assert "groundup.autograd.Function" in got and "groundup.tensor" in got
    _, names = _imports(os.path.join(PKG_DIR, "tensor.py"), "tensor.py")
    assert "groundup.ops" in {n for n, _ in names}


def test_import_groundup_stays_light():
    code = (
        "import sys, groundup\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'tqdm', 'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"`import groundup` imported: {out.stdout.strip()}"
    assert out.stderr == "", f"`import groundup` wrote to stderr: {out.stderr}"
