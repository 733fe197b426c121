"""The reference classifier of the view diagnostics (nbs/04_perturb.ipynb): a Fashion-MNIST classifier trained once
with all 60,000 labels, supervised only (weak views), small enough to commit.

    python tools/reference_classifier.py     # trains it (minutes on 2 cores) unless models/classifier-fashion-mnist.pt exists

The run directory (config, per-evaluation metrics, summary with the machine and the git commit) is kept in
results/reference-classifier/ without its checkpoint; the EMA weights go to models/classifier-fashion-mnist.pt."""
import json, sys
from dataclasses import asdict
from semiperturb.core import project_root

ROOT = project_root()
MODEL, RUN = ROOT/'models'/'classifier-fashion-mnist.pt', ROOT/'results'/'reference-classifier'
SETTINGS = dict(dataset='fashion-mnist', labels=None, lambda_u=0., arch='wrn-10-2-s2', batch_size=128, steps=4000, lr=0.1,
                ema=0.999, eval_every=500, channels_last=True, bf16=False, preset='cpu')

if __name__ == '__main__':
    if MODEL.exists(): sys.exit(f'{MODEL} exists; delete it to train again')
    from semiperturb.data import load_dataset
    from semiperturb.models import save_classifier
    from semiperturb.fixmatch import FixMatchConfig, fit, summarize
    from semiperturb.experiments import check_provenance
    check_provenance()
    cfg, data = FixMatchConfig(**SETTINGS), load_dataset('fashion-mnist', download=False)
    t = fit(cfg, RUN, data=data, quiet=True, resume=(RUN/'checkpoint.pt').exists())
    s = json.loads((RUN/'summary.json').read_text())
    save_classifier(t.ema.model, MODEL, cfg.arch, data.name, data.shape, data.mean, data.std, config=asdict(cfg), summary=s)
    (RUN/'checkpoint.pt').unlink()
    print(f"{MODEL}: test accuracy {100*s['accuracy']:.2f}% after {s['steps']} steps ({s['seconds']:.0f} s)")
