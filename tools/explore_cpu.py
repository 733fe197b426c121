"""The exploration behind the `cpu` preset of `semiperturb train` (nbs/06a_cpu_preset.ipynb shows its table and figure).

Each setting is a config file, configs/cpu-explore/NAME.toml (the `cpu` preset, the fields it changes and a
`description` of what it tries), which `semiperturb train --config FILE` reads; its run directory (config, metrics
with wall-clock seconds per evaluation, summary with the machine and the git commit) goes to
results/cpu-explore/NAME/, without the checkpoint. A finished setting is never run again; an interrupted one resumes
from its checkpoint.

    python tools/explore_cpu.py --list          # the settings and which are done
    python tools/explore_cpu.py NAME [NAME ...] # run these, one after the other, with all the machine's cores
    python tools/explore_cpu.py --time NAME ... # time their training step and evaluation, side by side (a quiet machine!)
    python tools/explore_cpu.py --preset-records # the cpu preset's missing records (results/cpu-preset/)

Accuracy does not depend on what else the machine was doing (the CPU computation is deterministic), but the
runs' wall-clock seconds do; `--time` measures each setting's seconds per step and per evaluation interleaved in
one process on an otherwise idle machine and writes results/cpu-explore/timing/cpu-explore-timing-DATE.json, from
which the notebook turns steps into minutes.
"""
import argparse, json, shlex, subprocess, sys
from pathlib import Path

from semiperturb.core import project_root

ROOT = project_root()
OUT = ROOT/'results'/'cpu-explore'
TIMING = OUT/'timing'                                       # the timing records (`--time`)
CONFIGS = ROOT/'configs'/'cpu-explore'                      # one config file per setting
BASE = ['--quiet']                                          # every run: `semiperturb train --config FILE --quiet`
PRESET_OUT = ROOT/'results'/'cpu-preset'                    # the records of the chosen `cpu` preset (preset-*)
# Thread settings, timing only: torch's intra-op threads for the preset's step (the runs use every core, two here).
# Also two one-thread runs at once, one per core (06a_cpu_preset): the same command twice, started together,
#   python tools/explore_cpu.py --time time-preset-1-thread --time-out results/cpu-explore/timing/cpu-explore-timing-threads-parallel-a-2026-11-26.json &
#   python tools/explore_cpu.py --time time-preset-1-thread --time-out results/cpu-explore/timing/cpu-explore-timing-threads-parallel-b-2026-11-26.json & wait
THREADS = {'time-preset-1-thread': 1, 'time-preset-2-threads': 2}

def settings(folder=CONFIGS) -> dict:
    "Setting name -> its config file, for every `*.toml` in `folder`."
    return {p.stem: p for p in sorted(Path(folder).glob('*.toml'))}

SETTINGS = settings()

def describe(name) -> str:
    "What setting `name` tries: its config file's `description`."
    from semiperturb.fixmatch import _tomllib
    return _tomllib().loads(SETTINGS[name].read_text()).get('description', '')

def out_dir(name):
    return PRESET_OUT/name.removeprefix('preset-') if name.startswith('preset-') else OUT/name

def done(name):
    return (out_dir(name)/'summary.json').exists()

def command(name, exe='semiperturb') -> list:
    "The `semiperturb train` command line of setting `name` (resuming its run if it has a checkpoint)."
    d = out_dir(name)
    if (d/'checkpoint.pt').exists(): return [exe, 'train', '--resume', *BASE, '--out', str(d)]   # its own config.json
    return [exe, 'train', '--config', str(SETTINGS[name].relative_to(ROOT)), *BASE, '--out', str(d)]

def run(name, exe=None):
    "Run setting `name` (resuming it if interrupted) and keep its run directory without the checkpoint."
    d = out_dir(name)
    cmd = command(name, exe or str(Path(sys.executable).parent/'semiperturb'))
    print('$', ' '.join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    (d/'command.txt').write_text('semiperturb ' + ' '.join(shlex.quote(c) for c in cmd[1:]) + '\n')
    (d/'checkpoint.pt').unlink(missing_ok=True)

def setting_config(name):
    "The `FixMatchConfig` that setting `name` builds (what `run` would start), from its config file."
    from semiperturb.fixmatch import train_config
    return train_config(config=SETTINGS[name])

def time_settings(names, steps=20, warmup=5, repeats=3, out=None):
    "Seconds per training step (with callbacks) and per evaluation of each setting, timed interleaved; writes a record."
    import datetime, statistics, time, torch
    from semiperturb.core import environment
    from semiperturb.data import load_dataset
    from semiperturb.fixmatch import Trainer, train_config
    data = load_dataset('fashion-mnist', download=False)
    trainers, threads = {}, torch.get_num_threads()
    for n in names:
        if (out_dir(n)/'config.json').exists(): cfg = train_config(config=out_dir(n), device='cpu')   # what the run used, on this CPU
        else: cfg = setting_config(n)
        torch.set_num_threads(THREADS.get(n, threads))
        t = trainers[n] = Trainer(cfg, data)
        t('before_fit')
        for _ in range(warmup): t._with_events(t.one_step, 'step')
    step_s, eval_s = {n: [] for n in names}, {n: [] for n in names}
    for _ in range(repeats):
        for n, t in trainers.items():
            torch.set_num_threads(THREADS.get(n, threads))
            t0 = time.perf_counter()
            for _ in range(steps): t._with_events(t.one_step, 'step')
            t1 = time.perf_counter()
            t._do_eval()
            t2 = time.perf_counter()
            step_s[n].append((t1 - t0) / steps)
            eval_s[n].append(t2 - t1)
    torch.set_num_threads(threads)
    rows = {n: dict(setting=str(SETTINGS[n].relative_to(ROOT)), threads=THREADS.get(n, threads),
                    step_seconds=statistics.median(step_s[n]), eval_seconds=statistics.median(eval_s[n]),
                    all_step_seconds=step_s[n], all_eval_seconds=eval_s[n]) for n in names}
    rec = dict(date=datetime.date.today().isoformat(), what='seconds per training step and per evaluation of cpu-explore settings',
               command='python tools/explore_cpu.py --time ' + ' '.join(names), steps=steps, warmup=warmup, repeats=repeats,
               environment=environment('cpu'), rows=rows)
    out = Path(out or TIMING/f"cpu-explore-timing-{rec['date']}.json")
    if out.exists(): sys.exit(f'{out} exists; remove it or pass another name')
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=1) + '\n')
    for n, r in rows.items(): print(f"{n:28s} {1/r['step_seconds']:6.2f} steps/s  eval {r['eval_seconds']:5.1f} s")
    print(f'wrote {out}')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*')
    p.add_argument('--list', action='store_true')
    p.add_argument('--time', action='store_true', help='time the named settings instead of running them')
    p.add_argument('--time-out', help='the timing record to write (default results/cpu-explore/timing/cpu-explore-timing-DATE.json)')
    p.add_argument('--preset-records', action='store_true', help="run the cpu preset's missing records (results/cpu-preset/)")
    a = p.parse_args()
    if a.preset_records:
        a.names = [n for n in SETTINGS if n.startswith('preset-') and not done(n)]
        if not a.names:
            print('every record of the cpu preset is there')
            sys.exit(0)
    if bad := [n for n in a.names if n not in SETTINGS]: sys.exit(f'unknown settings {bad}; see --list')
    if a.time:
        time_settings(a.names or list(SETTINGS), out=a.time_out)
        sys.exit(0)
    if a.list or not a.names:
        for k in SETTINGS: print(f"{'done' if done(k) else '    '}  {k:28s} {describe(k)}")
        sys.exit(0)
    for n in a.names:
        if not done(n): run(n)
