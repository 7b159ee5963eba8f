# Every tool this project needs is installed from here, so `make synth` and `make test`
# work on a fresh clone. Stamp files make a second run reinstall nothing that has not changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
MXNET_VENV := .mxnet-venv
CHECKOV_VENV := .checkov-venv
CDK8S := ./node_modules/.bin/cdk8s

# jsii prints an end-of-life banner for Node 20; the silencing variable must name the
# running major version, so read it from node itself.
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(NODE_MAJOR)
export CDK8S_CHECK_UPGRADE := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: all setup graphviz runc synth test lint fuzz bench imports clean mxnet-venv checkov-venv

all: synth

setup: $(VENV)/.stamp node_modules/.stamp graphviz

# The diagram command renders SVG/PNG with Graphviz's `dot`, a Debian package; the
# machines here run as root. Elsewhere, install graphviz with your package manager.
graphviz:
	@command -v dot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }

# run-local's sandbox runs every container under runc, also a Debian package (it looks in
# the system directories only, never in PATH). Needed by `make test` and by anything that
# runs run-local; elsewhere, install runc with your package manager.
runc:
	@[ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null; }

$(VENV)/.stamp: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(VENV)/bin/python -c "import cdk8s, cdk8s_plus_27, pytest, syrupy, kubernetes_validate"
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# mxnet 1.9.1 fails to import with numpy >= 1.24, and its pins conflict with the dev
# tools, so it lives in a venv of its own that only the local-runner tests use.
mxnet-venv: $(MXNET_VENV)/.stamp
$(MXNET_VENV)/.stamp:
	test -x $(MXNET_VENV)/bin/python || $(PYTHON) -m venv $(MXNET_VENV)
	$(MXNET_VENV)/bin/pip install -q mxnet==1.9.1 numpy==1.23.5 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(MXNET_VENV)/bin/python -c "import mxnet"
	touch $@

# checkov pins versions that clash with the dev extra: keep it apart.
checkov-venv: $(CHECKOV_VENV)/.stamp
$(CHECKOV_VENV)/.stamp:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q checkov==3.3.30 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(CHECKOV_VENV)/bin/checkov --version
	touch $@

# OUT lets the tests synthesize elsewhere with the very same command.
OUT ?= dist
synth: setup
	$(CDK8S) synth --output $(OUT)

test: setup mxnet-venv checkov-venv runc
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/test_fuzz.py

bench: setup
	$(VENV)/bin/python benchmarks/synth.py

# Regenerates the typed CRD bindings from crds/ (offline): imports/ for apps (the specs are
# listed in cdk8s.yaml), and the library's own copy, whose mxc_* module names give its jsii
# assemblies names no application import of the same CRDs can shadow.
imports: setup
	$(CDK8S) import --language python --output imports
	$(CDK8S) import --no-save --language python --output mxnet_construct/_imports mxc_volcano:=crds/scheduling.volcano.sh_podgroups.yaml
	$(CDK8S) import --no-save --language python --output mxnet_construct/_imports mxc_scheduler_plugins:=crds/scheduling.x-k8s.io_podgroups.yaml
	$(CDK8S) import --no-save --language python --output mxnet_construct/_imports mxc_jobset:=crds/jobset.x-k8s.io_jobsets.yaml

clean:
	rm -rf $(VENV) $(MXNET_VENV) $(CHECKOV_VENV) node_modules
