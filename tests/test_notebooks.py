"""Each notebook in nbs/ is one test case, run once, top to bottom, in a fresh `python3` Jupyter kernel (what JupyterLab
and Colab start), with nbdev's test semantics: cells flagged with a `tst_flags` entry of settings.ini (`notest slow
cuda`) or `#| eval: false` are skipped, as `nbdev_test` skips them, and `nbdev_export()` cells do not run. Set
SEMIPERTURB_TEST_FLAGS="slow cuda" to run those cells too (`nbdev_test --flags "slow cuda"` does the same).

The kernel runs in nbs/ with TMPDIR set to the test's own temporary folder, so whatever a notebook writes to a
temporary file stays inside the suite's folders. Also here: each notebook is valid for nbformat and opens with an
"Open in Colab" badge pointing at itself, followed by the hidden cell that installs semiperturb in Colab."""
import json, os, subprocess, sys
from configparser import ConfigParser
from pathlib import Path
import pytest
from semiperturb.core import project_root
from tools.nbcells import skipped, tst_flags

ROOT = project_root()
NOTEBOOKS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))
_cp = ConfigParser(); _cp.read(ROOT/'settings.ini'); CFG = _cp['DEFAULT']
SKIP = set(tst_flags(ROOT)) - set(os.environ.get('SEMIPERTURB_TEST_FLAGS', '').split())

def _cells(nb): return [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text())['cells']]

def runnable(nb, skip=SKIP):
    "A copy of notebook `nb` without the cells a test run skips (flags in `skip`, `eval: false`, `nbdev_export()`)."
    import nbformat
    d = nbformat.read(nb, as_version=4)
    d.cells = [c for c in d.cells if c.cell_type != 'code' or not skipped(c.source, skip)]
    return d

@pytest.mark.fashion_mnist
@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb, tmp_path, monkeypatch):
    "The notebook runs top to bottom in a fresh kernel, minus the cells a test run skips."
    from nbclient import NotebookClient
    monkeypatch.setenv('TMPDIR', str(tmp_path)); monkeypatch.setenv('IN_TEST', '1')
    monkeypatch.setenv('MPLBACKEND', 'agg')
    NotebookClient(runnable(nb), timeout=600, kernel_name='python3', resources={'metadata': {'path': str(nb.parent)}}).execute()

def test_skipping_follows_the_flags(tmp_path):
    "The runner drops exactly the flagged cells (a check that the notebook test can tell them apart)."
    import nbformat
    d = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in
        ('x = 1', '#| slow\nx = 2', '#| cuda\nx = 3', '#| notest\nx = 4', '#| eval: false\nx = 5', '#|hide\nx = 6')])
    nbformat.write(d, p := tmp_path/'flags.ipynb')
    assert [c.source for c in runnable(p).cells] == ['x = 1', '#|hide\nx = 6']
    assert [c.source for c in runnable(p, skip={'notest'}).cells] == ['x = 1', '#| slow\nx = 2', '#| cuda\nx = 3', '#|hide\nx = 6']

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_valid_notebook(nb):
    "nbformat (what JupyterLab and Colab read) accepts the notebook."
    import nbformat
    nbformat.validate(nbformat.read(nb, as_version=4))

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_colab_badge_and_install_cell(nb):
    "Near the top: the badge opening this very notebook in Colab, then the hidden Colab-only install cell."
    cells = _cells(nb)[:4]
    url = f"https://colab.research.google.com/github/{CFG['user']}/{CFG['repo']}/blob/{CFG['branch']}/nbs/{nb.name}"
    badge = [i for i, (t, s) in enumerate(cells) if t == 'markdown' and 'colab-badge.svg' in s]
    assert badge, f'{nb.name}: no "Open in Colab" badge in its first cells'
    assert f'({url})' in cells[badge[0]][1], f'{nb.name}: the Colab badge does not point at {url}'
    install = [s for t, s in cells[badge[0] + 1:] if t == 'code' and "'google.colab' in sys.modules" in s]
    assert install, f'{nb.name}: no Colab install cell right after the badge'
    src = install[0]
    assert src.lstrip().startswith('#| hide') or src.lstrip().startswith('#|hide'), f'{nb.name}: the Colab cell is not hidden'
    assert 'pip' in src and f"git+{CFG['git_url']}" in src, f'{nb.name}: the Colab cell does not pip install {CFG["git_url"]}'

def test_jupyterlab_available():
    "JupyterLab and a Python kernel come with the dev requirements."
    import jupyterlab, ipykernel  # noqa: F401
    jupyter = Path(sys.executable).parent/'jupyter'
    r = subprocess.run([str(jupyter) if jupyter.exists() else 'jupyter', 'lab', '--version'],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip()[:1].isdigit(), r.stderr
