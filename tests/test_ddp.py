"""Several processes on the CPU: `torchrun --nproc_per_node 2` with gloo, as `05_fixmatch` (*Several processes: torchrun*)
describes. Each test starts one torchrun of two one-thread processes (about 15 s on a busy 2-core machine, most of
it importing torch twice). The worker script is tests/ddp_worker.py."""
import json, os, subprocess, sys
import pytest, torch
import torch.distributed as dist
from semiperturb.core import project_root

ROOT = project_root()
pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()), reason='torch.distributed with gloo is not available')

def torchrun(*args, cwd):
    "Run `torchrun --standalone --nproc_per_node 2 ARGS` with one thread per process; the completed process."
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', *map(str, args)],
                       capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r

def test_train_with_two_processes(tmp_path):
    "`semiperturb train` under torchrun: one run directory, written by rank 0, recording world_size 2 and both processes' generators."
    from semiperturb.data import make_folder_dataset
    root = make_folder_dataset(tmp_path/'pets', n_labeled=4, n_unlabeled=8, n_test=4)
    opts = ['--dataset', root, '--arch', 'cnn', '--steps', 4, '--eval-every', 2, '--batch-size', 4, '--mu', 2, '--device', 'cpu']
    r = torchrun('-m', 'semiperturb.cli', 'train', *opts, '--out', tmp_path/'run', '--quiet', cwd=tmp_path)
    assert r.stdout.count('accuracy') == 1, r.stdout                                    # one summary line: rank 0's
    assert sorted(p.name for p in tmp_path.iterdir()) == ['pets', 'run']                 # nothing else written
    assert sorted(p.name for p in (tmp_path/'run').iterdir()) == ['checkpoint.pt', 'config.json', 'curves.png', 'metrics.jsonl', 'summary.json']
    assert json.loads((tmp_path/'run'/'config.json').read_text())['world_size'] == 2
    assert len((tmp_path/'run'/'metrics.jsonl').read_text().splitlines()) == 2
    ck = torch.load(tmp_path/'run'/'checkpoint.pt', weights_only=True)
    assert ck['step'] == 4 and len(ck['rank_rng']) == 2
    assert not torch.equal(ck['rank_rng'][0]['aug'], ck['rank_rng'][1]['aug'])         # each process has generators of its own

def test_first_step_is_one_process_step_on_the_global_batch(tmp_path):
    """The first step of two processes is one process's step on both of their batches: the same loss for each half and,
    after the SGD step, the same weights. The reference forwards each process's batch separately, since BatchNorm
    normalises each process's batch by itself. Tolerance: torch.testing's float32 defaults (rtol 1.3e-6, atol 1e-5),
    float rounding only: the processes' gradients are averaged by gloo's all-reduce there, by autograd here."""
    from semiperturb.fixmatch import FixMatchConfig, Trainer, fixmatch_loss
    sys.path.insert(0, str(ROOT/'tests')); from ddp_worker import CFG, tiny_data
    torchrun(ROOT/'tests'/'ddp_worker.py', 'first-step', tmp_path, cwd=tmp_path)
    r = [torch.load(tmp_path/f'rank{k}.pt', weights_only=True) for k in (0, 1)]
    assert not torch.equal(r[0]['xb'], r[1]['xb'])                                      # each process drew its own batch
    for a, b in zip(r[0]['params'], r[1]['params']): assert torch.equal(a, b)             # one model after the step
    one = Trainer(FixMatchConfig(**CFG), tiny_data())
    one.one_step()
    assert torch.equal(one.xb, r[0]['xb']); torch.testing.assert_close(one.loss, r[0]['loss'])  # rank 0 draws what one process draws
    t = Trainer(FixMatchConfig(**CFG), tiny_data())                                     # the same initial weights
    B, muB = CFG['batch_size'], CFG['mu'] * CFG['batch_size']
    for rk in r:
        lx, lw, ls = t.model(rk['xb']).split([B, muB, muB])
        loss, _ = fixmatch_loss(lx, rk['yl'], lw, ls, CFG['threshold'])
        torch.testing.assert_close(loss, rk['loss'])
        (loss / 2).backward()                                                           # the mean of the two processes' gradients
    t.opt.step()                                                                        # step 0: the initial learning rate
    for p, q in zip(t.model.parameters(), r[0]['params']): torch.testing.assert_close(p.detach(), q)

def test_resume_with_two_processes_is_exact(tmp_path):
    "Two processes stopped after their first evaluation and resumed end with the weights and metrics of the uninterrupted run."
    torchrun(ROOT/'tests'/'ddp_worker.py', 'resume', tmp_path, cwd=tmp_path)
    full, resumed = (torch.load(tmp_path/d/'checkpoint.pt', weights_only=True) for d in ('full', 'resumed'))
    assert full['step'] == resumed['step'] == 6
    for k in ('model', 'ema'):
        for name, v in full[k].items(): assert torch.equal(v, resumed[k][name]), (k, name)
    log = lambda ck: [{k: v for k, v in m.items() if k != 'seconds'} for m in ck['log']]
    assert log(full) == log(resumed)
    assert len((tmp_path/'resumed'/'metrics.jsonl').read_text().splitlines()) == 3
