"""A study of 06_experiments (`semiperturb study --preset cpu`: study v2) in parallel one-thread processes, resumable.

One `semiperturb study` process per run (column, label count, seed), --jobs at a time, each on one torch thread
(OMP_NUM_THREADS=1), column by column: every seed of a column completes before the next column starts, so a study
stopped part-way holds whole, paired columns (supervised and FixMatch first: the comparison every other column needs).
A run whose record exists is never made again; an interrupted one resumes from its last checkpoint (OUT/runs/, not
committed). Run it from a clean checkout, so every record names committed code.

    python tools/run_study.py --list                      # the jobs, and how many of their records exist
    python tools/run_study.py [--jobs 2] [--deadline SECONDS] [--preset cpu] [--out results/cpu-study-v2] [--device cpu]
    python tools/run_study.py --variants cvae-cutout cvae-smooth-1.22   # only these columns, in this order
"""
import argparse, math, os, subprocess, sys, time
from pathlib import Path

from semiperturb.core import project_root

ROOT = project_root()

def pool(cmds:dict, jobs:int, left, env:dict, log):
    "Run the command lines `cmds` (name -> argv), `jobs` at a time; those still running when `left()` reaches 0 are stopped."
    todo, running, rc = list(cmds.items()), {}, {}
    while todo or running:
        while todo and len(running) < jobs and left() > 0:
            name, cmd = todo.pop(0)
            running[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if left() <= 0: todo = []
        for name, pr in list(running.items()):
            if pr.poll() is not None: rc[name] = pr.returncode; del running[name]
            elif left() <= 0: os.killpg(pr.pid, 9); pr.wait(); rc[name] = 'stopped at the deadline'; del running[name]
        time.sleep(0.5)
    return rc

def exe(name:str='semiperturb') -> list:
    "The console script `name` beside this Python, else the module that holds it (where the package is on PYTHONPATH only)."
    p = Path(sys.executable).parent/name
    return [str(p)] if p.exists() else [sys.executable, '-m', {'semiperturb': 'semiperturb.cli'}.get(name, name)]

def _runs(preset:str, variants=None):
    "(variant, labels, seed) of every run of study `preset` (or of its `variants`, in that order), column by column."
    from semiperturb.experiments import STUDY_PRESETS
    p = STUDY_PRESETS[preset]
    seeds = p['seeds'] if isinstance(p['seeds'], dict) else {n: p['seeds'] for n in p['labels']}
    pairs = sorted(((s, n) for n in p['labels'] for s in seeds[n]), key=lambda t: (t[0], -t[1]))
    return [(v, n, s) for v in (variants or p['variants']) for s, n in pairs]

def _name(v, n, s): return f'{v}, {n} labels, seed {s}'

def study_jobs(preset:str='cpu', out=ROOT/'results'/'cpu-study-v2', device:str='cpu', steps:int=None, variants=None) -> dict:
    "name -> `semiperturb study` argv for every run of study `preset`, column by column."
    extra = ['--steps', str(steps)] if steps else []
    return {_name(v, n, s): exe() + ['study', '--preset', preset, '--device', device, '--labels', str(n), '--seeds', str(s),
                                     '--variants', v, '--out', str(out), *extra] for v, n, s in _runs(preset, variants)}

def count(preset, out, variants=None) -> dict:
    "name -> 1 where the run's record exists, else 0."
    from semiperturb.experiments import run_id
    return {_name(v, n, s): int((Path(out)/'results'/f"{run_id('fashion-mnist', n, v, s)}.json").exists())
            for v, n, s in _runs(preset, variants)}

def write_table(preset, out):
    "OUT/results/table.md from every record there (each `semiperturb study` call writes the table of its own runs only)."
    from semiperturb.experiments import STUDY_PRESETS, load_records, study_table
    from semiperturb.core import write_atomic
    recs, base = load_records(Path(out)/'results'), STUDY_PRESETS[preset]['base']
    if not recs: return
    table = '\n\n'.join(f"**fashion-mnist, {n} labels** ({base['arch']}, {base['steps']} steps)\n\n" + study_table(recs, n)
                         for n in STUDY_PRESETS[preset]['labels'])
    write_atomic(Path(out)/'results'/'table.md', table + '\n')

def main(argv=None):
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--preset', default='cpu'); a.add_argument('--out', default=str(ROOT/'results'/'cpu-study-v2'))
    a.add_argument('--device', default='cpu'); a.add_argument('--jobs', type=int, default=2)
    a.add_argument('--deadline', type=float, default=None, help='seconds after which nothing new starts and running jobs are stopped')
    a.add_argument('--list', action='store_true')
    a.add_argument('--variants', nargs='+', default=None, help="columns to run, in this order (default: the preset's, all)")
    a = a.parse_args(argv)
    from semiperturb.experiments import STUDY_PRESETS
    if a.preset not in STUDY_PRESETS: sys.exit(f'unknown study preset {a.preset!r}: use one of {", ".join(STUDY_PRESETS)}')
    bad = [v for v in a.variants or [] if v not in STUDY_PRESETS[a.preset]['variants']]
    if bad: sys.exit(f'unknown column {bad[0]!r} of study preset {a.preset!r}: use some of {", ".join(STUDY_PRESETS[a.preset]["variants"])}')
    have = count(a.preset, a.out, a.variants)
    if a.list:
        for k in study_jobs(a.preset, a.out, a.device, variants=a.variants): print(f"{k:45s} {'done' if have[k] else 'to run'}")
        print(f'{sum(have.values())} of {len(have)} records')
        return 0
    todo = {k: v for k, v in study_jobs(a.preset, a.out, a.device, variants=a.variants).items() if not have[k]}
    t0 = time.time()
    left = lambda: math.inf if a.deadline is None else a.deadline - (time.time() - t0)
    (Path(a.out)/'runs').mkdir(parents=True, exist_ok=True)
    with open(Path(a.out)/'runs'/'log.txt', 'a') as log:                          # runs/ is not committed; the records are
        rc = pool(todo, a.jobs, left, {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}, log)
    write_table(a.preset, a.out)
    print(f'run_study: {rc} in {time.time() - t0:.0f} s')
    return 0 if all(v == 0 for v in rc.values()) else 1

if __name__ == '__main__': sys.exit(main())
