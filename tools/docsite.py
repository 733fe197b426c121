"""The documentation site, offline: nbdev's processed notebooks rendered by MkDocs (Material theme) into `_docs/`.

`nbdev_docs` needs Quarto, which cannot be installed offline. This script runs the same first step as nbdev
(`proc_nbs`: front matter from the title cell, `show_doc` for every exported symbol, executed the way nbdev does
it, hidden cells removed, doc links added), turns each processed notebook into a Markdown page with its STORED
outputs (nothing else is executed) and builds the site with MkDocs. Pages get the URLs Quarto would give them
(`00a_data.ipynb` -> `data.html`), so nbdev's doc links work in both sites. TeX math (`$...$`, `$$...$$`) is
found by pymdownx.arithmatex and rendered to MathML at build time (latex2mathml, in this file's `on_page_content`
MkDocs hook): browsers draw MathML natively, so the site needs no MathJax/KaTeX and works offline.

    python tools/docsite.py build [OUT]   # or: make docs  (OUT defaults to _docs/)
    python tools/docsite.py serve [PORT]  # build, then serve _docs/ on http://127.0.0.1:PORT"""
import base64, html, json, logging, os, re, shutil, subprocess, sys, tempfile, unicodedata
from configparser import ConfigParser
from pathlib import Path
import yaml
try:
    from tools.nbcells import code, directives, tst_flags
except ModuleNotFoundError:  # run as a script, or loaded by MkDocs as its hook: tools/ is on sys.path
    from nbcells import code, directives, tst_flags

_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

def _root(root=None) -> Path:
    "`root`, else the checkout (`project_root`, imported only here: the MkDocs hook needs no torch)."
    from semiperturb.core import project_root
    return Path(root) if root else project_root()

def settings(root=None) -> dict:
    "The `[DEFAULT]` section of `settings.ini`, interpolated."
    cp = ConfigParser(); cp.read(_root(root)/'settings.ini')
    return dict(cp['DEFAULT'])

def notebooks(root=None) -> list:
    "The notebooks of the site, in pipeline order: `index` first, then the numbered ones sorted by name."
    nbs = sorted(p for p in (_root(root)/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: (p.stem != 'index', p.name))

def page_name(nb_path) -> str:
    "The page a notebook becomes, as Quarto names it for nbdev: `00a_data.ipynb` -> `data`, `index` -> `index`."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_path).stem)

def skip_flags(nbs_dir, flags) -> int:
    """Add `#| eval: false` to every code cell of the notebooks in `nbs_dir` flagged with one of `flags` (settings.ini's
    `tst_flags`: notest, slow, cuda), so nbdev's docs processing never executes them, as `nbdev_test` never does (it
    executes export, import and show_doc cells; a slow cell that imports would otherwise run). Returns the count."""
    n = 0
    for nb in Path(nbs_dir).glob('*.ipynb'):
        d, changed = json.loads(nb.read_text()), False
        for c in d['cells']:
            if c['cell_type'] != 'code': continue
            dirs = directives(_text(c['source']))
            if set(dirs) & set(flags) and dirs.get('eval', '').lower() != 'false':
                c['source'] = '#| eval: false\n' + _text(c['source']); changed = True; n += 1
        if changed: nb.write_text(json.dumps(d, indent=1))
    return n

def process(root=None, work=None, n_workers=2) -> Path:
    "Run nbdev's `proc_nbs` on a copy of `root`'s notebooks in `work`; returns the `_proc` folder."
    root = _root(root)
    work = Path(work or tempfile.mkdtemp(prefix='semiperturb-proc-')); work.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(root)/'settings.ini', work/'settings.ini')
    if (work/'nbs').exists(): shutil.rmtree(work/'nbs')
    shutil.copytree(Path(root)/'nbs', work/'nbs', ignore=shutil.ignore_patterns('.*', '_proc', 'sidebar.yml'))
    skip_flags(work/'nbs', tst_flags(root))
    # `nbdev_proc_nbs` would first install Quarto (curl + sudo); `proc_nbs` is the part that processes notebooks.
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(root), os.environ.get('PYTHONPATH', '')]),
           'PYTHONWARNINGS': 'ignore'}
    script = f'from nbdev.serve import proc_nbs; proc_nbs(n_workers={int(n_workers)}, force=True)'
    r = subprocess.run([sys.executable, '-c', script], cwd=work, env=env, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f'nbdev proc_nbs failed:\n{r.stdout}\n{r.stderr}')
    return work/'_proc'

def _fence(text, lang=''):
    ticks = '`' * max(3, 1 + max((len(m) for m in re.findall(r'`+', text)), default=0))
    return f'{ticks}{lang}\n{text.rstrip()}\n{ticks}'

def _text(v): return v if isinstance(v, str) else ''.join(v)

def _heading_ids(md):
    "`show_doc` headings get the anchor nbdev's doc links use (the lower-cased name, dots kept), as Quarto gives them."
    return re.sub(r'^(#{2,4}) ([\w.]+)\s*$', lambda m: f'{m.group(1)} {m.group(2)} {{ #{m.group(2).lower()} }}', md, flags=re.M)

def _anchors(md) -> set:
    "The anchors of a Markdown page: explicit `{ #id }`s and the ids MkDocs gives its headings."
    from markdown.extensions.toc import slugify
    md = re.sub(r'^(`{3,}).*?^\1\s*$', '', md, flags=re.M | re.S)  # no headings inside code blocks
    ids = set(re.findall(r'\{[^}]*#([^\s}]+)[^}]*\}\s*$', md, flags=re.M))
    return ids | {slugify(re.sub(r'\{[^}]*\}\s*$', '', h).replace('`', '').strip(), '-')
                  for h in re.findall(r'^#{1,6} (.+)$', md, flags=re.M)}

def unlink_missing(mds:dict) -> dict:
    "Drop nbdev's automatic links (`` [`name`](page.md#name) ``) to symbols without a doc entry, e.g. private helpers."
    anchors = {k: _anchors(v) for k, v in mds.items()}
    def fix(m):
        page, anchor = m.group(2), m.group(3)
        return m.group(0) if page not in anchors or anchor in anchors[page] else m.group(1)
    return {k: re.sub(r'\[(`[^`\]]+`)\]\(([\w-]+)\.md#([^)\s]+)\)', fix, v) for k, v in mds.items()}

_CODE = re.compile(r'(^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\2[ \t]*$|`+[^`]*?`+)', re.M | re.S)  # fenced blocks, code spans

_DISPLAY = r'\displaystyle{}'  # marks display math that arithmatex can only see as inline math

def display_math(md) -> str:
    """`$$...$$` inside a paragraph (or a list item) is display math, as in Jupyter: arithmatex only finds `$$` blocks
    of their own, so such math becomes inline math with a marker that `mathml` renders as a block."""
    def one(m):
        t = m.string
        alone = re.search(r'(^|\n[ \t]*\n)[ \t]*$', t[:m.start()]) and re.match(r'[ \t]*(\n[ \t]*\n|\n?[ \t]*$)', t[m.end():])
        return m.group(0) if alone else f'${_DISPLAY}{m.group(1).strip()}$'
    parts = _CODE.split(md)  # text, code, fence, text, code, fence, ..., text
    return ''.join(re.sub(r'(?<!\\)\$\$((?:\\.|[^\\$])+?)\$\$', one, p) if i % 3 == 0 else p
                   for i, p in enumerate(parts) if i % 3 != 2)

_VARIANTS = {'bold': 'BOLD', 'italic': 'ITALIC', 'bold-italic': 'BOLD ITALIC', 'double-struck': 'DOUBLE-STRUCK',
             'script': 'SCRIPT', 'fraktur': 'FRAKTUR', 'sans-serif': 'SANS-SERIF', 'monospace': 'MONOSPACE'}

def _variant(m):
    "`<mi mathvariant=\"double-struck\">1</mi>` -> `<mi>𝟙</mi>`: MathML Core only knows the Unicode math letters."
    tag, variant, text = m.groups()
    if variant not in _VARIANTS or len(text) != 1: return m.group(0)
    kind = ('DIGIT ' + unicodedata.name(text).split()[-1] if text.isdigit() else
            f'CAPITAL {text}' if text.isupper() else f'SMALL {text.upper()}' if text.islower() else None)
    try: return f'<{tag}>{unicodedata.lookup(f"MATHEMATICAL {_VARIANTS[variant]} {kind}")}</{tag}>'
    except (KeyError, TypeError): return m.group(0)

def tex_to_mathml(tex, display=False) -> str:
    "TeX -> a `<math>` element; unknown commands (e.g. `\\arg`) show as upright names."
    from latex2mathml.converter import convert
    tex = re.sub(r'\\mathrm\{([\w ]*)\}', r'\\text{\1}', tex)  # upright, even a single letter
    out = convert(tex.strip(), display='block' if display else 'inline')
    out = re.sub(r'<(m[ino])>\\([A-Za-z]+)</\1>', r'<\1>\2</\1>', out)
    return re.sub(r'<(m[in])(?: mathvariant="([\w-]+)")>([^<]*)</\1>', _variant, out)

_MATH = re.compile(r'(<(span|div) class="arithmatex">)\\([(\[])(.*?)\\[)\]](</\2>)', re.S)
_log = logging.getLogger('mkdocs.hooks.docsite')

def mathml(page_html) -> str:
    "Replace the TeX that pymdownx.arithmatex (`generic: true`) marked in `page_html` by MathML."
    def repl(m):
        tex, display = html.unescape(m.group(4)), m.group(3) == '['
        if tex.startswith(_DISPLAY): tex, display = tex[len(_DISPLAY):], True
        try: return m.group(1) + tex_to_mathml(tex, display) + m.group(5)
        except Exception as e:
            _log.warning(f'docsite: cannot render math {tex!r}: {e!r}')
            return f'{m.group(1)}<code>{html.escape(tex)}</code>{m.group(5)}'
    return _MATH.sub(repl, page_html)

def on_page_content(html, **kwargs):
    "MkDocs hook (mkdocs.yml `hooks:` names this file): math to MathML in every page."
    return mathml(html)

class _Page:
    "Turns one processed notebook into Markdown; figures from stored outputs go to `figures/`."
    def __init__(self, name, docs_dir, pages, base_url):
        self.name, self.docs_dir, self.pages, self.base_url, self.n_fig = name, Path(docs_dir), pages, base_url, 0

    def links(self, md):
        "Site-relative figures and links: `../images/` -> `images/`, `NN_x.ipynb` and nbdev's doc URLs -> `x.md`."
        md = md.replace('](../images/', '](images/').replace('src="../images/', 'src="images/')
        if self.base_url: md = re.sub(re.escape(self.base_url.rstrip('/')) + r'/([\w-]+)\.html', r'\1.md', md)
        md = re.sub(r'\]\((?:\./)?([\w-]+)\.ipynb', lambda m: f'](' + self.pages.get(m.group(1), m.group(1)) + '.md', md)
        return md

    def callouts(self, md):
        "Quarto callouts (`::: {.callout-note}` ... `:::`) as Material admonitions."
        def repl(m):
            kind, body = m.group(1), m.group(2).strip('\n')
            title = re.match(r'^##+ (.*)\n', body)
            if title: body = body[title.end():]
            head = f'!!! {kind}' + (f' "{title.group(1).strip()}"' if title else '')
            return head + '\n' + '\n'.join('    ' + l if l.strip() else '' for l in body.splitlines()) + '\n'
        return re.sub(r'^:::+ *\{\.callout-(\w+)[^}]*\}\s*\n(.*?)^:::+ *$', repl, md, flags=re.M | re.S)

    def figure(self, data, ext):
        self.n_fig += 1
        rel = f'figures/{self.name}_{self.n_fig}.{ext}'
        (self.docs_dir/rel).parent.mkdir(parents=True, exist_ok=True)
        if ext == 'svg': (self.docs_dir/rel).write_text(_text(data))
        else: (self.docs_dir/rel).write_bytes(base64.b64decode(_text(data)))
        return f'![]({rel})'

    def output(self, o, asis=False):
        kind = o.get('output_type')
        if kind == 'stream':
            text = _ANSI.sub('', _text(o.get('text', '')))
            return text if asis else _fence(text, 'text')
        if kind == 'error': return _fence(_ANSI.sub('', '\n'.join(o.get('traceback', []))), 'text')
        data = o.get('data', {})
        if 'text/markdown' in data: return _heading_ids(self.links(_text(data['text/markdown']).strip()))
        if 'image/png' in data: return self.figure(data['image/png'], 'png')
        if 'image/svg+xml' in data: return self.figure(data['image/svg+xml'], 'svg')
        if 'text/html' in data:  # raw HTML block (e.g. a table): no blank lines, so Markdown leaves it alone
            html = '\n'.join(l for l in _text(data['text/html']).splitlines() if l.strip())
            return f'<div class="sp-output">\n{html}\n</div>'
        if 'text/plain' in data: return _fence(_ANSI.sub('', _text(data['text/plain'])), 'text')
        return ''

    def cell(self, c):
        src = _text(c.get('source', ''))
        if c['cell_type'] == 'markdown': return [self.callouts(self.links(display_math(src.strip())))]
        if c['cell_type'] != 'code': return []
        d = {k: v.lower() for k, v in directives(src).items()}
        if d.get('include') == 'false': return []
        parts = []
        if d.get('echo') != 'false' and code(src).strip():
            block = _fence(code(src).strip(), 'python')
            if d.get('code-fold') in ('true', 'show'):
                block = ('??? ' if d['code-fold'] == 'true' else '???+ ') + 'quote "Code"\n' + \
                        '\n'.join('    ' + l for l in block.splitlines())
            parts.append(block)
        if d.get('output') != 'false':
            outs = [self.output(o, asis=d.get('output') == 'asis') for o in c.get('outputs', [])]
            parts += [o for o in outs if o]
        return parts

def nb_to_md(nb_path, docs_dir, pages, base_url='') -> tuple:
    "The Markdown page of the processed notebook `nb_path` and its title; writes its figures under `docs_dir`."
    nb = json.loads(Path(nb_path).read_text())
    page = _Page(page_name(nb_path), docs_dir, pages, base_url)
    cells, fm = nb['cells'], {}
    if cells and cells[0]['cell_type'] == 'raw' and _text(cells[0]['source']).startswith('---'):
        fm = yaml.safe_load(_text(cells[0]['source']).strip().strip('-')) or {}
        cells = cells[1:]
    title = str(fm.get('title') or Path(nb_path).stem)
    parts = [f'# {title}']
    if fm.get('description'): parts.append(f'{fm["description"]}\n{{: .sp-description }}')
    for c in cells: parts += page.cell(c)
    return '\n\n'.join(p for p in parts if p.strip()) + '\n', title

_CSS = """.sp-description { font-size: 1.15em; color: var(--md-default-fg-color--light); margin-top: -.6em; }
.md-typeset hr { margin: 1.5em 0 .5em; }
.sp-output { overflow-x: auto; }
.md-typeset math { font-size: 1.1em; }
.md-typeset math[display="block"] { overflow-x: auto; overflow-y: hidden; margin: .8em 0; }
"""

def mkdocs_config(cfg, nav) -> dict:
    "The MkDocs configuration: Material theme with bundled assets, no web fonts, search that also works from files."
    return {
        'site_name': cfg.get('title', cfg['lib_name']), 'site_description': cfg.get('description', ''),
        'site_url': cfg.get('doc_host', '') + cfg.get('doc_baseurl', '') + '/', 'repo_url': cfg.get('git_url'),
        'edit_uri': '', 'copyright': 'Copyright ' + cfg.get('copyright', ''),
        'docs_dir': 'docs', 'use_directory_urls': False, 'nav': nav,
        'theme': {'name': 'material', 'font': False, 'icon': {'repo': 'fontawesome/brands/github'},
                  'features': ['navigation.footer', 'navigation.top', 'search.highlight', 'content.code.copy', 'toc.follow'],
                  'palette': [{'scheme': 'default', 'primary': 'indigo',
                               'toggle': {'icon': 'material/brightness-7', 'name': 'Dark mode'}},
                              {'scheme': 'slate', 'primary': 'indigo',
                               'toggle': {'icon': 'material/brightness-4', 'name': 'Light mode'}}]},
        'plugins': ['search', 'offline'], 'extra_css': ['sp.css'], 'hooks': [str(Path(__file__).resolve())],
        'markdown_extensions': ['tables', 'attr_list', 'md_in_html', 'admonition', 'footnotes',
                                {'toc': {'permalink': True}}, 'pymdownx.details',
                                {'pymdownx.highlight': {'use_pygments': True}}, 'pymdownx.superfences',
                                {'pymdownx.arithmatex': {'generic': True}}],
        'validation': {'links': {'not_found': 'warn', 'anchors': 'warn', 'unrecognized_links': 'info'}},
    }

def mkdocs_build(work, cfg, nav, out, quiet=True) -> Path:
    "Run MkDocs on the Markdown pages in `work/docs` (listed in `nav`) into `out`; prints its warnings."
    work, out = Path(work), Path(out)
    (work/'docs'/'sp.css').write_text(_CSS)
    (work/'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_config(cfg, nav), sort_keys=False, allow_unicode=True))
    cmd = [sys.executable, '-m', 'mkdocs', 'build', '-f', str(work/'mkdocs.yml'), '-d', str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f'mkdocs build failed:\n{r.stdout}\n{r.stderr}')
    warnings = [l for l in r.stderr.splitlines() if l.startswith(('WARNING', 'ERROR'))]
    if warnings or not quiet: print('\n'.join(warnings if quiet else r.stderr.splitlines()), file=sys.stderr)
    return out

def build(root=None, out=None, work=None, n_workers=2, quiet=True) -> Path:
    "Build the site of `root`'s notebooks into `out` (default `root/_docs`); returns `out`."
    root = _root(root); out = Path(out or root/'_docs').resolve()
    own = work is None
    work = Path(work or tempfile.mkdtemp(prefix='semiperturb-docs-'))
    try:
        proc, cfg = process(root, work, n_workers), settings(root)
        docs = work/'docs'
        if docs.exists(): shutil.rmtree(docs)
        docs.mkdir()
        if (root/'images').is_dir(): shutil.copytree(root/'images', docs/'images')
        nbs = notebooks(root)
        pages = {p.stem: page_name(p) for p in nbs}
        nav, mds = [], {}
        for p in nbs:
            mds[pages[p.stem]], title = nb_to_md(proc/p.name, docs, pages, cfg.get('doc_host', '') + cfg.get('doc_baseurl', ''))
            nav.append({('Home' if p.stem == 'index' else title): f'{pages[p.stem]}.md'})
        for name, md in unlink_missing(mds).items(): (docs/f'{name}.md').write_text(md)
        return mkdocs_build(work, cfg, nav, out, quiet)
    finally:
        if own: shutil.rmtree(work, ignore_errors=True)

def serve(site, port=8000):
    "Serve the folder `site` on http://127.0.0.1:`port` until interrupted."
    import functools, http.server
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(('127.0.0.1', port), handler) as httpd:
        print(f'serving {site} on http://127.0.0.1:{port}/ (Ctrl-C stops)'); httpd.serve_forever()

if __name__ == '__main__':
    cmd, args = (sys.argv[1] if len(sys.argv) > 1 else 'build'), sys.argv[2:]
    if cmd == 'build': print(f'wrote {build(out=args[0] if args else None)}/index.html')
    elif cmd == 'serve': serve(build(), int(args[0]) if args else 8000)
    else: sys.exit('usage: python tools/docsite.py [build [OUT] | serve [PORT]]')
