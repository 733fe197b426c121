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

Without CUDA it prints one line and exits with status 2. Targets on one H100 (issue 13): >= 80 steps/s end to end
with RandAugment views and >= 50 with CVAE views; Fashion-MNIST@250 >= 88% within 45 s of training."""
import argparse, datetime, json, os, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = {250: 4000, 40: 4000}  # per run; each takes about a minute at the target speed

def _exe(name):
    p = Path(sys.executable).parent/name
    return [str(p)] if p.exists() else [sys.executable, '-m', {'semiperturb': 'semiperturb.cli', 'nbdev_test': 'nbdev.test'}.get(name, name)]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out-tag', default=None, help='folder name under results/gpu/ (default: GPU name and date)')
    p.add_argument('--skip', nargs='*', default=[], choices=['bench', 'train', 'nbdev'], help='parts to leave out')
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
    if 'bench' not in a.skip:
        cmd = _exe('semiperturb') + ['bench', '--device', 'cuda', '--arch', 'wrn-28-2', '--batch-size', '64', '--mu', '7', '--compile',
                                     '--shapes', '3x32x32', '1x28x28', '--sources', 'randaugment', 'cvae-sample', 'cvae-smooth',
                                     '--workers', '8', '--steps', '50', '--warmup', '20', '--repeats', '3', '--quiet']
        done['bench'] = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    if 'train' not in a.skip:
        for labels, steps in STEPS.items():
            run = out/f'fashion-mnist_{labels}_wrn-28-2'
            if (run/'summary.json').exists(): continue
            cmd = _exe('semiperturb') + ['train', '--preset', 'full', '--dataset', 'fashion-mnist', '--labels', str(labels), '--steps', str(steps),
                                         '--eval-every', '250', '--device', 'cuda', '--compile', '--out', str(run), '--quiet'] + \
                                        (['--resume'] if (run/'checkpoint.pt').exists() else [])
            done[f'train {labels}'] = subprocess.run(cmd, cwd=ROOT, env=env).returncode
            (run/'checkpoint.pt').unlink(missing_ok=True)
    if 'nbdev' not in a.skip:
        with open(out/'nbdev_test.log', 'w') as log:
            done['nbdev_test slow cuda'] = subprocess.run(_exe('nbdev_test') + ['--flags', 'slow cuda', '--do_print'], cwd=ROOT, env=env,
                                                          stdout=log, stderr=subprocess.STDOUT).returncode
    (out/'summary.json').write_text(json.dumps(dict(gpu=gpu, seconds=round(time.time() - t0), exit_status=done), indent=1) + '\n')
    print(f'gpu_evidence: {json.dumps(done)} in {time.time() - t0:.0f} s; records in {out.relative_to(ROOT)} and bench/results/')
    return 0 if all(v == 0 for v in done.values()) else 1

if __name__ == '__main__': sys.exit(main())
