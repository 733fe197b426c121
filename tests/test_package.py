"""What `pip install` users get. A wheel has no checkout around it, so no `models/`: the committed models that the
quick paths need must travel inside the package. Build the wheel from a copy of the source (the checkout stays
clean), install it into a folder of its own, and use it from an unrelated folder: the package is the installed
one, it finds the packaged CVAE, and the quick study uses that file instead of training a CVAE first."""
import json, os, shutil, subprocess, sys, zipfile
from pathlib import Path
import pytest
from semiperturb.core import project_root

ROOT = project_root()
SOURCES = ('setup.py', 'settings.ini', 'pyproject.toml', 'MANIFEST.in', 'README.md', 'semiperturb', 'models')

def run(*args, cwd=None, env=None, timeout=300):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    assert r.returncode == 0, f'{args}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
    return r

@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    "The wheel built from a copy of the source tree, and the folder it is installed into (`pip install --target`)."
    src, dist, target = (tmp_path_factory.mktemp(n) for n in ('src', 'dist', 'site'))
    for name in SOURCES:
        (shutil.copytree if (ROOT/name).is_dir() else shutil.copy)(ROOT/name, src/name)
    run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', dist, src)
    whl = next(dist.glob('semiperturb-*.whl'))
    run(sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index', '-q', '--target', target, whl)
    return whl, target

def installed_python(target, code, cwd):
    "Run `code` with the installed package first on the path, from `cwd`, with no checkout to fall back on."
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'SEMIPERTURB_ROOT')}
    return run(sys.executable, '-c', code, cwd=cwd, env={**env, 'PYTHONPATH': str(target)})

def test_wheel_carries_the_packaged_cvae(wheel):
    from semiperturb.experiments import PACKAGED_CVAE
    names = zipfile.ZipFile(wheel[0]).namelist()
    assert f'semiperturb/assets/{PACKAGED_CVAE.name}' in names, names
    assert 'semiperturb/assets/encoder-fashion-mnist.pt' in names, names    # the pre-trained columns' encoder (06_experiments)
    assert not any(n.startswith(('models/', 'nbs/', 'tests/')) for n in names)

def test_installed_package_finds_its_cvae(wheel, tmp_path):
    target = wheel[1]
    r = installed_python(target, f'''
import semiperturb
from pathlib import Path
from semiperturb.experiments import PACKAGED_CVAE, study_cvae
from semiperturb.cvae import load_cvae
assert semiperturb.__file__.startswith({str(target)!r}), semiperturb.__file__
path = study_cvae('study', 'fashion-mnist', 'cpu')            # the quick study's CVAE: found, not trained
assert path == str(PACKAGED_CVAE)
first = study_cvae('study', 'fashion-mnist', 'small')         # the first generator, packaged too
assert first.startswith({str(target)!r}) and first.endswith('cvae-fashion-mnist-small.pt'), first
assert path == str(PACKAGED_CVAE) and path.startswith({str(target)!r}), path
cvae, meta = load_cvae(path, dataset='fashion-mnist')
assert not Path('study').exists()
print(meta['dataset'], meta['config']['latent_dim'])''', cwd=tmp_path)
    assert r.stdout.split()[0] == 'fashion-mnist'

@pytest.mark.fashion_mnist
def test_quick_study_runs_from_the_wheel(wheel, tmp_path):
    "The quick study's CVAE variant, cut to one step, from the installed package: it trains no CVAE and records the packaged one."
    target = wheel[1]
    r = installed_python(target, '''
from semiperturb.cli import main
main(['study', '--preset', 'quick', '--variants', 'cvae-sample', '--steps', '1', '--device', 'cpu', '--out', 'study'])''', cwd=tmp_path)
    assert 'training a small CVAE' not in r.stdout and not (tmp_path/'study'/'cvae-small').exists()
    rec = json.loads((tmp_path/'study'/'results'/'fashion-mnist_40_cvae-sample_seed0.json').read_text())
    assert rec['config']['cvae'] == str(target/'semiperturb'/'assets'/'cvae-fashion-mnist.pt')
    assert rec['environment']['git'] is None                      # installed code: the version names it, not a checkout
