# The two commands: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: demo test install clean

install: $(STAMP)

# constraints.txt pins every package (the lock); pyproject.toml names what Steward uses.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/steward demo

# pytest exits 5 when it collects nothing: not a failure of the suite.
test: $(STAMP)
	$(BIN)/pytest; status=$$?; if [ $$status -eq 5 ]; then echo 'no tests collected'; exit 0; fi; exit $$status

clean:
	rm -rf $(VENV) .steward
