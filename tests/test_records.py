"""The committed run records and the commands that made them agree. Every setting of tools/explore_cpu.py (a config
file in configs/cpu-explore/) that has a record (results/cpu-explore/, results/cpu-preset/) must, run again today,
build the config its record saved: a change of a preset (the `cpu` preset's tau, say) must not silently change what a recorded setting means. The one
allowed difference: tau in a supervised-only record (lambda_u 0), which never reads it (05_fixmatch tests that)."""
import importlib.util, json
from dataclasses import fields
from pathlib import Path
import pytest

from semiperturb.core import project_root

ROOT = project_root()
_spec = importlib.util.spec_from_file_location('explore_cpu', ROOT/'tools'/'explore_cpu.py')   # not via sys.path: tools/ holds
explore_cpu = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(explore_cpu)      # scripts, not a package
from semiperturb.fixmatch import FixMatchConfig, PRESETS

RUNTIME = {'device', 'world_size', 'data_dir'}   # where a run ran, not what it computed
RECORDED = [n for n in explore_cpu.SETTINGS if (explore_cpu.out_dir(n)/'config.json').exists()]

def config_diff(rec:dict, cfg:FixMatchConfig, skip=RUNTIME) -> dict:
    "field -> (recorded, rebuilt) for every field of `rec` that `cfg` sets otherwise, fields in `skip` aside."
    return {f.name: (rec[f.name], getattr(cfg, f.name)) for f in fields(FixMatchConfig)
            if f.name in rec and f.name not in skip and rec[f.name] != getattr(cfg, f.name)}

def test_records_are_there():
    assert len(RECORDED) >= 60 and any(n.startswith('preset-') for n in RECORDED)

@pytest.mark.parametrize('name', RECORDED)
def test_setting_rebuilds_its_record(name):
    rec, cfg = json.loads((explore_cpu.out_dir(name)/'config.json').read_text()), explore_cpu.setting_config(name)
    diff = config_diff(rec, cfg, RUNTIME | ({'threshold'} if rec['lambda_u'] == 0 else set()))
    assert not diff, f'{name}: recorded vs rebuilt {diff}'

def test_a_changed_preset_is_caught(monkeypatch):
    "The check above fails when a preset value moves under a recorded setting."
    name = 'wallclock-preset-250-seed0'                                  # `preset = "cpu"`, its EMA decay from the preset
    rec = json.loads((explore_cpu.out_dir(name)/'config.json').read_text())
    monkeypatch.setitem(PRESETS['cpu'], 'ema', 0.999)                    # the preset's value moves under the setting
    assert explore_cpu.setting_config(name).ema != rec['ema']

def test_tau95_records_differ_from_the_preset_only_in_tau():
    "results/cpu-preset-tau.95/ holds the preset's FixMatch records from before it chose tau 0.9: the same runs but for tau."
    runs = sorted((ROOT/'results'/'cpu-preset-tau.95').iterdir())
    assert [d.name for d in runs] == sorted(n.removeprefix('preset-') for n in explore_cpu.SETTINGS if n.startswith('preset-fixmatch-'))
    for d in runs:
        rec, cfg = json.loads((d/'config.json').read_text()), explore_cpu.setting_config('preset-' + d.name)
        assert (diff := config_diff(rec, cfg)) == {'threshold': (0.95, 0.9)}, (d.name, diff)
