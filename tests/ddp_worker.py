"""Run by tests/test_ddp.py under `torchrun --nproc_per_node 2` (gloo on the CPU): `python ddp_worker.py MODE OUT`.

MODE `first-step`: one FixMatch step; each process saves its batch, labels, loss and the weights after the step.
MODE `resume`: a run of 6 steps, and the same run stopped after its first evaluation and resumed (both written to OUT).
Either ends with `leave_distributed()`, as a script that trains under torchrun should, and checks that it left no gloo thread
running (a process that exits with them may abort: `terminate called without an active exception`)."""
import sys
from pathlib import Path
import torch
from semiperturb.core import SemiperturbError
from semiperturb.data import ImageData
from semiperturb.loop import Callback, CancelFitException
from semiperturb.fixmatch import FixMatchConfig, Trainer, fit, leave_distributed

def tiny_data(n=64, shape=(1, 12, 12), k=4):
    "`n` random uint8 images of `shape` in `k` balanced classes, and as many test images."
    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, 256, (2 * n, *shape), dtype=torch.uint8, generator=g), torch.arange(2 * n) % k
    return ImageData('tiny', x[:n], y[:n], x[n:], y[n:], [str(c) for c in range(k)], (0.5,), (0.29,))

# threshold 0: every pseudo-label counts, so the unlabeled loss (and its gradient) is part of what is compared
CFG = dict(dataset='tiny', arch='cnn', labels=16, batch_size=4, mu=2, steps=6, eval_every=2, threshold=0., device='cpu')

def gloo_threads() -> list:
    "The names of this process's gloo threads (Linux's /proc)."
    return [n for p in Path('/proc/self/task').glob('*/comm') if 'gloo' in (n := p.read_text().strip())]

class Spy:
    "A sampler that remembers the labels of the last batch it gave."
    def __init__(self, s): self.s = s
    def __next__(self): x, self.y = next(self.s); return x, self.y

class StopAfter(Callback):
    order = 20  # after RunDir has written the checkpoint
    def __init__(self, step): self.at = step
    def after_eval(self):
        if self.trainer.step >= self.at: raise CancelFitException()

if __name__ == '__main__':
    mode, out = sys.argv[1], Path(sys.argv[2])
    cfg = FixMatchConfig(**CFG, world_size=2)
    if mode == 'first-step':
        t = Trainer(cfg, tiny_data())
        t.lab = Spy(t.lab)
        t.one_step()
        torch.save(dict(xb=t.xb, yl=t.lab.y, loss=t.loss.detach(), params=[p.detach().clone() for p in t.model.parameters()]),
                   out/f'rank{t.rank}.pt')
    elif mode == 'resume':
        fit(cfg, out/'full', tiny_data(), quiet=True)
        t = fit(cfg, out/'resumed', tiny_data(), quiet=True, cbs=[StopAfter(2)])
        assert t.step == 2, t.step                                     # every process stopped with rank 0
        fit(cfg, out/'resumed', tiny_data(), quiet=True, resume=True)
    if Path('/proc/self/task').is_dir():
        assert gloo_threads(), 'no gloo thread to check'
        leave_distributed()
        assert not gloo_threads(), f'leave_distributed left {gloo_threads()} running'
    else: leave_distributed()
    if mode == 'first-step':                                           # its processes have left: the Trainer says so, and trains no more
        try: t.one_step(); raise AssertionError('a step after leave_distributed')
        except SemiperturbError as e: assert 'leave_distributed' in str(e), e
