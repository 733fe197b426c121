"""The fast path proven on CPU: a training step's augmentation and CVAE views, given their random draws, compile with
`torch.compile(fullgraph=True)`. That mode raises on any graph break, so a compile that succeeds shows that the code
reads no tensor value on the host and has no shape that depends on one: nothing makes the host wait for the device.
Compiled and eager outputs must agree. One compile per function, on 8 images 1×28×28 (tens of seconds on a CPU).
The last test trains with every fast switch at once (compile, bf16, channels-last, fused SGD) against float32 eager."""
import pytest, torch
from semiperturb.augment import OPS, draw_weak, apply_weak, draw_strong, apply_strong
from semiperturb.cvae import make_cvae, cvae_config

@pytest.fixture(autouse=True)
def fresh_compiler(tmp_path, monkeypatch):
    "Each test compiles from scratch, on one thread, with the compiler's cache in the test's own folder."
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', str(tmp_path/'inductor'))
    threads = torch.get_num_threads(); torch.set_num_threads(1)
    torch._dynamo.reset()
    with torch._inductor.config.patch(compile_threads=1): yield
    torch._dynamo.reset(); torch.set_num_threads(threads)

def images(n=8, seed=0):
    "`n` random 1×28×28 images on the 0..255 grid."
    return torch.randint(0, 256, (n, 1, 28, 28), generator=torch.Generator().manual_seed(seed)).float() / 255

def test_weak_view_compiles():
    "The weak view (flip and reflect-padded shift) is pure indexing: compiled, it is bit for bit the eager view."
    x, g = images(), torch.Generator().manual_seed(0)
    fast = torch.compile(apply_weak, fullgraph=True)
    for _ in range(2):                                   # a new draw reuses the compiled graph
        p = draw_weak(x, generator=g)
        assert torch.equal(fast(x, **p), apply_weak(x, **p))

def test_strong_view_compiles():
    "Flip and shift, RandAugment with every one of the 14 ops, Cutout: one graph, the eager result, no recompile."
    x, g = images(), torch.Generator().manual_seed(0)
    p = draw_strong(x, g)
    p['idx'] = torch.tensor([[-1, 0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13, -1]])  # every op, and none
    assert len(OPS) == 14
    fast = torch.compile(apply_strong, fullgraph=True)
    err = (fast(x, **p) - apply_strong(x, **p)).abs()
    # float rounding; the geometric ops' sampling positions may round differently and flip a nearest-pixel tie
    assert (err > 1e-5).float().mean() <= 0.01, (err > 1e-5).float().mean()
    with torch._dynamo.config.patch(error_on_recompile=True):  # the graph does not depend on the values drawn
        q = draw_strong(x, g)
        err = (fast(x, **q) - apply_strong(x, **q)).abs()
    assert (err > 1e-5).float().mean() <= 0.01, (err > 1e-5).float().mean()

def test_cvae_views_compile():
    "The CVAE's view, decode(mu_p + sigma_p·u, x) for pre-drawn noise `u` (what `sample_views` computes), compiles."
    torch.manual_seed(0)
    cvae = make_cvae((1, 28, 28), cvae_config('small', latent_dim=4, big_ch=4, small_ch=2, nblocks=1)).eval()
    def view(x, u): return cvae.decode(cvae.reparameterize(*cvae.prior(x), u), x)
    x, u = images(), torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y, ye = torch.compile(view, fullgraph=True)(x, u), view(x, u)
    assert y.shape == x.shape
    torch.testing.assert_close(y, ye, atol=1e-5, rtol=1e-4)

def tiny_data(n=64, k=4):
    "`n` random uint8 1×16×16 images in `k` balanced classes, as an `ImageData` (and as many test images)."
    from semiperturb.data import ImageData
    x = torch.randint(0, 256, (2 * n, 1, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    y = torch.arange(2 * n) % k
    return ImageData('tiny', x[:n], y[:n], x[n:], y[n:], [str(c) for c in range(k)], (0.5,), (0.29,))

def test_every_fast_switch_trains_on_cpu():
    """compile (strict), bf16 autocast, channels-last and fused SGD together, on the CPU: the compiler really compiled the
    classifier and both augmentations' apply halves (no fallback, no graph break), and each of 4 steps' losses is within
    2% of an eager float32 run from the same seed (same weights, batches and random draws). Why 2%: bfloat16 keeps 8
    significant bits, so every input of a convolution or linear layer is rounded by up to 2^-8 ≈ 0.4%; the small CNN has
    four such layers, and after the first step the weights differ by what bf16 gradients changed. (The loss itself is
    computed in float32 from the logits. Observed: at most 0.2%.) Threshold 0 puts the unlabeled loss in the comparison."""
    from torch._dynamo.utils import counters
    from semiperturb.fixmatch import FixMatchConfig, Trainer
    base = dict(dataset='tiny', arch='cnn', labels=16, batch_size=8, mu=1, steps=100, threshold=0., device='cpu')
    def losses(**kw):
        t = Trainer(FixMatchConfig(**base, **kw), tiny_data())
        return [(t.one_step(), t.loss.item())[1] for _ in range(4)], t
    ref, _ = losses(bf16=False, channels_last=False, sgd_impl='loop')
    counters.clear()
    fast, t = losses(compile=True, compile_strict=True, bf16=True, channels_last=True, sgd_impl='fused')
    assert t.fwd.compiled is True and t.opt.defaults['fused'] and t.xb.is_contiguous(memory_format=torch.channels_last)
    assert counters['stats']['unique_graphs'] >= 3 and not counters['graph_break']     # classifier, weak apply, strong apply
    for a, b in zip(ref, fast): assert abs(a - b) <= 0.02 * abs(a), (ref, fast)
    assert ref != fast                                                                  # bf16 did run: the losses are not float32's
