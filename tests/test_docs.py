"""The documentation site in a real browser: build it (tools/docsite.py), serve it on 127.0.0.1, open every page in
headless Chromium, follow every on-site link and image, and screenshot the home page.

Chromium is looked up as $CHROMIUM, then `chromium`, `chromium-browser`, `google-chrome` (`make test` installs
Debian's `chromium`). Set SEMIPERTURB_SCREENSHOT=path/home.png to keep the screenshot (and path/home-math.png, the
page of a small synthetic notebook with TeX math, rendered to MathML at build time)."""
import functools, http.server, json, os, re, shutil, subprocess, tempfile, threading, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlparse
import pytest
from semiperturb.core import project_root
from tools import docsite

ROOT = project_root()
PNG = b'\x89PNG\r\n\x1a\n'

def find_chromium():
    "A Chromium (or Chrome) executable, or None."
    for c in [os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable',
              '/usr/bin/chromium', '/usr/lib/chromium/chromium']:
        if c and (shutil.which(c) or (Path(c).is_file() and os.access(c, os.X_OK))): return shutil.which(c) or c

def chromium(exe, url, *args, timeout=60) -> str:
    "Run headless Chromium on `url` with a fresh profile and extra `args` (e.g. --dump-dom); returns stdout."
    with tempfile.TemporaryDirectory(prefix='sp-chromium-') as profile:
        cmd = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--disable-dev-shm-usage', '--hide-scrollbars', f'--user-data-dir={profile}', *args, url]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f'chromium failed on {url}:\n{r.stderr[-2000:]}'
        return r.stdout

class _Links(HTMLParser):
    "The `href`s and `src`s of a page, and its element ids."
    def __init__(self):
        super().__init__(); self.refs, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag in ('a', 'link') and a.get('href'): self.refs.append((tag, a['href']))
        if tag in ('img', 'script') and a.get('src'): self.refs.append((tag, a['src']))

def _parse(html):
    p = _Links(); p.feed(html); return p

def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r: return r.status, r.read()
    except urllib.error.HTTPError as e: return e.code, b''

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site, built once per test session: pytest-xdist workers share one build (the first one builds it)."
    base = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'): base = base.parent
    out, done = base/'docs-site'/'_docs', base/'docs-site'/'done'
    try: (base/'docs-site').mkdir()
    except FileExistsError:  # another worker builds it
        for _ in range(600):
            if done.exists(): break
            time.sleep(0.5)
        if not done.exists(): pytest.fail('timed out waiting for another worker to build the docs')
        if done.read_text() != 'ok': pytest.fail(f'the docs build failed in another worker:\n{done.read_text()}')
        return out
    try: docsite.build(out=out); done.write_text('ok')
    except Exception as e: done.write_text(repr(e)); raise
    return out

@pytest.fixture(scope='module')
def base_url(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    httpd.shutdown(); httpd.server_close()

@pytest.fixture(scope='module')
def crawl(base_url):
    "Every on-site URL reachable from the home page: {url: (status, body)}, plus the links that point at anchors."
    seen, todo, anchors = {}, [base_url + 'index.html'], []
    while todo:
        url = todo.pop()
        if url in seen: continue
        seen[url] = _get(url)
        status, body = seen[url]
        if status != 200 or not url.endswith('.html'): continue
        for tag, ref in _parse(body.decode()).refs:
            full, frag = urldefrag(urljoin(url, ref))
            if urlparse(full).netloc != urlparse(base_url).netloc: continue  # off-site (GitHub, Colab badge)
            if frag and full.endswith('.html'): anchors.append((url, full, frag))
            if full not in seen: todo.append(full)
    return seen, anchors

def test_site_pages(site):
    "One page per notebook, named as Quarto names it, plus search and the copied figures."
    for nb in docsite.notebooks(): assert (site/f'{docsite.page_name(nb)}.html').is_file(), nb.name
    assert (site/'search'/'search_index.json').is_file() or (site/'search'/'search_index.js').is_file()
    for png in (ROOT/'images').glob('*.png'): assert (site/'images'/png.name).read_bytes() == png.read_bytes()

def test_navigation_in_pipeline_order(site):
    "The sidebar lists index first, then the notebooks in file order."
    html = (site/'index.html').read_text()
    want = [f'{docsite.page_name(nb)}.html' for nb in docsite.notebooks()]
    nav = html[html.index('md-nav--primary'):]
    pos = [nav.find(f'href="{w}"') for w in want]
    assert all(p >= 0 for p in pos), dict(zip(want, pos))
    assert pos == sorted(pos), f'nav order {pos} for {want}'

def test_links_resolve(crawl, site):
    "Every on-site <a href>, <link href>, <img src> and <script src> answers 200, and every #anchor exists."
    seen, anchors = crawl
    bad = {u: s for u, (s, _) in seen.items() if s != 200}
    assert not bad, f'broken links: {bad}'
    pages = {u for u in seen if u.endswith('.html')}
    assert {Path(urlparse(u).path).name for u in pages} >= {f'{docsite.page_name(nb)}.html' for nb in docsite.notebooks()}
    ids = {u: _parse(seen[u][1].decode()).ids for u in pages}
    missing = [f'{src} -> {dst}#{frag}' for src, dst, frag in anchors if frag not in ids.get(dst, set())]
    assert not missing, 'links to missing anchors:\n' + '\n'.join(missing)

def test_figures(crawl):
    "Figures referenced by the notebooks (../images/*.png) and their stored output figures load as PNGs."
    seen, _ = crawl
    imgs = {u: b for u, (s, b) in seen.items() if re.search(r'/(images|figures)/[^/]+\.png$', u)}
    for u, b in imgs.items(): assert b.startswith(PNG) and len(b) > 100, f'{u} is not a PNG'
    served = {urlparse(u).path.split('/', 1)[1] for u in imgs}
    for nb in docsite.notebooks():
        cells = json.loads(nb.read_text())['cells']
        srcs = ''.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
        for name in re.findall(r'\.\./images/([\w.-]+\.png)', srcs):
            assert f'images/{name}' in served, f'{nb.name} shows ../images/{name}, which the site does not serve'
        if any('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', [])):
            assert any(s.startswith(f'figures/{docsite.page_name(nb)}_') for s in served), f'{nb.name} lost its figures'

def test_readme_is_home_page(site):
    "README.md (rendered from index.ipynb) and the home page carry the same headings, code and figures."
    readme, home = (ROOT/'README.md').read_text(), (site/'index.html').read_text()
    text = re.sub(r'<[^>]+>', '', home)
    import html as _html; text = _html.unescape(text)
    for h in re.findall(r'^#+ (.+)$', re.sub(r'```.*?```', '', readme, flags=re.S), flags=re.M):
        assert h.replace('`', '').strip() in text, f'README heading {h!r} is not on the home page'
    for block in re.findall(r'```\w*\n(.*?)```', readme, flags=re.S):
        first = block.strip().splitlines()[0].strip()
        assert first in text, f'README code {first!r} is not on the home page'
    for img in re.findall(r'\]\((images/[^)\s]+)', readme): assert f'src="{img}"' in home, img

def test_quarto_config_kept():
    "nbdev's own Quarto setup stays, so `nbdev_docs` builds the same site where Quarto is installed."
    cfg = docsite.settings()
    assert (ROOT/'nbs'/'_quarto.yml').is_file()
    assert cfg['doc_host'] + cfg['doc_baseurl'] in (ROOT/'nbs'/'nbdev.yml').read_text()

def test_pages_in_chromium(crawl, base_url, tmp_path):
    "Each page opens in headless Chromium with its JavaScript running; the home page is screenshot."
    exe = find_chromium()
    if not exe: pytest.skip('no Chromium found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome): `make test` installs Debian\'s chromium where apt-get exists')
    seen, _ = crawl
    pages = sorted(u for u, (s, _) in seen.items() if s == 200 and u.endswith('.html') and not u.endswith('404.html'))
    with ThreadPoolExecutor(2) as ex: doms = dict(zip(pages, ex.map(lambda u: chromium(exe, u, '--dump-dom'), pages)))
    for url, dom in doms.items():
        h1 = re.search(r'<h1[^>]*>(.*?)</h1>', seen[url][1].decode(), flags=re.S)
        assert h1 and h1.group(1).split('<')[0].strip() in dom, f'{url} did not render in Chromium'
        assert re.search(r'<html[^>]*class="[^"]*\bjs\b', dom), f'the theme JavaScript did not run on {url}'
    shot = tmp_path/'home.png'
    chromium(exe, base_url + 'index.html', '--window-size=1280,1600', f'--screenshot={shot}')
    assert shot.read_bytes().startswith(PNG) and shot.stat().st_size > 20_000, 'the home page screenshot is blank'
    if os.environ.get('SEMIPERTURB_SCREENSHOT'):
        dst = Path(os.environ['SEMIPERTURB_SCREENSHOT']); dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, dst)

_MATH_MD = [r"""Inline $\frac{a}{b} < c$ and $\mathbb{1}\big(\max q_b \ge \tau\big)$, a price of \$5 and \$6, code `$x$` and `` $$y$$ ``.

$$\ell_s = \frac{1}{B}\sum_{b=1}^{B} \mathrm{H}\big(p_b, p_m(y\mid\alpha(x_b))\big),\qquad
  \hat q_b = \arg\max q_b .$$""",
r"""A display formula inside a paragraph, as Jupyter allows it:
$$\bar\theta \leftarrow d\,\bar\theta + (1-d)\,\theta$$
and the text goes on.

- in a list: $\sqrt{x^2 + 1}$"""]

@pytest.fixture(scope='module')
def math_site(tmp_path_factory):
    "A one-page site from a synthetic notebook with TeX math (independent of the project's notebooks): its HTML file."
    work = tmp_path_factory.mktemp('math-site')
    nb = {'cells': [{'cell_type': 'raw', 'metadata': {}, 'source': '---\ntitle: Math\n---'}] +
                   [{'cell_type': 'markdown', 'metadata': {}, 'source': m} for m in _MATH_MD] +
                   [{'cell_type': 'code', 'metadata': {}, 'execution_count': 1, 'source': 'price = "$5 $$6 \\frac"',
                     'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': '$$ \\frac{1}{2} $$\n'}]}],
          'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    (work/'docs').mkdir(); (work/'99_math.ipynb').write_text(json.dumps(nb))
    md, title = docsite.nb_to_md(work/'99_math.ipynb', work/'docs', {})
    (work/'docs'/'math.md').write_text(md)
    return docsite.mkdocs_build(work, docsite.settings(), [{title: 'math.md'}], work/'site')/'math.html'

def test_math_is_mathml(math_site):
    "TeX math becomes MathML at build time; `$` in code and escaped dollars stay as they are."
    page = math_site.read_text()
    body = page[page.index('<article'):page.index('</article>')]
    assert body.count('<math ') == 5, body
    assert body.count('display="block"') == 2, 'the $$ formulas are not display math'
    text = re.sub(r'<(pre|code)\b.*?</\1>', '', body, flags=re.S)
    for raw in ['$$', r'\frac', r'\(', r'\[', r'\mathbb', r'\arg']: assert raw not in text, f'raw TeX {raw!r} left'
    assert '$5 and $6' in text, 'escaped dollars lost'
    import html as _html
    code = _html.unescape(re.sub(r'<[^>]+>', '', ''.join(re.findall(r'<(?:pre|code)\b.*?</(?:pre|code)>', body, flags=re.S))))
    for kept in ['$x$', '$$y$$', 'price = "$5 $$6 \\frac"', '$$ \\frac{1}{2} $$']: assert kept in code, kept

def test_math_in_chromium(math_site, tmp_path):
    "Chromium shows the MathML (no MathJax needed): the page keeps its <math> elements and is screenshot."
    exe = find_chromium()
    if not exe: pytest.skip('no Chromium found: `make test` installs Debian\'s chromium where apt-get exists')
    dom = chromium(exe, math_site.as_uri(), '--dump-dom')
    assert dom.count('<math ') == 5 and 'md-typeset' in dom
    shot = tmp_path/'math.png'
    chromium(exe, math_site.as_uri(), '--window-size=1100,900', f'--screenshot={shot}')
    assert shot.read_bytes().startswith(PNG) and shot.stat().st_size > 20_000, 'the math page screenshot is blank'
    if os.environ.get('SEMIPERTURB_SCREENSHOT'):
        dst = Path(os.environ['SEMIPERTURB_SCREENSHOT']); dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, dst.with_name(dst.stem + '-math.png'))

def test_docs_build_runs_no_flagged_cell(tmp_path):
    """nbdev's docs processing executes every cell that imports something; a `slow`, `cuda` or `notest` cell that
    imports must still not run (a slow cell once trained a CVAE inside the docs build), while a plain one does."""
    root = tmp_path/'root'; (root/'nbs').mkdir(parents=True)
    shutil.copy(ROOT/'settings.ini', root/'settings.ini')
    marks = {f: tmp_path/f'{f}.ran' for f in ('plain', 'slow', 'cuda', 'notest')}
    code = lambda f: f"{'' if f == 'plain' else f'#| {f}' + chr(10)}import pathlib; pathlib.Path({str(marks[f])!r}).write_text('ran')"
    cell = lambda s: {'cell_type': 'code', 'metadata': {}, 'execution_count': None, 'outputs': [], 'source': s}
    cells = [{'cell_type': 'markdown', 'metadata': {}, 'source': '# Flags\n\n> a test notebook'},
             cell('#| default_exp flags'), cell('#| export\ndef f(): "A function, so the page has docs to execute."')] + \
            [cell(code(f)) for f in marks]
    (root/'nbs'/'00_flags.ipynb').write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    docsite.process(root, tmp_path/'work')
    assert marks['plain'].exists(), 'the docs processing did not execute an import cell: the check below proves nothing'
    for f in ('slow', 'cuda', 'notest'): assert not marks[f].exists(), f'the docs build executed a #| {f} cell'
