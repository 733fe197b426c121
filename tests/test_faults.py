"""Fault injection (issue #14): every bad input of `FAULTS` (tests/faults.py) gets one line on stderr, its exit status and no
changed file; runs killed with SIGKILL at chosen moments (before the first checkpoint, in the middle of writing a
checkpoint, a metrics line, a summary, a CVAE, a study record) resume to the result of a run that was never
interrupted; a full disk is one line, and the run resumes once there is room.

The bad inputs run in-process through `semiperturb.cli.main` (fast: torch is imported once), the rows marked `script`
through the installed console script, as a user would; the kills need a process of their own, so they use the
console script too, with `SEMIPERTURB_KILL_AT` (`semiperturb.core.kill_point`) choosing the moment."""
import hashlib, json, math, os, re, resource, shlex, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from semiperturb.cli import main
from faults import FAULTS, FAULT_INPUTS                           # tests/faults.py
from semiperturb.data import make_folder_dataset

EXE = Path(sys.executable).parent/'semiperturb'
if not EXE.exists(): EXE = shutil.which('semiperturb')
NOWRITE = '/sys/semiperturb-fault-test'                              # a folder nobody may create (EPERM/EACCES)

def sp(*args, env=None, limit=None, **kw):
    "Run the console script; `limit`: a file-size limit in bytes (writes beyond it fail with EFBIG, as on a full disk)."
    pre = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))) if limit else None
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          preexec_fn=pre, timeout=600, **kw)

def in_process(argv, capsys):
    "Exit status, stdout and stderr of `main(argv)` in this process."
    try: main([str(a) for a in argv]); code = 0
    except SystemExit as e: code = e.code
    out, err = capsys.readouterr()
    return code, out, err

def tree_hashes(root:Path, skip=()) -> dict:
    "Path -> sha256 of every file under `root` (not under the folders in `skip`)."
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob('*'))
            if p.is_file() and not any(s in p.parents or p == s for s in skip)}

def strict_json(text:str):
    "Parse `text` as JSON, refusing NaN and Infinity (which Python's json accepts but JSON does not)."
    def bad(c): raise ValueError(f'not JSON: {c}')
    return json.loads(text, parse_constant=bad)

def expand(line:str, paths:dict) -> list:
    "The argv of a `FAULTS` command line: abbreviations (TINY, ...) first, then the placeholders' paths."
    for k in ('TINY', 'CTINY', 'PTINY'): line = line.replace('{' + k + '}', FAULT_INPUTS[k].replace('DATA', '{DATA}'))
    return shlex.split(line.format(**{k: shlex.quote(str(v)) for k, v in paths.items()}))

def tiny(name:str, data) -> list: return expand('{' + name + '}', {'DATA': data})

@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    "The placeholders of `FAULT_INPUTS`, made in a fresh folder, mostly through `main` itself."
    root = tmp_path_factory.mktemp('faults'); d = root/'in'
    p = dict(DATA=make_folder_dataset(d/'pets', n_labeled=4, n_unlabeled=8, n_test=4),
             BIRDS=make_folder_dataset(d/'birds', classes=('owl', 'tit'), n_labeled=2, n_unlabeled=4, n_test=2, seed=1))
    from PIL import Image
    p['BADPNG'] = Path(shutil.copytree(p['DATA'], d/'badpng')); (p['BADPNG']/'labeled'/'cat'/'a0.png').write_text('not an image')
    p['MIXED'] = Path(shutil.copytree(p['DATA'], d/'mixed')); Image.fromarray(np.zeros((10, 10), np.uint8)).save(p['MIXED']/'test'/'cat'/'odd.png')
    (p.setdefault('CORRUPT', d/'corrupt')).mkdir()
    for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'):
        (p['CORRUPT']/f'{stem}.gz').write_bytes(b'not gzip at all')
    study = ['--dataset', str(p['DATA']), '--labels', '4', '--seeds', '0', '--variants', 'supervised', '--steps', '2', '--device', 'cpu', '--allow-dirty']
    for name, cmd, args in (('RUN', 'train', tiny('TINY', p['DATA'])), ('PRE', 'pretrain', tiny('PTINY', p['DATA'])),
                            ('CVAEDIR', 'train-cvae', tiny('CTINY', p['DATA'])), ('BIRDCVAE', 'train-cvae', tiny('CTINY', p['BIRDS'])),
                            ('STUDY', 'study', study)):
        p[name] = d/name.lower()
        try: main([cmd, *args, '--out', str(p[name])])
        except SystemExit as e: assert not e.code, (name, e.code)
    p['CVAE'], p['BIRDCVAE'] = p['CVAEDIR']/'cvae.pt', p['BIRDCVAE']/'cvae.pt'
    for name, change in (('RUN_JUNK', lambda r: (r/'checkpoint.pt').write_bytes(os.urandom(2000))),
                         ('RUN_KEYS', lambda r: torch.save({k: v for k, v in torch.load(r/'checkpoint.pt', weights_only=True).items()
                                                            if k not in ('model', 'rng')}, r/'checkpoint.pt')),
                         ('RUN_CVAE', lambda r: shutil.copy(p['CVAE'], r/'checkpoint.pt')),
                         ('RUN_BADCFG', lambda r: (r/'config.json').write_text('{"lr": 0.'))):
        p[name] = Path(shutil.copytree(p['RUN'], d/name.lower())); change(p[name])
    (p.setdefault('CFG_KEYS', d/'cfg.json')).write_text(json.dumps({'learning_rate': 0.1}))
    (p.setdefault('NOTRUN', d/'notrun')).mkdir(); (p['NOTRUN']/'notes.txt').write_text('mine')
    (p.setdefault('FILE', d/'notes.txt')).write_text('a file')
    (p.setdefault('JUNK', d/'junk.pt')).write_bytes(os.urandom(1000))
    p['PNG'] = d/'grid.png'; Image.fromarray(np.zeros((4, 4), np.uint8)).save(p['PNG'])
    (p.setdefault('EMPTY', d/'empty')).mkdir()
    p['NOWRITE'] = NOWRITE
    (root/'cwd').mkdir(); (root/'out').mkdir()
    assert set(p) | {'TINY', 'CTINY', 'PTINY', 'NEW'} == set(FAULT_INPUTS)
    return root, p

def test_table_has_enough_distinct_cases():
    assert len({f[0] for f in FAULTS}) == len(FAULTS) >= 40
    assert sum(f[2] == 3 for f in FAULTS) >= 3 and sum(f[3:] == ('script',) for f in FAULTS) >= 3

@pytest.mark.parametrize('fault', FAULTS, ids=[f"{i:03d}-{f[0].split()[0]}" for i, f in enumerate(FAULTS)])
def test_bad_input(fault, inputs, capsys, monkeypatch):
    "One line on stderr naming the problem, the exit status of the table, no traceback, no file changed (only NEW may appear, with status 3)."
    line, msg, status, how = (*fault, 'main')[:4]
    if 'cuda' in line.split() and torch.cuda.is_available(): pytest.skip('a GPU is visible: --device cuda is not a bad input here')
    if how == 'fsize': pytest.skip('run, and resumed, by test_a_full_disk_is_one_line_and_the_run_resumes')
    root, p = inputs
    new = root/'out'/f"new{FAULTS.index(fault)}"
    argv = expand(line, {**p, 'NEW': new})
    before = tree_hashes(root, skip=[new])
    monkeypatch.chdir(root/'cwd')                                      # default outputs (runs/, cvae_samples.png) land here
    if how == 'main': code, out, err = in_process(argv, capsys)
    else:
        r = sp(*argv, cwd=root/'cwd')
        code, out, err = r.returncode, r.stdout, r.stderr
    assert code == status, (line, code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0] and 'Traceback' not in err, (line, err)
    assert lines[0].startswith('semiperturb'), lines[0]
    assert tree_hashes(root, skip=[new]) == before, line                # nothing existing changed, nothing else appeared
    if status == 2: assert not new.exists() and not Path(f'{new}.png').exists(), line
    if status == 3:                                                     # what a diverged run leaves is valid
        assert not (new/'summary.json').exists() and not (new/'cvae.pt').exists()
        for f in new.rglob('*.json*'): [strict_json(l) for l in f.read_text().splitlines()] if f.suffix == '.jsonl' else strict_json(f.read_text())
        for f in new.rglob('checkpoint.pt'):
            ck = torch.load(f, weights_only=True)
            assert all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())

# Killed runs --------------------------------------------------------------------------------------------------------

def without(d:dict, *keys): return {k: v for k, v in d.items() if k not in keys}
def metrics(run:Path): return [without(strict_json(l), 'seconds') for l in (run/'metrics.jsonl').read_text().splitlines()]

def same_run(a:Path, b:Path):
    "Runs `a` and `b` ended identically: metrics, summary, and the weights of the checkpoint (bit for bit)."
    assert metrics(a) == metrics(b)
    assert without(strict_json((a/'summary.json').read_text()), 'seconds', 'environment') == \
           without(strict_json((b/'summary.json').read_text()), 'seconds', 'environment')
    ca, cb = (torch.load(r/'checkpoint.pt', weights_only=True) for r in (a, b))
    for k in ('model', 'ema'):
        for n, v in ca[k].items(): assert torch.equal(v, cb[k][n]), (k, n)
    assert not list(a.glob('.*.partial'))

TRAIN6 = ('--labels', '4', '--arch', 'cnn', '--steps', '6', '--eval-every', '2', '--batch-size', '4', '--mu', '2', '--device', 'cpu', '--quiet')

@pytest.fixture(scope='module')
def train_ref(inputs, tmp_path_factory):
    "The uninterrupted run the interrupted ones must end as: its folder, and the arguments that made it."
    root, p = inputs
    args, ref = ('train', '--dataset', p['DATA'], *TRAIN6), tmp_path_factory.mktemp('ref')/'run'
    try: main([*map(str, args), '--out', str(ref)])
    except SystemExit as e: assert not e.code
    return args, ref

def test_train_resumes_after_kills(train_ref, tmp_path):
    "Killed after config.json, halfway through the first checkpoint, through a metrics line, through the summary: --resume ends as the uninterrupted run."
    args, ref = train_ref
    run = tmp_path/'run'
    for point, resume, left in (('config.json:done', False, {'config.json'}),                          # before any checkpoint
                                ('checkpoint.pt:partial', True, {'config.json', 'metrics.jsonl', '.checkpoint.pt.partial'}),
                                ('metrics.jsonl:append#2', True, {'config.json', 'metrics.jsonl', 'checkpoint.pt'}),
                                ('summary.json:partial', True, {'config.json', 'metrics.jsonl', 'checkpoint.pt', '.summary.json.partial'})):
        r = sp(*args, *(['--resume'] if resume else []), '--out', run, env={'SEMIPERTURB_KILL_AT': point})
        assert r.returncode == -signal.SIGKILL, (point, r.returncode, r.stderr)
        assert left <= {f.name for f in run.iterdir()}, (point, sorted(f.name for f in run.iterdir()))
        assert strict_json((run/'config.json').read_text())['steps'] == 6
    assert (run/'metrics.jsonl').read_text().count('\n') == 3              # the summary's kill came after every line
    r = sp(*args, '--resume', '--out', run)
    assert r.returncode == 0, r.stderr
    same_run(run, ref)

def test_resume_without_config_json(inputs, tmp_path, capsys):
    "A run folder whose config.json is gone resumes from the copy in its checkpoint (and writes config.json again)."
    root, p = inputs
    run = Path(shutil.copytree(p['RUN'], tmp_path/'run')); (run/'config.json').unlink()
    code, out, err = in_process(['train', '--resume', '--out', run, '--quiet'], capsys)
    assert code == 0 and strict_json((run/'config.json').read_text()) == strict_json((p['RUN']/'config.json').read_text()), err

def test_train_resumes_after_a_kill_from_outside(train_ref, tmp_path):
    "`kill -9` from another process at whatever moment the run has reached once config.json exists, then --resume."
    args, ref = train_ref
    run = tmp_path/'run'
    proc = subprocess.Popen([str(EXE), *map(str, args), '--out', str(run)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (run/'config.json').exists() and proc.poll() is None and time.time() - t0 < 300: time.sleep(0.002)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert proc.returncode in (-signal.SIGKILL, 0), proc.stderr.read()   # 0: it finished first (resuming a finished run is a case too)
    r = sp(*args, '--resume', '--out', run)
    assert r.returncode == 0, r.stderr
    same_run(run, ref)

def test_a_full_disk_is_one_line_and_the_run_resumes(inputs, train_ref, tmp_path, capsys):
    "The `fsize` row of FAULTS: with a file-size limit below the checkpoint's size (EFBIG, as ENOSPC on a full disk) one line and no partial file; then --resume, with room."
    (line, msg, status, _), = [f for f in FAULTS if f[3:] == ('fsize',)]
    root, p = inputs
    r = sp(*expand(line, {**p, 'NEW': tmp_path/'run'}), limit=200_000)
    assert r.returncode == status and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr, r.stderr
    assert sorted(f.name for f in (tmp_path/'run').iterdir()) == ['config.json', 'metrics.jsonl']
    args, ref = train_ref
    assert strict_json((tmp_path/'run'/'config.json').read_text())['steps'] == 4         # TINY: resumed with its own settings
    assert in_process([*expand(line, {**p, 'NEW': tmp_path/'run'}), '--resume'], capsys)[0] == 0
    assert [m['step'] for m in metrics(tmp_path/'run')] == [2, 4] and (tmp_path/'run'/'summary.json').exists()

def test_train_cvae_overwrite_keeps_the_old_model_until_the_new_one_is_whole(inputs, tmp_path, capsys):
    "train-cvae --overwrite killed through an epoch's metrics line, then through writing the model: the old model and metrics survive; the rerun equals a clean run."
    root, p = inputs
    cvae_args = tiny('CTINY', p['DATA'])
    assert in_process(['train-cvae', *cvae_args, '--out', tmp_path/'ref'], capsys)[0] == 0
    out = Path(shutil.copytree(p['CVAEDIR'], tmp_path/'out'))
    assert in_process(['train-cvae', *cvae_args, '--seed', '1', '--overwrite', '--out', out], capsys)[0] == 0   # an older, different model
    old = tree_hashes(out)
    for point in ('metrics.jsonl:append#2', 'cvae.pt:partial'):
        r = sp('train-cvae', *cvae_args, '--overwrite', '--out', out, env={'SEMIPERTURB_KILL_AT': point})
        assert r.returncode == -signal.SIGKILL, (point, r.stderr)
        assert tree_hashes(out, skip=[out/'.train-cvae.partial']) == old, point
    assert in_process(['train-cvae', *cvae_args, '--overwrite', '--out', out], capsys)[0] == 0
    assert sorted(f.name for f in out.iterdir()) == ['cvae.pt', 'metrics.jsonl']
    a, b = (torch.load(d/'cvae.pt', weights_only=True)['state_dict'] for d in (out, tmp_path/'ref'))
    for k in a: assert torch.equal(a[k], b[k]), k
    assert metrics(out) == metrics(tmp_path/'ref')

def test_train_cvae_resumes_after_a_kill(inputs, tmp_path, capsys):
    "train-cvae killed through its second epoch's metrics line continues with --resume from the first epoch's checkpoint, to the run that never stopped."
    root, p = inputs
    cvae_args = tiny('CTINY', p['DATA'])
    assert in_process(['train-cvae', *cvae_args, '--out', tmp_path/'ref'], capsys)[0] == 0
    out = tmp_path/'out'
    r = sp('train-cvae', *cvae_args, '--out', out, env={'SEMIPERTURB_KILL_AT': 'metrics.jsonl:append#2'})
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert (out/'.train-cvae.partial'/'checkpoint.pt').is_file() and not (out/'cvae.pt').exists()
    assert in_process(['train-cvae', *cvae_args, '--resume', '--out', out], capsys)[0] == 0
    assert sorted(f.name for f in out.iterdir()) == ['cvae.pt', 'metrics.jsonl']
    a, b = (torch.load(d/'cvae.pt', weights_only=True)['state_dict'] for d in (out, tmp_path/'ref'))
    for k in a: assert torch.equal(a[k], b[k]), k
    assert metrics(out) == metrics(tmp_path/'ref')

def test_study_resumes_after_kills(inputs, tmp_path, capsys):
    "A study killed halfway through writing its first record resumes (the same command) to the uninterrupted study's records and table."
    root, p = inputs
    args = ['study', '--dataset', p['DATA'], '--labels', '4', '--seeds', '0', '--variants', 'supervised', 'fixmatch', '--steps', '2',
            '--device', 'cpu', '--allow-dirty']
    assert in_process([*args, '--out', tmp_path/'ref'], capsys)[0] == 0
    out = tmp_path/'study'
    for point in ('pets_4_supervised_seed0.json:partial',):
        r = sp(*args, '--out', out, env={'SEMIPERTURB_KILL_AT': point})
        assert r.returncode == -signal.SIGKILL, (point, r.stderr)
    r = sp(*args, '--out', out)
    assert r.returncode == 0, r.stderr
    rec = lambda d, v: strict_json((d/'results'/f'pets_4_{v}_seed0.json').read_text())  # noqa: E731
    for v in ('supervised', 'fixmatch'):
        a, b = rec(out, v), rec(tmp_path/'ref', v)
        assert without(a['summary'], 'seconds') == without(b['summary'], 'seconds')
        assert [without(m, 'seconds') for m in a['log']] == [without(m, 'seconds') for m in b['log']]
    assert (out/'results'/'table.md').read_text() == (tmp_path/'ref'/'results'/'table.md').read_text()
