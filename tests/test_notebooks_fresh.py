"""Each notebook opens as it should in JupyterLab and in Colab: a valid notebook, an "Open in Colab" badge pointing
at itself, and the hidden cell that installs semiperturb when it runs in Colab. (Running the notebooks is
tests/test_notebooks.py's job, through nbdev's machinery; here each one also runs top to bottom in a fresh
Jupyter kernel, as a reader running it in JupyterLab would, minus the cells flagged as slow, cuda or notest.)"""
import json, subprocess, sys
from configparser import ConfigParser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))
_cp = ConfigParser(); _cp.read(ROOT/'settings.ini'); CFG = _cp['DEFAULT']

def _cells(nb): return [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text())['cells']]

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

def _runnable(nb, skip):
    "A copy of notebook `nb` without the cells a CPU test run skips (flags in `skip`, `eval: false`)."
    import nbformat
    from nbsync import _directives
    d = nbformat.read(nb, as_version=4)
    def keep(c):
        if c.cell_type != 'code': return True
        dirs = _directives(c.source)
        return not (set(dirs) & skip) and dirs.get('eval', '').lower() != 'false' and 'nbdev_export(' not in c.source
    d.cells = [c for c in d.cells if keep(c)]
    return d

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_in_fresh_kernel(nb):
    "The notebook runs top to bottom in a fresh `python3` Jupyter kernel (what JupyterLab starts)."
    from nbclient import NotebookClient
    d = _runnable(nb, set(CFG['tst_flags'].split()))
    NotebookClient(d, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(nb.parent)}}).execute()
