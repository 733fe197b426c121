"""Each notebook in nbs/ is one test case, run by nbdev's own machinery (`nbdev.test.test_nb`).

Cells flagged with a `tst_flags` entry of settings.ini (`notest slow cuda`) are skipped, as `nbdev_test` skips them;
set SEMIPERTURB_TEST_FLAGS="slow cuda" to run them too (`nbdev_test --flags "slow cuda"` does the same)."""
import os
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb

NBS = Path(__file__).resolve().parents[1]/'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    cfg = get_config(path=NBS)
    ok, secs = run_nb(nb, skip_flags=cfg.tst_flags.split(), force_flags=os.environ.get('SEMIPERTURB_TEST_FLAGS', '').split(),
                       basepath=cfg.config_path)
    assert ok, f'{nb.name} failed (the traceback is above)'
