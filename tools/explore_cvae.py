"""The measurements behind the CVAE committed in models/ (nbs/03_cvae.ipynb shows their curves, diagnoses and samples).

Each setting is a named `semiperturb train-cvae` command line. Its output goes to results/cvae-explore/NAME/:
metrics.jsonl (per epoch the training and held-out reconstruction error and KL, and wall-clock seconds), the
command, and `semiperturb diagnose` on 500 test images with the reference classifier (diagnose.json: label
preservation, diversity and distance of every strong-view source, the CVAE's quality, `cvae_diagnosis`, and the
machine and git commit). The model itself stays in the folder only with --keep (*.pt is not committed).
A finished setting is never run again.

    python tools/explore_cvae.py --list
    python tools/explore_cvae.py NAME [NAME ...] [--keep]
"""
import argparse, shlex, subprocess, sys
from pathlib import Path
from semiperturb.core import project_root

ROOT = project_root()
OUT = ROOT/'results'/'cvae-explore'
BASE = '--dataset fashion-mnist --seed 0'
CHEAP = '--preset small --width 16 --blocks 2 --epochs 10 --steps 150'   # about 4x cheaper a step than the small preset: a lever in minutes
# name -> (what it tries, options)
SETTINGS = {
    'small-indep-2k':  ('the old small model (latent 32, 16->8->16, 2 blocks), independent pairs, 2,000 steps',
                        '--preset small --epochs 10 --steps 200 --pairs independent'),
    'small-shared-2k': ('the same on shared (photometric) pairs', '--preset small --epochs 10 --steps 200 --pairs shared'),
    'b4-indep-2k':     ('4 blocks (receptive field 21 px instead of 13), independent pairs',
                        '--preset small --blocks 4 --epochs 10 --steps 200 --pairs independent'),
    'w32b4-indep-2k':  ('width 32 (32->8->32), 4 blocks, independent pairs',
                        '--preset small --width 32 --blocks 4 --epochs 10 --steps 200 --pairs independent'),
    # The levers of the first generator's blobs (issue: generated views that are real perturbations), each on the
    # cheap model (16->4->16, 2 blocks, latent 32, 1,500 steps), one change at a time from the first generator's settings.
    'lever-indep-image-b.01':    ('the first generator\'s settings on the cheap model', f'{CHEAP} --pairs independent --generator image --beta 0.01'),
    'lever-shared-image-b.01':   ('pairs that share the weak view\'s geometry', f'{CHEAP} --pairs shared --generator image --beta 0.01'),
    'lever-indep-residual-b.01': ('a generator that changes x (residual on its logits)', f'{CHEAP} --pairs independent --generator residual --beta 0.01'),
    'lever-shared-residual-b.01': ('both', f'{CHEAP} --pairs shared --generator residual --beta 0.01'),
    'lever-shared-residual-b.1': ('both, beta 0.1', f'{CHEAP} --pairs shared --generator residual --beta 0.1'),
    'lever-shared-residual-b1':  ('both, beta 1 (the ELBO of a Gaussian decoder with variance 1/2)', f'{CHEAP} --pairs shared --generator residual --beta 1'),
    'lever-indep-image-b1':      ('beta 1 alone', f'{CHEAP} --pairs independent --generator image --beta 1'),
    'lever-indep-residual-b1':   ('a residual generator and beta 1 on independent pairs', f'{CHEAP} --pairs independent --generator residual --beta 1'),
    # second round, from the best of the first (shared pairs, residual generator, beta 0.1)
    'lever-shared-residual-b.3':  ('beta 0.3', f'{CHEAP} --pairs shared --generator residual --beta 0.3'),
    'lever-shared-residual-b.1-nocut': ('pairs without Cutout (RandAugment alone: Cutout stays a control on top)',
                                        f'{CHEAP} --pairs shared --generator residual --beta 0.1 --cutout-size 0'),
    'lever-shared-residual-b.3-nocut': ('pairs without Cutout, beta 0.3', f'{CHEAP} --pairs shared --generator residual --beta 0.3 --cutout-size 0'),
    'lever-shared-residual-b.1-z8':   ('latent 8', f'{CHEAP} --pairs shared --generator residual --beta 0.1 --latent-dim 8'),
    'lever-shared-residual-b.1-z128': ('latent 128', f'{CHEAP} --pairs shared --generator residual --beta 0.1 --latent-dim 128'),
    'lever-shared-residual-b.1-small': ('the small preset\'s size (32->8->32, 4 blocks), 1,500 steps',
                                        '--preset small --epochs 10 --steps 150 --pairs shared --generator residual --beta 0.1'),
    'lever-shared-residual-b.1-nocut-paper': ("the paper's architecture (latent 512, 64->16->64, 4 blocks), pairs without Cutout, beta 0.1, 1,500 steps",
                                              '--preset paper --batch-size 64 --epochs 10 --steps 150 --pairs shared --generator residual --beta 0.1 --cutout-size 0'),
}

def done(name): return (OUT/name/'done').exists()

def _exe(): return str(Path(sys.executable).parent/'semiperturb')

def run(name, keep=False):
    what, opts = SETTINGS[name]
    d = OUT/name
    cmd = [_exe(), 'train-cvae', *shlex.split(BASE), *shlex.split(opts), '--out', str(d), '--overwrite', '--quiet']
    print('$', ' '.join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
    (d/'command.txt').write_text('semiperturb ' + ' '.join(shlex.quote(c) for c in cmd[1:]) + '\n')
    diag = [_exe(), 'diagnose', '--cvae', str(d/'cvae.pt'), '--classifier', str(ROOT/'models'/'classifier-fashion-mnist.pt'),
            '--n', '500', '--out', str(d/'diagnose.json'), '--overwrite']
    subprocess.run(diag, check=True)
    if not keep: (d/'cvae.pt').unlink(missing_ok=True)
    (d/'done').write_text('')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*'); p.add_argument('--list', action='store_true'); p.add_argument('--keep', action='store_true')
    a = p.parse_args()
    if a.list or not a.names:
        for k, (what, opts) in SETTINGS.items(): print(f"{'done' if done(k) else '    '}  {k:28s} {what}")
        sys.exit(0)
    if bad := [n for n in a.names if n not in SETTINGS]: sys.exit(f'unknown settings {bad}; see --list')
    for n in a.names:
        if not done(n): run(n, a.keep)
