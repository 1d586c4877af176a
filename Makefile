# Two commands: `make lab` opens the course, `make test` checks it. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test setup lint clean

# Jupyter refuses to start as root (containers, CI machines) unless told it is intended.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

test: setup
	$(BIN)/pytest tests
	$(BIN)/pytest --nbval --nbval-current-env --nbval-cell-timeout=900 -p no:cacheprovider notebooks

setup: $(STAMP)

# Re-installs only when the pins or the packaging change (a second run skips it).
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

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
