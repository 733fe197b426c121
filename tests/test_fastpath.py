"""The fast path proven on CPU: a training step's augmentation and CVAE views, given their random draws, compile with
`torch.compile(fullgraph=True)`. That mode raises on any graph break, so a compile that succeeds shows that the code
reads no tensor value on the host and has no shape that depends on one: nothing makes the host wait for the device.
Compiled and eager outputs must agree. One compile per function, on 8 images 1×28×28 (tens of seconds on a CPU)."""
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
