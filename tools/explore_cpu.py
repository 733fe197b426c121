"""The exploration behind the `cpu` preset of `semiperturb train` (nbs/05_fixmatch.ipynb shows its table and figure).

Each setting is a named `semiperturb train` command line; its run directory (config, metrics with wall-clock
seconds per evaluation, summary with the machine and the git commit) goes to results/cpu-explore/NAME/, without
the checkpoint. A finished setting is never run again; an interrupted one resumes from its checkpoint.

    python tools/explore_cpu.py --list          # the settings and which are done
    python tools/explore_cpu.py NAME [NAME ...] # run these, one after the other, with all the machine's cores
"""
import argparse, json, os, shlex, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'results'/'cpu-explore'
BASE = '--dataset fashion-mnist --batch-size 32 --eval-every 250 --quiet'
# name -> (what it tries, options); every setting is one seed-0 run
SETTINGS = {
    'cnn-mu3-4k-250':       ('small CNN, the old quick preset', '--labels 250 --arch cnn --mu 3 --steps 4000 --lr 0.1 --ema 0.99'),
    'wrn10s2-mu3-3k-250':   ('WRN-10-2, stride-2 stem, lr 0.03', '--labels 250 --arch wrn-10-2-s2 --channels-last --mu 3 --steps 3000 --lr 0.03 --ema 0.99'),
    'wrn10s2-mu3-3k-lr.1-250': ('WRN-10-2, stride-2 stem, lr 0.1', '--labels 250 --arch wrn-10-2-s2 --channels-last --mu 3 --steps 3000 --lr 0.1 --ema 0.99'),
    'wrn10s2-mu7-1500-250': ('WRN-10-2, stride-2 stem, mu 7', '--labels 250 --arch wrn-10-2-s2 --channels-last --mu 7 --steps 1500 --lr 0.03 --ema 0.99'),
    'wrn16s2-mu3-1500-250': ('WRN-16-2, stride-2 stem', '--labels 250 --arch wrn-16-2-s2 --channels-last --mu 3 --steps 1500 --lr 0.03 --ema 0.99'),
    'wrn10-mu3-1000-250':   ('WRN-10-2 at full resolution', '--labels 250 --arch wrn-10-2 --mu 3 --steps 1000 --lr 0.03 --ema 0.99'),
}

def done(name): return (OUT/name/'summary.json').exists()

def run(name, exe=None):
    "Run setting `name` (resuming it if interrupted) and keep its run directory without the checkpoint."
    what, opts = SETTINGS[name]
    d = OUT/name
    exe = exe or str(Path(sys.executable).parent/'semiperturb')
    cmd = [exe, 'train', *shlex.split(BASE), *shlex.split(opts), '--out', str(d)] + (['--resume'] if (d/'checkpoint.pt').exists() else [])
    print('$', ' '.join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)
    (d/'command.txt').write_text('semiperturb ' + ' '.join(shlex.quote(c) for c in cmd[1:]) + '\n')
    (d/'checkpoint.pt').unlink(missing_ok=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*'); p.add_argument('--list', action='store_true')
    a = p.parse_args()
    if a.list or not a.names:
        for k, (what, opts) in SETTINGS.items(): print(f"{'done' if done(k) else '    '}  {k:28s} {what}")
        sys.exit(0)
    if bad := [n for n in a.names if n not in SETTINGS]: sys.exit(f'unknown settings {bad}; see --list')
    for n in a.names:
        if not done(n): run(n)
