"The repository is in sync (what nbdev's CI checks), and the checks catch drift when there is some."
import json, shutil
from pathlib import Path
import pytest
from tools.nbsync import ROOT, _copy, clean_diff, export_diff, readme_diff, render_readme

def test_library_is_exported(): assert export_diff() == []
def test_notebooks_are_clean(): assert clean_diff() == []
def test_readme_is_rendered(): assert readme_diff() == []

@pytest.fixture
def copy(tmp_path):
    _copy(ROOT, tmp_path); shutil.copy(ROOT/'README.md', tmp_path)
    return tmp_path

def test_export_drift_is_caught(copy):
    (copy/'semiperturb'/'data.py').write_text((copy/'semiperturb'/'data.py').read_text() + '\nx = 1\n')
    assert any('data.py' in p for p in export_diff(copy))

def test_clean_drift_is_caught(copy):
    nb = copy/'nbs'/'00a_data.ipynb'
    d = json.loads(nb.read_text()); d['cells'][0]['metadata']['scrolled'] = True; d['metadata']['widgets'] = {}
    nb.write_text(json.dumps(d))
    assert clean_diff(copy) == ['nbs/00a_data.ipynb is not clean: run `nbdev_clean`']

def test_readme_drift_is_caught(copy):
    nb = copy/'nbs'/'index.ipynb'
    d = json.loads(nb.read_text()); d['cells'].append({'cell_type': 'markdown', 'metadata': {}, 'source': ['New text.']})
    nb.write_text(json.dumps(d))
    assert readme_diff(copy) and 'New text.' in render_readme(nb)

def test_readme_rendering():
    text = render_readme()
    assert 'make test' in text and '#|' not in text and '#| ' not in text
