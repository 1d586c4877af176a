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
