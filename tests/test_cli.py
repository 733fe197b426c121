"End-to-end tests of the installed `semiperturb` console script."
import shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = Path(sys.executable).parent/'semiperturb'
if not EXE.exists(): EXE = shutil.which('semiperturb')

def sp(*args, cwd=None, env=None):
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=900)

def test_console_script_is_installed(): assert EXE and Path(EXE).exists()

def test_help_lists_commands():
    r = sp('--help')
    assert r.returncode == 0 and 'data' in r.stdout

def test_data_split():
    r = sp('data', '--dataset', 'fashion-mnist', '--labels', '250', '--seed', '0')
    assert r.returncode == 0, r.stderr
    assert 'labeled    250' in r.stdout and 'test       10000' in r.stdout
    assert r.stdout.count(' 25\n') == 10

@pytest.mark.parametrize('args,msg', [
    (('--labels', '45'), 'multiple of the 10 classes'),
    (('--dataset', 'nonesuch'), 'unknown dataset'),
])
def test_data_errors_are_one_line(args, msg):
    r = sp('data', *args)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_corrupt_data_dir(tmp_path):
    for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        (tmp_path/f'{stem}.gz').write_bytes(b'not gzip at all')
    r = sp('data', '--data-dir', tmp_path)
    assert r.returncode == 2 and 'cannot read' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_folder_dataset(tmp_path):
    from semiperturb.data import make_folder_dataset
    root = make_folder_dataset(tmp_path/'pets', n_labeled=4)
    r = sp('data', '--dataset', root, '--labels', '4')
    assert r.returncode == 0, r.stderr
    assert 'unlabeled  13' in r.stdout and 'cat          2' in r.stdout
