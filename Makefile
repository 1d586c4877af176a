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
