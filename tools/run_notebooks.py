"""Run notebooks in place, so that their stored outputs (what the docs site and GitHub show) match the code.

    python tools/run_notebooks.py nbs/01_augment.ipynb [more.ipynb ...] [--flags "notest slow"]

Each notebook runs top to bottom in a fresh `python3` kernel from nbs/, like a reader's JupyterLab. Cells flagged
with a `tst_flags` entry of settings.ini (notest slow cuda) are skipped unless named in --flags, and so are
`#| eval: false` cells and the final `nbdev_export()`; a skipped cell keeps the outputs it had. The notebook is
then cleaned with `nbdev_clean`. A cell that fails stops the run and leaves the notebook untouched."""
import argparse, copy, os, subprocess, sys
from pathlib import Path
from semiperturb.core import project_root
try:
    from tools.nbcells import skipped, tst_flags
except ModuleNotFoundError:  # run as a script: tools/ is on sys.path, the checkout may not be
    from nbcells import skipped, tst_flags

ROOT = project_root()

def run_in_place(nb_path, flags=(), timeout=3600):
    "Execute notebook `nb_path` (skipping the cells a test run skips, except those flagged with `flags`) and save its outputs."
    import nbformat
    from nbclient import NotebookClient
    skip = set(tst_flags(ROOT)) - set(flags)
    nb_path = Path(nb_path).resolve()
    nb = nbformat.read(nb_path, as_version=4)
    run = copy.deepcopy(nb)
    keep = [i for i, c in enumerate(nb.cells) if c.cell_type != 'code' or not skipped(c.source, skip)]
    run.cells = [run.cells[i] for i in keep]
    env_tmp = os.environ.get('TMPDIR')
    NotebookClient(run, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(nb_path.parent)}}).execute()
    for i, c in zip(keep, run.cells):
        if c.cell_type == 'code': nb.cells[i].outputs, nb.cells[i].execution_count = c.outputs, c.execution_count
    nbformat.write(nb, nb_path)
    exe = Path(sys.executable).parent/'nbdev_clean'
    subprocess.run([str(exe) if exe.exists() else 'nbdev_clean', '--fname', str(nb_path)], check=True, cwd=ROOT)
    return nb_path

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='+'); p.add_argument('--flags', default='', help='flags whose cells run too, e.g. "notest slow"')
    a = p.parse_args()
    for nb in a.notebooks: print(f'ran {run_in_place(nb, a.flags.split())}')
