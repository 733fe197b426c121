"""Every GPU figure the project claims, from one command on one CUDA GPU (`make gpu`, about 20 minutes on an H100).

    python tools/gpu_evidence.py [--out-tag NAME]

1. `semiperturb bench` on the GPU: WRN-28-2, B = 64, mu = 7, images 3x32x32 and 1x28x28, RandAugment and CVAE
   (sample, smooth) views; end to end vs the per-image DataLoader pipeline vs the model step alone, side by side,
   with torch.compile. Record: bench/results/<gpu>-<date>.json.
2. Fashion-MNIST with 250 and with 40 labels, WRN-28-2, the paper's B = 64, mu = 7, lr 0.03 and EMA, bf16 and
   channels-last, torch.compile: accuracy against wall-clock seconds (an evaluation every 250 steps).
   Records: results/gpu/<tag>/fashion-mnist_<labels>_wrn-28-2/ (config, metrics with seconds, summary with the GPU).
3. `nbdev_test --flags "slow cuda"`: every notebook cell that needs a GPU or a long run; its log goes to
   results/gpu/<tag>/nbdev_test.log.
4. Study v2 of 06_experiments (`semiperturb study --preset cpu`: nine columns, 3,000 steps a run, 5 seeds at 40 labels
   and 3 at 250), one `semiperturb study` per run, column by column (tools/run_study.py), shared out over --jobs
   processes on the one GPU: the same configs as on two CPU cores, made faster. Records: results/cpu-study-v2/results/
   (each names the GPU it ran on).
5. The `cpu` preset's own records (FixMatch and supervised-only, 40 and 250 labels, explore_cpu.PRESET_SEEDS) as
   tools/explore_cpu.py writes them on a CPU: results/cpu-preset/.
6. Self-supervised pre-training (04a_pretrain, its `cpu` preset: results/pretrain/fashion-mnist_cpu_seed0/, the encoder to
   models/encoder-fashion-mnist.pt) where the encoder is missing; study v2's pre-trained columns start from it.

Parts run in the order bench, nbdev (in the background), study, pretrain, records, train; --deadline stops what is still
running at that many seconds (a run's record is written only when it finishes, so a later call redoes it).

Without CUDA it prints one line and exits with status 2. Targets on one H100 (issue 13): >= 80 steps/s end to end
with RandAugment views and >= 50 with CVAE views; Fashion-MNIST@250 >= 88% within 45 s of training."""
import argparse, datetime, json, math, os, shlex, shutil, subprocess, sys, time
from pathlib import Path
from run_study import pool as _pool, exe as _exe, study_jobs   # tools/ is on sys.path
from semiperturb.core import project_root

ROOT = project_root()
STEPS = {250: 4000, 40: 4000}  # per run; each takes about a minute at the target speed
PARTS = ('bench', 'nbdev', 'study', 'pretrain', 'records', 'train')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out-tag', default=None, help='folder name under results/gpu/ (default: GPU name and date)')
    p.add_argument('--skip', nargs='*', default=[], choices=PARTS, help='parts to leave out')
    p.add_argument('--jobs', type=int, default=8, help='processes that share the GPU for the study and the records (default: 8)')
    p.add_argument('--deadline', type=float, default=None, help='seconds after which nothing new starts and running parts are stopped')
    p.add_argument('--nbdev-flags', default='slow cuda', help='the flags nbdev_test runs with (default: "slow cuda")')
    p.add_argument('--quick', action='store_true', help='a shorter bench (no compilation, two sources, fewer steps) and 2000 training steps per run')
    a = p.parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        print('gpu_evidence: no CUDA GPU is visible (torch.cuda.is_available() is False); run this on a machine with one', file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name(0)
    tag = a.out_tag or f"{''.join(c if c.isalnum() else '-' for c in gpu.lower()).strip('-')}-{datetime.date.today().isoformat()}"
    out = ROOT/'results'/'gpu'/tag; out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    t0, done = time.time(), {}
    left = lambda: math.inf if a.deadline is None else a.deadline - (time.time() - t0)
    log = open(out/'runs.log', 'a')
    if 'bench' not in a.skip:
        cmd = _exe('semiperturb') + ['bench', '--device', 'cuda', '--arch', 'wrn-28-2', '--batch-size', '64', '--mu', '7', '--shapes', '3x32x32', '1x28x28',
                                     '--workers', '8', '--quiet'] + \
              (['--sources', 'randaugment', 'cvae-sample', '--steps', '30', '--warmup', '10', '--repeats', '2'] if a.quick else
               ['--compile', '--sources', 'randaugment', 'cvae-sample', 'cvae-smooth', 'cvae-adversarial', '--cvae', 'cpu', '--steps', '50', '--warmup', '20', '--repeats', '3'])
        try: done['bench'] = subprocess.run(cmd, cwd=ROOT, env=env, timeout=None if a.deadline is None else max(1, left())).returncode
        except subprocess.TimeoutExpired: done['bench'] = 'stopped at the deadline'
    nb = None
    if 'nbdev' not in a.skip:
        nblog = open(out/'nbdev_test.log', 'w')
        cmd = ([str(Path(sys.executable).parent/'nbdev_test'), '--flags', a.nbdev_flags, '--do_print', '--n_workers', '4']
               if (Path(sys.executable).parent/'nbdev_test').exists() else   # nbdev on PYTHONPATH only: call the function
               [sys.executable, '-c', f'from nbdev.test import nbdev_test; nbdev_test(flags={a.nbdev_flags!r}, do_print=True, n_workers=4)'])
        nb = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=nblog,
                              stderr=subprocess.STDOUT, start_new_session=True)
    cmds = {}
    if 'study' not in a.skip:  # study v2 (06_experiments, `study --preset cpu`): the configs of two CPU cores, on the GPU
        cmds.update({f'study {k}': v for k, v in study_jobs('cpu', ROOT/'results'/'cpu-study-v2', 'cuda').items()})
    if 'pretrain' not in a.skip and not (ROOT/'models'/'encoder-fashion-mnist.pt').exists():  # 04a_pretrain's cpu preset, if its encoder is missing
        enc, pre = ROOT/'models'/'encoder-fashion-mnist.pt', ROOT/'results'/'pretrain'/'fashion-mnist_cpu_seed0'
        steps = [_exe('semiperturb') + ['pretrain', '--preset', 'cpu', '--device', 'cuda', '--dataset', 'fashion-mnist', '--out', str(pre), '--quiet']
                 + (['--resume'] if pre.exists() else []), ['cp', str(pre/'encoder.pt'), str(enc)]]
        cmds['pretrain'] = ['bash', '-c', ' && '.join(shlex.join(c) for c in steps)]
    if 'records' not in a.skip:  # the cpu preset's records, the command lines tools/explore_cpu.py runs on a CPU (this folder is on sys.path)
        from explore_cpu import SETTINGS, base, done, out_dir
        for name, (_, opts) in SETTINGS.items():
            if not name.startswith('preset-') or done(name): continue
            run = out_dir(name)
            cmds[f'records {run.name}'] = _exe('semiperturb') + ['train', *shlex.split(base(name)), *shlex.split(opts), '--device', 'cuda',
                                                                  '--out', str(run)] + (['--resume'] if run.exists() else [])
    if cmds: done.update(_pool(cmds, a.jobs, left, {**env, 'OMP_NUM_THREADS': '1'}, log))
    if 'train' not in a.skip and left() > 60:
        for labels, steps in ({k: 2000 for k in STEPS} if a.quick else STEPS).items():
            run = out/f'fashion-mnist_{labels}_wrn-28-2'
            if (run/'summary.json').exists(): continue
            cmd = _exe('semiperturb') + ['train', '--preset', 'full', '--dataset', 'fashion-mnist', '--labels', str(labels), '--steps', str(steps),
                                         '--eval-every', '250', '--device', 'cuda', '--out', str(run), '--quiet'] + ([] if a.quick else ['--compile']) + \
                                        (['--resume'] if (run/'checkpoint.pt').exists() else [])
            try: done[f'train {labels}'] = subprocess.run(cmd, cwd=ROOT, env=env, timeout=None if a.deadline is None else max(1, left())).returncode
            except subprocess.TimeoutExpired: done[f'train {labels}'] = 'stopped at the deadline'
            (run/'checkpoint.pt').unlink(missing_ok=True)
    if nb is not None:
        try: done[f'nbdev_test {a.nbdev_flags}'] = nb.wait(timeout=max(1, left()))
        except subprocess.TimeoutExpired: os.killpg(nb.pid, 9); done[f'nbdev_test {a.nbdev_flags}'] = 'stopped at the deadline'
    (out/'summary.json').write_text(json.dumps(dict(gpu=gpu, seconds=round(time.time() - t0), exit_status=done), indent=1) + '\n')
    print(f'gpu_evidence: {json.dumps(done)} in {time.time() - t0:.0f} s; records in {out.relative_to(ROOT)} and bench/results/')
    return 0 if all(v == 0 for v in done.values()) else 1

if __name__ == '__main__': sys.exit(main())
