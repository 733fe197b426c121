"""The checks nbdev's own CI makes, offline: notebooks are clean, the library is exported, README.md is rendered.

`python tools/nbsync.py readme` writes README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which cannot
be installed offline); `python tools/nbsync.py check` prints any drift and exits 1 if there is some."""
import json, os, shutil, subprocess, sys, tempfile
from pathlib import Path
from semiperturb.core import project_root
try:
    from tools.nbcells import code, directives
except ModuleNotFoundError:  # run as a script: tools/ is on sys.path, the checkout may not be
    from nbcells import code, directives

ROOT = project_root()

def _output_md(o):
    if o.get('output_type') == 'stream': return '```\n' + ''.join(o['text']).rstrip() + '\n```'
    data = o.get('data', {})
    if 'text/markdown' in data: return ''.join(data['text/markdown']).strip()
    if 'image/png' in data: return ''  # figures in README.md are files under images/, linked from markdown cells
    if 'text/plain' in data: return '```\n' + ''.join(data['text/plain']).rstrip() + '\n```'
    return ''

def render_readme(nb_path=None) -> str:
    "README.md's text, rendered from `index.ipynb` the way nbdev_readme would, without Quarto."
    nb = json.loads(Path(nb_path or ROOT/'nbs'/'index.ipynb').read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            parts.append(src.strip()); continue
        if c['cell_type'] != 'code': continue
        d = directives(src)
        if 'hide' in d or 'export' in d or 'exporti' in d: continue
        if d.get('echo') != 'false' and code(src).strip():
            parts.append('```python\n' + code(src).strip() + '\n```')
        if d.get('output') != 'false': parts += [_output_md(o) for o in c.get('outputs', [])]
    text = '\n\n'.join(p for p in parts if p)
    text = text.replace('](../images/', '](images/').replace('src="../images/', 'src="images/')
    return '<!-- Do not edit: generated from nbs/index.ipynb by `make readme` -->\n\n' + text.strip() + '\n'

def readme_diff(root=ROOT):
    "Empty if README.md matches what index.ipynb renders, else a one-item list naming the drift."
    root = Path(root)
    ok = (root/'README.md').exists() and (root/'README.md').read_text() == render_readme(root/'nbs'/'index.ipynb')
    return [] if ok else ['README.md is stale: run `make readme`']

def _copy(root, tmp):
    for name in ('settings.ini', 'nbs', 'semiperturb'):
        src = Path(root)/name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, Path(tmp)/name)

def _changed(a, b, pattern):
    fa = {p.relative_to(a): p.read_bytes() for p in Path(a).glob(pattern)}
    fb = {p.relative_to(b): p.read_bytes() for p in Path(b).glob(pattern)}
    return sorted(str(k) for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))

def _nbdev(cmd, cwd):
    exe = Path(sys.executable).parent/cmd
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}  # nbdev_export does nothing while IN_TEST is set
    r = subprocess.run([str(exe) if exe.exists() else cmd], cwd=cwd, capture_output=True, text=True, env=env)
    if r.returncode: raise RuntimeError(f'{cmd} failed in {cwd}:\n{r.stdout}\n{r.stderr}')

def export_diff(root=ROOT):
    "Library files that `nbdev_export` would change (run on a copy of `root`)."
    with tempfile.TemporaryDirectory() as tmp:
        _copy(root, tmp); _nbdev('nbdev_export', tmp)
        return [f'semiperturb/{p} is out of sync with the notebooks: run `nbdev_export`'
                for p in _changed(Path(root)/'semiperturb', Path(tmp)/'semiperturb', '**/*.py')]

def clean_diff(root=ROOT):
    "Notebooks that `nbdev_clean` would change (run on a copy of `root`)."
    with tempfile.TemporaryDirectory() as tmp:
        _copy(root, tmp); _nbdev('nbdev_clean', tmp)
        return [f'nbs/{p} is not clean: run `nbdev_clean`' for p in _changed(Path(root)/'nbs', Path(tmp)/'nbs', '*.ipynb')]

if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else 'check'
    if cmd == 'readme': (ROOT/'README.md').write_text(render_readme()); print('wrote README.md')
    elif cmd == 'check':
        problems = readme_diff() + export_diff() + clean_diff()
        print('\n'.join(problems) or 'notebooks, library and README are in sync')
        sys.exit(1 if problems else 0)
    else: sys.exit(f'usage: python tools/nbsync.py [readme|check]')
