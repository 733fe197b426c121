"End-to-end tests of `semiperturb pretrain` through the installed console script (tiny sizes, CPU, no downloads)."
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = Path(sys.executable).parent/'semiperturb'
if not EXE.exists(): EXE = shutil.which('semiperturb')

def sp(*args, cwd=None):
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)

def one_line_error(r, msg):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

@pytest.fixture(scope='module')
def pets(tmp_path_factory):
    from semiperturb.data import make_folder_dataset
    return make_folder_dataset(tmp_path_factory.mktemp('data')/'pets', n_labeled=4, n_unlabeled=8, n_test=4)

TINY = ('--arch', 'cnn', '--steps', '4', '--eval-every', '2', '--batch-size', '4', '--probe-bank', '8', '--probe-queries', '8',
        '--device', 'cpu', '--quiet')

@pytest.fixture(scope='module')
def run(pets, tmp_path_factory):
    "A tiny pre-training run made through the console script."
    d = tmp_path_factory.mktemp('pre')/'run'
    r = sp('pretrain', '--dataset', pets, *TINY, '--out', d)
    assert r.returncode == 0, r.stderr
    assert 'k-NN probe' in r.stdout
    return d

def test_pretrain_help():
    r = sp('pretrain', '--help')                                              # an unknown command would exit 2
    assert r.returncode == 0 and '--second-view' in r.stdout and '--preset' in r.stdout and '--resume' in r.stdout

def test_pretrain_writes_a_run(pets, run):
    import torch
    from semiperturb.data import load_dataset
    from semiperturb.models import make_model
    from semiperturb.pretrain import load_encoder
    assert sorted(p.name for p in run.iterdir()) == ['checkpoint.pt', 'config.json', 'encoder.pt', 'metrics.jsonl']
    log = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    assert [m['step'] for m in log] == [0, 2, 4] and all(0 <= m['knn_accuracy'] <= 1 for m in log)
    data = load_dataset(str(pets))
    torch.manual_seed(0)
    clf = make_model('cnn', 3, 2, data.mean, data.std)
    before = clf[1].weight.detach().clone()
    meta = load_encoder(run/'encoder.pt', clf, arch='cnn', dataset=data)
    assert (meta['kind'], meta['arch'], meta['dataset'], meta['shape'], meta['config']['steps']) == ('semiperturb-encoder', 'cnn', 'pets', [3, 8, 8], 4)
    assert not torch.equal(clf[1].weight.detach(), before)                    # the starting weights changed

def test_pretrain_refuses_to_overwrite_and_resumes(pets, run):
    before = (run/'encoder.pt').read_bytes()
    one_line_error(sp('pretrain', '--dataset', pets, *TINY, '--out', run), 'pass --resume')
    assert (run/'encoder.pt').read_bytes() == before
    r = sp('pretrain', '--dataset', pets, *TINY, '--out', run, '--resume')  # finished: nothing left to do
    assert r.returncode == 0 and 'after 4 steps' in r.stdout, r.stderr

@pytest.mark.parametrize('extra,msg', [
    (('--preset', 'huge'), 'use one of quick, cpu, full'),
    (('--arch', 'resnet50'), 'unknown architecture'),
    (('--second-view', 'cvae'), 'needs --cvae CKPT'),
])
def test_bad_options_are_one_line(pets, tmp_path, extra, msg):
    one_line_error(sp('pretrain', '--dataset', pets, *TINY, '--out', tmp_path/'r', *extra), msg)
    assert not (tmp_path/'r').exists()

def test_cvae_second_view(pets, tmp_path):
    from semiperturb.cvae import make_cvae, cvae_config, save_cvae
    cv = make_cvae((3, 8, 8), cvae_config('small', latent_dim=4, big_ch=4, small_ch=2, nblocks=1))
    ok, other = save_cvae(cv, tmp_path/'pets.pt', 'pets'), save_cvae(cv, tmp_path/'other.pt', 'fashion-mnist')
    r = sp('pretrain', '--dataset', pets, *TINY, '--second-view', 'cvae', '--cvae', ok, '--alpha', '0.5', '--out', tmp_path/'cv')
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path/'cv'/'config.json').read_text())
    assert (c['second_view'], c['cvae'], c['alpha']) == ('cvae', str(ok), 0.5)
    one_line_error(sp('pretrain', '--dataset', pets, *TINY, '--second-view', 'cvae', '--cvae', other, '--out', tmp_path/'no'),
                   "trained on 'fashion-mnist', not 'pets'")
    assert not (tmp_path/'no').exists()

@pytest.mark.fashion_mnist
def test_quick_preset_on_fashion_mnist(tmp_path):
    r = sp('pretrain', '--preset', 'quick', '--steps', '2', '--eval-every', '2', '--batch-size', '8', '--probe-bank', '200',
           '--probe-queries', '100', '--device', 'cpu', '--quiet', '--out', tmp_path/'q')
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path/'q'/'config.json').read_text())
    assert (c['dataset'], c['arch'], c['steps'], c['batch_size']) == ('fashion-mnist', 'wrn-10-2-s2', 2, 8)
