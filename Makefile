# PPA 智能客服 — every target sets up what it needs (venv, database, NLU resources, model).
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
PY := .venv/bin/python
# Rasa's CLI with our plug-in installed (bot/rasa/plugin.py says why): every Rasa command.
RASA := $(PY) -m bot.rasa
LOCK_STAMP := .venv/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
SPACY_MODEL := build/spacy_zh/meta.json
MODEL := models/ppa.tar.gz
NLU_SOURCES := $(wildcard bot/data/*.yml) $(wildcard bot/nlu/*.py) bot/textnorm.py bot/catalogue.py

.PHONY: run shell test setup venv db nlu train evaluate bench lint format lock clean

run: setup train          ## start the action server and the Rasa server (Ctrl-C stops both)
	./scripts/run.sh

shell: setup train        ## staff: rasa shell against a running action server
	./scripts/shell.sh

test: setup train        ## the whole test suite (trains the model first if the data changed)
	PPA_MODEL_FRESH=1 $(PY) -m pytest --durations=30

setup: venv db nlu

venv: $(LOCK_STAMP)
$(LOCK_STAMP): requirements.lock requirements-tools.txt scripts/bootstrap.sh
	./scripts/bootstrap.sh

db: venv                 ## migrate the support store and load the demo contracts
	$(PY) -m bot db upgrade
	$(PY) -m bot seed-demo

nlu: $(SPACY_MODEL)
$(SPACY_MODEL): $(NLU_SOURCES) $(LOCK_STAMP)
	$(PY) -m bot.nlu.build

train: setup $(MODEL)    ## rasa train when what the model is made of changed (Rasa's fingerprinting then retrains only changed parts)

# Newer than every input: skip even Rasa's own fingerprint check (≈ 30 s of loading).
# Rasa keeps the old file when its fingerprint says nothing changed, hence the touch.
$(MODEL): config.yml domain.yml $(wildcard data/*.yml) $(SPACY_MODEL) $(NLU_SOURCES) $(LOCK_STAMP)
	$(RASA) train --out models --fixed-model-name ppa
	@touch $@

evaluate: setup train    ## NLU reports and confusion matrices under results/
	$(PY) -m bot.nlu.evaluate
	$(PY) -m bot.nlu.baseline

bench: setup train       ## latency / throughput / memory vs Rasa's moodbot, then the desk (BENCH_ARGS="--profile production", "--with-train", "--desk-only")
	$(PY) -m bench.run $(BENCH_ARGS)

lint: venv
	$(PY) -m ruff check bot actions bench harness tests
	$(PY) -m ruff format --check bot actions bench harness tests
	$(PY) -m mypy bot actions harness

format: venv
	$(PY) -m ruff format bot actions bench harness tests
	$(PY) -m ruff check --fix bot actions bench harness tests

lock: venv               ## re-pin requirements.lock from requirements.in
	.venv/bin/uv pip compile requirements.in --python-version 3.10 \
	  --python-platform x86_64-unknown-linux-gnu -o requirements.lock

clean:
	rm -rf build models results .pytest_cache
