# samskab: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo

.PHONY: demo test install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the web extra too: the demo ends by pointing at `samskab serve out/demo`, which must just work
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[web]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Run the whole pipeline on the shipped demo corpus and print a trend table.
demo: $(VENV)/.installed
	$(BIN)/samskab run data/demo/documents.jsonl data/demo/files --manifest data/demo/files/manifest.csv --period term --out $(OUT)
	@echo ""
	@echo "Next: samskab is installed in $(BIN)/ (not on PATH): call $(BIN)/samskab, or run"
	@echo "'source $(BIN)/activate' once per shell and then just 'samskab'."
	@echo "  report in a browser:  $(OUT)/report.html"
	@echo "  web app:              $(BIN)/samskab serve $(OUT)   (then open http://127.0.0.1:8000/)"
	@echo "  trends again:         $(BIN)/samskab trends $(OUT)/predictions.jsonl --period term --out $(OUT)/trends.xlsx"
	@echo "  check one text:       $(BIN)/samskab explain \"Borgerne inviteres til dialogmøde om den nye skolestruktur.\""
	@echo "  every command:        $(BIN)/samskab --help"

## Install the dev extras (they pull in the dask and web extras) and run the test suite (slow/transformer tests: make test PYTEST_ARGS="-m slow").
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench_classify.py

clean:
	rm -rf out .pytest_cache
