"""The tests run against the installed wheel, never the source tree."""

from pathlib import Path

import veritydb
from veritydb import _native


def test_the_package_is_the_installed_wheel() -> None:
    here = Path(veritydb.__file__).resolve()
    assert "site-packages" in here.parts, f"veritydb imported from {here}, not an installed wheel"
    assert Path(_native.__file__).parent == here.parent


def test_the_package_ships_its_types() -> None:
    package = Path(veritydb.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_native.pyi").is_file()
