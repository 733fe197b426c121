"""How nbdev reads a code cell, for the stand-ins of nbdev's tools that work offline (tools/nbsync.py, tools/docsite.py,
tools/run_notebooks.py, tests/test_notebooks.py): its directives, its code without them, the flags a test run skips
(settings.ini's `tst_flags`) and whether a test run skips the cell. The directives are parsed by nbdev itself
(`nbdev.process.extract_directives`: `#| hide`, `#| export`, `#|eval: false`, ...), the flags read with nbdev's
`get_config`, and a cell is skipped on the rules of `nbdev_test`: one of its directives is a skipped flag, it has
`#| eval: false`, or it calls `nbdev_export()`."""
from fastcore.basics import AttrDict
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import extract_directives, first_code_ln

def directives(src:str) -> dict:
    "The directives heading cell source `src`, as nbdev parses them: `{name: its arguments, space-separated}`."
    found = extract_directives(AttrDict(source=src), remove=False)
    return {k.rstrip(':'): ' '.join(v) for k, v in found.items()}  # nbdev keeps Quarto's colon: 'eval:'

def code(src:str) -> str:
    "Cell source `src` without the directives (and blank lines) that head it."
    lines = src.splitlines()
    first = first_code_ln(lines)
    return '' if first is None else '\n'.join(lines[first:])

def tst_flags(root=None) -> list:
    "The flags whose cells a test run skips: `tst_flags` of the settings.ini nbdev finds from `root` (default: here)."
    with working_directory(root or '.'):  # get_config looks from the current folder up, whatever its `path`
        return get_config().tst_flags.split()

def skipped(src:str, flags) -> bool:
    "Whether a test run that skips `flags` skips the code cell `src`, as `nbdev_test` does."
    d = directives(src)
    return bool(set(flags) & d.keys()) or d.get('eval', '').lower() == 'false' or 'nbdev_export(' in src
