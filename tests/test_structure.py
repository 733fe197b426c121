"""The pipeline runs one way. The notebooks are ordered by their file names (00_core, 00a_data, 01_augment, ..., 08_bench),
and each exports one module (its `#| default_exp`). A module imports only modules of earlier notebooks; every code
cell of a notebook (its tests included) imports only its own module and earlier ones; and no two modules import
each other, directly or through others. Imports are read with `ast`, so an import inside a function counts too."""
import ast, json, re
import pytest
from semiperturb.core import project_root

ROOT = project_root()
PKG = 'semiperturb'

def notebooks() -> list:
    "(notebook, module or None) for every notebook of nbs/, in pipeline (file-name) order."
    out = []
    for nb in sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_')):
        srcs = [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
        m = next((m.group(1) for s in srcs if (m := re.search(r'^#\|\s*default_exp\s+(\S+)', s, re.M))), None)
        out.append((nb, m))
    return out

NOTEBOOKS = notebooks()
RANK = {m: i for i, (_, m) in enumerate(NOTEBOOKS) if m}          # module -> its notebook's position

def imports(src:str, module:str=None) -> set:
    "The semiperturb modules that code `src` imports (relative imports resolved as from inside `semiperturb.module`)."
    tree = ast.parse(src)
    found = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            found |= {a.name.split('.')[1] for a in n.names if a.name.startswith(PKG + '.')}
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ''
            if n.level: base = PKG + ('.' + base if base else '')      # `from .x import y` inside the package
            if base == PKG: found |= {a.name for a in n.names if a.name in RANK}   # `from semiperturb import x`
            elif base.startswith(PKG + '.'): found.add(base.split('.')[1])
    return found - {module}

def cell_source(src:str) -> str:
    "A notebook cell's code without IPython's `%magic` and `!shell` lines, which are not Python."
    return '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines())

def later(found:set, module:str) -> list:
    "The modules in `found` that come from a later notebook than `module`'s."
    return sorted(m for m in found if RANK.get(m, -1) > RANK[module])

def test_every_module_has_a_notebook():
    mods = {p.stem for p in (ROOT/PKG).glob('*.py') if not p.stem.startswith('_')}
    assert mods == set(RANK), f'modules without a notebook: {mods - set(RANK)}; notebooks without a module file: {set(RANK) - mods}'

def test_the_checker_sees_every_form_of_import():
    assert imports('from semiperturb.cli import main', 'fixmatch') == {'cli'}
    assert imports('from .fixmatch import fit\nimport semiperturb.bench as b\nfrom semiperturb import data', 'cli') == {'fixmatch', 'bench', 'data'}
    assert imports('def f():\n    from .experiments import run_study', 'fixmatch') == {'experiments'}  # inside a function too
    assert imports('import semiperturb, torch\nfrom . import _modidx') == set()
    assert later({'cli', 'data'}, 'fixmatch') == ['cli']

@pytest.mark.parametrize('module', sorted(RANK, key=RANK.get))
def test_module_imports_only_earlier_modules(module):
    found = imports((ROOT/PKG/f'{module}.py').read_text(), module)
    assert not later(found, module), f'{PKG}/{module}.py imports {later(found, module)}, from notebooks after its own'

@pytest.mark.parametrize('nb,module', [(nb, m) for nb, m in NOTEBOOKS if m], ids=[nb.stem for nb, m in NOTEBOOKS if m])
def test_notebook_imports_only_earlier_modules(nb, module):
    bad = []
    for i, c in enumerate(json.loads(nb.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        try: found = imports(cell_source(''.join(c['source'])), module)
        except SyntaxError as e: pytest.fail(f'{nb.name}, cell {i}: not Python ({e})')
        bad += [f'cell {i} imports semiperturb.{m}' for m in later(found, module)]
    assert not bad, f'{nb.name} (module {module}) imports modules of later notebooks: ' + '; '.join(bad)

def test_no_import_cycles():
    graph = {m: imports((ROOT/PKG/f'{m}.py').read_text(), m) for m in RANK}
    def cycle_from(m, path):
        if m in path: return path[path.index(m):] + [m]
        for n in sorted(graph.get(m, ())):
            if c := cycle_from(n, path + [m]): return c
    cycles = [c for m in graph if (c := cycle_from(m, []))]
    assert not cycles, 'modules import each other: ' + '; '.join(' -> '.join(c) for c in cycles)
