# mk/python.mk: the Python package in python/ (package bpflink, on ctypes).
# python/README.md says how it finds the library and how it installs.
#
# scripts/setup.sh makes the virtual environment .deps/venv (pytest from
# PyPI, python/ installed editable). The tests run on the real kernel with
# BPFLINK_LIBRARY pointing at build/libbpflink.so.1, so they load exactly
# this build. pytest's exit status 5, no test collected, counts as a
# failure; and as root, python/tests/conftest.py fails every skip except a
# capability probe's, the same rule as for the C suite.
VENV := .deps/venv

# Wheels: `pip install <checkout>/python` runs `make -C <checkout> lib` and
# puts build/libbpflink.so.1 into the package, in a wheel tagged
# py3-none-<platform>. An editable install, such as .deps/venv, builds
# nothing and loads build/ directly.
PY_WHEEL_DIR := $(B)/python

.PHONY: test-python python-wheel test-python-install

test-python: setup lib
	@BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python -m pytest -q -rs python/tests; \
	    rc=$$?; [ $$rc -ne 5 ] || echo "test-python: no test ran"; exit $$rc

python-wheel: setup lib
	$(VENV)/bin/python -m pip wheel -q --no-deps -w $(PY_WHEEL_DIR) ./python
	@ls $(PY_WHEEL_DIR)/*.whl

# python/tests/test_install.py by itself (test-python runs it too): pip
# installs python/ into a new venv in a temporary directory outside the
# checkout; the bundled library must load with no BPFLINK_* variable set and
# list links, and the wheel from pip wheel is inspected. pip fetches
# setuptools from PyPI, or takes it from its cache.
test-python-install: setup lib
	@BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python -m pytest -q -rs \
	    python/tests/test_install.py
