"""Shared test setup: tests marked `fashion_mnist` need the Fashion-MNIST IDX files and skip with one reason without them."""
import pytest

def have_fashion_mnist() -> bool:
    "True when `semiperturb.data` finds the four Fashion-MNIST files without downloading."
    from semiperturb.core import DataError
    from semiperturb.data import _fashion_dir
    try: _fashion_dir(download=False); return True
    except DataError: return False

NO_DATA = ('Fashion-MNIST is not installed: `sudo apt-get install dataset-fashion-mnist` (or set SEMIPERTURB_DATA '
           'to a folder holding its four IDX .gz files)')

def pytest_collection_modifyitems(config, items):
    if any(i.get_closest_marker('fashion_mnist') for i in items) and not have_fashion_mnist():
        for i in items:
            if i.get_closest_marker('fashion_mnist'): i.add_marker(pytest.mark.skip(reason=NO_DATA))
