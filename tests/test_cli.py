"End-to-end tests of the installed `semiperturb` console script."
import json, re, shutil, subprocess, sys
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

@pytest.fixture(scope='module')
def pets(tmp_path_factory):
    from semiperturb.data import make_folder_dataset
    return make_folder_dataset(tmp_path_factory.mktemp('data')/'pets', n_labeled=4, n_unlabeled=8, n_test=4)

TINY = ('--labels', '4', '--arch', 'cnn', '--steps', '2', '--eval-every', '2', '--batch-size', '4', '--mu', '2', '--device', 'cpu', '--quiet')

@pytest.fixture(scope='module')
def pipeline(pets, tmp_path_factory):
    "A tiny FixMatch run and a tiny CVAE, both made through the console script."
    d = tmp_path_factory.mktemp('pipe')
    r = sp('train', '--dataset', pets, *TINY, '--out', d/'run')
    assert r.returncode == 0, r.stderr
    r = sp('train-cvae', '--dataset', pets, '--epochs', '1', '--steps', '2', '--batch-size', '4', '--latent-dim', '4',
           '--width', '8', '--device', 'cpu', '--out', d/'cvae')
    assert r.returncode == 0, r.stderr
    return d

def test_train_writes_a_run_and_refuses_to_overwrite(pets, pipeline):
    import json
    s = json.loads((pipeline/'run'/'summary.json').read_text())
    assert s['steps'] == 2 and 0 <= s['accuracy'] <= 1
    before = (pipeline/'run'/'summary.json').read_bytes()
    r = sp('train', '--dataset', pets, *TINY, '--out', pipeline/'run')
    assert r.returncode == 2 and 'pass --resume' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert (pipeline/'run'/'summary.json').read_bytes() == before

def test_train_with_generated_views(pets, pipeline, tmp_path):
    r = sp('train', '--dataset', pets, *TINY, '--strong', 'cvae-smooth', '--sigma', '1.12', '--cvae', pipeline/'cvae'/'cvae.pt', '--out', tmp_path/'rs')
    assert r.returncode == 0, r.stderr
    r = sp('train', '--dataset', pets, *TINY, '--strong', 'cvae-adversarial', '--epsilon', '2', '--pgd-steps', '2', '--cvae', pipeline/'cvae'/'cvae.pt',
           '--out', tmp_path/'adv')
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path/'adv'/'config.json').read_text())['pgd_steps'] == 2
    r = sp('train', '--labels', '40', '--strong', 'cvae-sample', '--cvae', pipeline/'cvae'/'cvae.pt', '--out', tmp_path/'fm')
    assert r.returncode == 2 and "trained on 'pets', not 'fashion-mnist'" in r.stderr

def test_corrupt_cvae_checkpoint(pets, tmp_path):
    (tmp_path/'bad.pt').write_bytes(b'garbage')
    r = sp('samples', '--cvae', tmp_path/'bad.pt', '--dataset', pets, '--out', tmp_path/'s.png')
    assert r.returncode == 2 and 'corrupt' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_samples_and_certify(pets, pipeline, tmp_path):
    r = sp('samples', '--cvae', pipeline/'cvae'/'cvae.pt', '--dataset', pets, '--n', '2', '--k', '2', '--device', 'cpu', '--out', tmp_path/'s.png')
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'s.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    r = sp('samples', '--cvae', pipeline/'cvae'/'cvae.pt', '--dataset', pets, '--out', tmp_path/'s.png')
    assert r.returncode == 2                                         # never overwrites silently
    r = sp('certify', '--run', pipeline/'run', '--cvae', pipeline/'cvae'/'cvae.pt', '--sigma', '0.84', '--n0', '4', '--n', '8',
           '--n-images', '4', '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    assert 'certified' in r.stdout.lower()

def test_study_resumes(pets, tmp_path):
    args = ('study', '--dataset', pets, '--labels', '4', '--seeds', '0', '--variants', 'supervised', 'fixmatch', '--steps', '2',
            '--device', 'cpu', '--allow-dirty', '--out', tmp_path/'study')
    r = sp(*args)
    assert r.returncode == 0, r.stderr
    assert '| Accuracy (%) |' in r.stdout and sorted(p.name for p in (tmp_path/'study'/'results').glob('*.json')) == \
        ['pets_4_fixmatch_seed0.json', 'pets_4_supervised_seed0.json']
    r2 = sp(*args)
    assert 'pets_4_fixmatch_seed0: accuracy' in r.stdout
    assert r2.returncode == 0 and 'seed0: accuracy' not in r2.stdout and r.stdout.endswith(r2.stdout)   # nothing re-trained

def test_bench_writes_a_record(tmp_path):
    import json
    args = ('bench', '--arch', 'cnn', '--batch-size', '4', '--mu', '2', '--steps', '1', '--warmup', '1', '--repeats', '1', '--workers', '0',
            '--sources', 'randaugment', '--shapes', '1x28x28', '--device', 'cpu', '--quiet', '--out', tmp_path/'b.json')
    r = sp(*args)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path/'b.json').read_text())
    assert {'rows', 'environment', 'command'} <= set(rec) and rec['environment']['cores'] >= 1
    assert sp(*args).returncode == 2                                   # an existing record is never overwritten

def test_train_help_lists_every_config_field_once():
    "`train --help`: an option per FixMatchConfig field, each once, each default shown at most once, switches both ways."
    from dataclasses import fields
    from semiperturb.fixmatch import FixMatchConfig
    r = sp('train', '--help')
    assert r.returncode == 0, r.stderr
    opts = re.findall(r'^  (--[\w-]+)', r.stdout, flags=re.M)                  # the first name of each option, in the listing
    for f in fields(FixMatchConfig):
        assert opts.count('--' + f.name.replace('_', '-')) == 1, (f.name, opts)
    assert not re.search(r'\(default:[^)]*\)\s*\(default:', r.stdout)             # never "(default: 0.03) (default: None)"
    assert '(default: 0.03)' in r.stdout and '--flip, --no-flip' in r.stdout and '(default: --flip)' in r.stdout
    assert '--translate' in r.stdout and '--momentum' in r.stdout and '--no-nesterov' in r.stdout and '--eval-batch-size' in r.stdout
    assert 'quick  arch=cnn' in r.stdout                                          # the presets, after the options

def test_help_imports_no_command():
    "`semiperturb --help` lists the commands from their one-line summaries, importing none of their modules."
    code = ("import sys\nfrom semiperturb.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('semiperturb.')))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "['semiperturb.cli', 'semiperturb.core']" in r.stdout, r.stdout + r.stderr

def test_command_summaries_are_their_docstrings():
    from semiperturb.cli import COMMANDS, command
    for name, (_, _, summary) in COMMANDS.items(): assert command(name).__doc__.splitlines()[0] == summary, name

def test_an_import_error_is_shown_as_itself():
    code = ("from semiperturb.cli import COMMANDS, main\n"
            "COMMANDS['broken'] = ('semiperturb.nonesuch', 'broken_cmd', 'Missing.')\nmain(['broken'])")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "ModuleNotFoundError: No module named 'semiperturb.nonesuch'" in r.stderr
    assert 'unknown command' not in r.stderr and 'Traceback' in r.stderr

LOG = ('--labels', '4', '--arch', 'cnn', '--steps', '4', '--eval-every', '2', '--batch-size', '4', '--mu', '2', '--device', 'cpu')

def test_log_output_is_one_line_per_evaluation(pets, tmp_path):
    "Not a terminal (a pipe): no progress-bar redraws, one plain line per evaluation (train), per epoch (train-cvae), per probe (pretrain)."
    r = sp('train', '--dataset', pets, *LOG, '--out', tmp_path/'run')
    assert r.returncode == 0, r.stderr
    assert '\r' not in r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith('step ')]
    assert [l.split()[1] for l in lines] == ['2', '4'] and all(' accuracy ' in l and ' time ' in l for l in lines), r.stdout
    r = sp('train-cvae', '--dataset', pets, '--epochs', '2', '--steps', '2', '--batch-size', '4', '--latent-dim', '4', '--width', '8',
           '--device', 'cpu', '--out', tmp_path/'cvae')
    assert r.returncode == 0 and '\r' not in r.stdout + r.stderr, r.stderr
    assert [l.split()[1] for l in r.stdout.splitlines() if l.startswith('epoch ')] == ['1', '2'], r.stdout
    r = sp('pretrain', '--dataset', pets, '--arch', 'cnn', '--steps', '4', '--eval-every', '2', '--batch-size', '4', '--probe-bank', '8',
           '--probe-queries', '8', '--device', 'cpu', '--out', tmp_path/'pre')
    assert r.returncode == 0 and '\r' not in r.stdout + r.stderr, r.stderr
    assert [l.split()[1] for l in r.stdout.splitlines() if l.startswith('step ')] == ['0', '2', '4'], r.stdout
    for cmd in ('train', 'train-cvae', 'pretrain'): assert '--quiet' in sp(cmd, '--help').stdout

def test_config_runs_a_saved_config_again(pets, pipeline, tmp_path):
    "`--config FILE` runs a saved config.json again, metric for metric; given options override it; not with --preset."
    r = sp('train', '--config', pipeline/'run'/'config.json', '--quiet', '--out', tmp_path/'again')
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path/'again'/'config.json').read_text()) == json.loads((pipeline/'run'/'config.json').read_text())
    acc = lambda d: [m['accuracy'] for m in map(json.loads, (d/'metrics.jsonl').read_text().splitlines())]
    assert acc(tmp_path/'again') == acc(pipeline/'run')
    r = sp('train', '--config', pipeline/'run', '--lr', '0.5', '--quiet', '--out', tmp_path/'lr')
    assert r.returncode == 0 and json.loads((tmp_path/'lr'/'config.json').read_text())['lr'] == 0.5, r.stderr
    r = sp('train', '--config', pipeline/'run', '--preset', 'quick', '--out', tmp_path/'both')
    assert r.returncode == 2 and 'pass one of them' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_resume_compares_given_options_with_the_saved_run(pets, tmp_path):
    "An option given on --resume is compared with the saved run even when it equals the dataclass default (issue #14)."
    r = sp('train', '--dataset', pets, *LOG, '--lr', '0.1', '--quiet', '--out', tmp_path/'run')
    assert r.returncode == 0, r.stderr
    r = sp('train', '--dataset', pets, *LOG, '--lr', '0.03', '--quiet', '--resume', '--out', tmp_path/'run')   # 0.03: the default
    assert r.returncode == 2 and "differs from the saved run in ['lr']" in r.stderr, r.stderr

def test_tensorboard(pets, tmp_path):
    "`--tensorboard DIR` writes event files where tensorboard is installed, and fails in one line, writing nothing, where not."
    try: import tensorboard  # noqa: F401
    except ImportError: have = False
    else: have = True
    r = sp('train', '--dataset', pets, *LOG, '--quiet', '--tensorboard', tmp_path/'tb', '--out', tmp_path/'run')
    if have:
        assert r.returncode == 0 and list((tmp_path/'tb').glob('events.out.tfevents.*')), r.stderr
    else:
        assert r.returncode == 2 and 'pip install tensorboard' in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not (tmp_path/'run').exists()
