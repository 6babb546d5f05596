"""Imports flow one way: backend -> autograd/tensor -> ops -> nn -> optim, data -> train, io, viz.

Checked by reading the source (ast), so a backwards import fails here even when
it happens inside a function. No two modules import each other, directly or
around a longer loop (lazy imports count too), except the one exemption listed in
CYCLE_EXEMPT. `import groundup` must stay light: no torch (the test oracle only),
no matplotlib, no tqdm.
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
    "backend": 0, "blas": 0, "threads": 0, "allocator": 0,
    "autograd": 1, "tensor": 1, "random": 1, "creation": 1, "gradcheck": 1,
    "dtypes": 1, "cuda": 1, "mps": 1, "accelerator": 1, "backends": 1,  # device/dtype surface
    "ops": 2, "kernels": 2,
    "distributed": 2,  # process group, collectives on Tensors; nn.parallel and train use it
    "nn": 3,
    "optim": 4, "data": 4, "utils": 4,  # utils.data is an alias of data
    "train": 5, "io": 5, "serialization": 5, "viz": 5, "models": 5,
    "cli": 6, "commands": 6, "cli_common": 6, "__main__": 7,
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
    # compiled kernels work on raw arrays: ops may call them, never the other way
    ("kernels", set(RANK) - {"backend", "blas", "threads", "kernels"}),
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


# The module-level import edges a cycle may use, each with its reason. Tensor's methods call
# ops by name (x.sum() -> ops.sum) while every op builds Tensors: tensor.py imports ops at its
# end, once Tensor exists, so the loop tensor -> ops -> tensor is closed on purpose.
CYCLE_EXEMPT = {
    ("groundup.tensor", "groundup.ops"): "Tensor methods call ops; tensor.py imports ops last",
}


def _modules():
    """{dotted module name: (path, rel, is_package)} for every module of the package."""
    out = {}
    for path, rel in _source_files():
        module, is_package = _module_name(rel)
        out[module] = (path, rel, is_package)
    return out


def _import_edges(module, path, is_package, known):
    """[(imported module, line)] for every import in the file, lazy ones included.

    `import a.b` and `from a.b import name` lead to module a.b; `name` instead when it
    is a submodule (`from . import x`, `from .pkg import sub`), so a package's
    __init__ is a target only for names defined (or re-exported) there.
    """
    package = module if is_package else module.rpartition(".")[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    edges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            edges += [(a.name, node.lineno) for a in node.names if a.name in known]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            for a in node.names:
                sub = f"{prefix}.{a.name}"
                target = sub if sub in known else prefix
                if target in known:
                    edges.append((target, node.lineno))
    return edges


def _import_graph(exempt=CYCLE_EXEMPT):
    """{module: {imported module: (file, line)}}, without the `exempt` edges."""
    known = _modules()
    graph = {}
    for module, (path, rel, is_package) in known.items():
        edges = {}
        for target, line in _import_edges(module, path, is_package, known):
            if target != module and (module, target) not in exempt:
                edges.setdefault(target, (rel, line))
        graph[module] = edges
    return graph


def _strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of `graph` ({node: {next: _}})."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def _one_cycle(graph, component):
    """A shortest loop through the component's first module, as "a (file:line) -> b ..."."""
    members, start = set(component), component[0]
    previous, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    path = [v]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    path.reverse()
                    steps = [f"{a} ({graph[a][b][0]}:{graph[a][b][1]})"
                             for a, b in zip(path, path[1:] + [start])]
                    return " -> ".join(steps + [start])
                if w in members and w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return ""


def import_cycles():
    """[(modules of one cycle, one loop through them)] for every import cycle in the package."""
    graph = _import_graph()
    return [(c, _one_cycle(graph, c)) for c in _strongly_connected(graph) if len(c) > 1]


def test_no_import_cycles():
    cycles = import_cycles()
    report = [f"{', '.join(c)}\n    e.g. {loop}" for c, loop in cycles]
    assert not cycles, "import cycles (modules that import each other, lazily or not):\n" + (
        "\n".join(report))


def test_cycle_finder_sees_lazy_and_package_imports(tmp_path):
    graph = {"a": {"b": 0}, "b": {"c": 0}, "c": {"a": 0}, "d": {"a": 0}, "e": {}}
    assert _strongly_connected(graph)[0] == ["a", "b", "c"]
    assert [c for c in _strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]
    known = {"groundup.pkg": None, "groundup.pkg.sub": None, "groundup.pkg.mod": None}
    src = tmp_path / "mod.py"
    src.write_text("from . import sub\nfrom . import helper\n"
                   "def f():\n    from .sub import thing\n")
    edges = _import_edges("groundup.pkg.mod", str(src), False, known)
    assert edges == [("groundup.pkg.sub", 1), ("groundup.pkg", 2), ("groundup.pkg.sub", 4)]


@pytest.mark.parametrize("edge", sorted(CYCLE_EXEMPT))
def test_cycle_exemptions_are_still_needed(edge):
    """An exempt import must still exist and still close a loop; otherwise drop it."""
    graph = _import_graph(exempt=set())
    src, dst = edge
    assert dst in graph[src], f"{src} no longer imports {dst}: remove it from CYCLE_EXEMPT"
    component = next(c for c in _strongly_connected(graph) if src in c)
    assert dst in component, f"{src} -> {dst} closes no loop now: remove it from CYCLE_EXEMPT"


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
        "heavy = [m for m in ('torch', 'matplotlib', 'tqdm', 'scipy', 'numba')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"`import groundup` imported: {out.stdout.strip()}"
    assert out.stderr == "", f"`import groundup` wrote to stderr: {out.stderr}"
