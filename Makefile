PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint soak bench clean

INSTALL_LOG := $(VENV)/install.log

# Quiet: pip's output goes to $(INSTALL_LOG), shown only if the install fails.
$(STAMP): pyproject.toml
	@echo "Installing into $(VENV) (about a minute, once; pip's log: $(INSTALL_LOG))"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install --upgrade pip && $(BIN)/pip install -e '.[dev]'; } > $(INSTALL_LOG) 2>&1 \
		|| { cat $(INSTALL_LOG); echo "Installing failed (log: $(INSTALL_LOG))" >&2; exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy --strict bot

test: lint
	$(BIN)/python -m pytest -q

soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
