"""The measurements behind the CVAE committed in models/ (nbs/03_cvae.ipynb shows their curves and samples).

Each setting is a named `semiperturb train-cvae` command line; its output (metrics.jsonl: per epoch the training
and held-out reconstruction error and KL, and wall-clock seconds) goes to results/cvae-explore/NAME/, without the
model unless --keep. A finished setting is never run again.

    python tools/explore_cvae.py --list
    python tools/explore_cvae.py NAME [NAME ...] [--keep]
"""
import argparse, shlex, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'results'/'cvae-explore'
BASE = '--dataset fashion-mnist --seed 0'
# name -> (what it tries, options)
SETTINGS = {
    'small-indep-2k':  ('the old small model (latent 32, 16->8->16, 2 blocks), independent pairs, 2,000 steps',
                        '--preset small --epochs 10 --steps 200 --pairs independent'),
    'small-shared-2k': ('the same on shared (photometric) pairs', '--preset small --epochs 10 --steps 200 --pairs shared'),
    'b4-indep-2k':     ('4 blocks (receptive field 21 px instead of 13), independent pairs',
                        '--preset small --blocks 4 --epochs 10 --steps 200 --pairs independent'),
    'w32b4-indep-2k':  ('width 32 (32->8->32), 4 blocks, independent pairs',
                        '--preset small --width 32 --blocks 4 --epochs 10 --steps 200 --pairs independent'),
}

def done(name): return (OUT/name/'done').exists()

def run(name, keep=False):
    what, opts = SETTINGS[name]
    d = OUT/name
    cmd = [str(Path(sys.executable).parent/'semiperturb'), 'train-cvae', *shlex.split(BASE), *shlex.split(opts), '--out', str(d), '--overwrite']
    print('$', ' '.join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
    (d/'command.txt').write_text('semiperturb ' + ' '.join(shlex.quote(c) for c in cmd[1:]) + '\n')
    if not keep: (d/'cvae.pt').unlink(missing_ok=True)
    (d/'done').write_text('')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*'); p.add_argument('--list', action='store_true'); p.add_argument('--keep', action='store_true')
    a = p.parse_args()
    if a.list or not a.names:
        for k, (what, opts) in SETTINGS.items(): print(f"{'done' if done(k) else '    '}  {k:18s} {what}")
        sys.exit(0)
    if bad := [n for n in a.names if n not in SETTINGS]: sys.exit(f'unknown settings {bad}; see --list')
    for n in a.names:
        if not done(n): run(n, a.keep)
