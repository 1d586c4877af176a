# Two commands: `make lab` opens the course, `make test` checks it. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test setup venv lint clean

# The pins (numpy 2.4, matplotlib 3.11, ...) need this Python or newer.
PYTHON_MIN := 3.11
NEW_ENOUGH := import sys; sys.exit(sys.version_info[:2] < tuple(map(int, '$(PYTHON_MIN)'.split('.'))))

# Jupyter refuses to start as root (containers, CI machines) unless told it is intended.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

test: setup
	$(BIN)/pytest tests
	$(BIN)/pytest --nbval --nbval-current-env --nbval-cell-timeout=900 -p no:cacheprovider notebooks

setup: $(STAMP)

# Re-installs only when the pins or the packaging change (a second run skips it). A .venv that
# is not a working Python $(PYTHON_MIN)+ with pip (made by an older Python, or half-made) is made
# again; an install that fails leaves no stamp, so the next run simply installs again.
$(STAMP): requirements.txt pyproject.toml
	@$(BIN)/python -c "import pip; $(NEW_ENOUGH)" 2>/dev/null || $(MAKE) --no-print-directory venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt \
	  || { echo "Installing the pins into $(VENV) failed (see above); run make again to resume." >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . \
	  || { echo "Installing course_utils into $(VENV) failed (see above); run make again to resume." >&2; exit 1; }
	touch $(STAMP)

# A new .venv from $(PYTHON), once it is known to be new enough.
venv:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "The course needs Python $(PYTHON_MIN) or newer, and '$(PYTHON)' was not found." >&2; \
	  echo "Install Python $(PYTHON_MIN)+ and run: make PYTHON=python$(PYTHON_MIN)" >&2; exit 1; }
	@$(PYTHON) -c "$(NEW_ENOUGH)" || { \
	  echo "The course needs Python $(PYTHON_MIN) or newer, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Install Python $(PYTHON_MIN)+ and run: make PYTHON=python$(PYTHON_MIN)" >&2; exit 1; }
	@if [ -e $(VENV) ]; then echo "Replacing $(VENV): it is not a working Python $(PYTHON_MIN)+ environment."; fi
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not make $(VENV) with $(PYTHON) (see above)." >&2; exit 1; }

lint: setup
	$(BIN)/ruff check course_utils tests benchmarks notebooks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache course_utils/__pycache__ tests/__pycache__

# The browser tests (tests/browser) drive Debian's Chromium: Playwright cannot download its own
# browser here. Installed when missing (needs root, as on CI); if that fails the browser tests
# fail and say why: they never skip.
.PHONY: chromium present
CHROMIUM := /usr/bin/chromium
test: chromium

chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
		echo "make: could not install chromium: the browser tests will fail" >&2

# One notebook as a presentation (Voilà): prose and live explorers, no code. NB=05 (its number).
NB ?= 00
present: setup
	$(BIN)/voila $(firstword $(wildcard notebooks/$(NB)_*.ipynb) $(NB)) \
		--Voila.ip=127.0.0.1 $(if $(CI),--no-browser)

# Re-execute every notebook in place, top to bottom on a fresh kernel, as they are committed
# (with MNIST_DIR pointing at the full MNIST when there is one; see data/README.md).
.PHONY: notebooks
notebooks: setup
	for nb in notebooks/*.ipynb; do \
		$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.store_widget_state=False "$$nb" || exit 1; \
	done
