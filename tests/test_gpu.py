"The GPU evidence command (`make gpu`, tools/gpu_evidence.py) refuses cleanly where there is no CUDA GPU."
import subprocess, sys
import pytest, torch
from semiperturb.core import project_root

ROOT = project_root()

@pytest.mark.skipif(torch.cuda.is_available(), reason='a CUDA GPU is visible: `make gpu` would run for real')
def test_gpu_evidence_refuses_without_cuda(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'gpu_evidence.py')], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'no CUDA GPU' in r.stderr and r.stdout == ''
    assert not (ROOT/'results'/'gpu').exists() or not any((ROOT/'results'/'gpu').glob('*cpu*'))   # nothing written
