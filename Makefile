# motifattn — build, test and demo on a fresh Debian machine with Swift.
#   make demo    install what is missing, build (release), scan the bundled demo genome
#   make test    install what is missing, run the whole test suite
#   make bench   scoring speed against ONNX Runtime (needs PEER and python3 with onnxruntime)
#   make panel   the benchmark panel (Benchmarks/panel/README.md): PANEL=quick|dev|heldout|sim|real|all
#   make panel-peer  the panel's members trained by PyTorch too (TORCH_PYTHON, SEEDS)
#   make fuzz    libFuzzer harnesses of the parsers, FUZZ_SECONDS each (Fuzz/README.md)
#   make sanitize  the test suite under the address and the thread sanitizer
#   make docs    the DocC documentation of the library products into docs-out/ (warnings are errors)
#   make build TARGET_CPU=haswell   opt-in build for AVX2+FMA CPUs (about 10% faster scoring at 1 thread,
#                measured in Benchmarks/JOURNAL.md); the default build runs on any x86-64
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
DEMO_OUT ?= demo-out
THREADS ?= $(shell nproc)
APT_PACKAGES := libhts-dev libopenblas-dev pkg-config zlib1g-dev samtools tabix
# The report test renders report.html in a real browser; the variants tests convert VCF to BCF with bcftools.
TEST_APT_PACKAGES := chromium bcftools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TARGET_CPU ?=
SCRATCH := $(if $(TARGET_CPU),.build-$(TARGET_CPU),.build)
CPU_FLAGS := $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU))
BIN := $(SCRATCH)/release/motifattn
PEER ?= Benchmarks/peer/ort_peer.py
BENCH_MODEL ?= Reference/model/default.safetensors

.PHONY: all deps test-deps apt build test demo results install clean bench bench-suite fuzz sanitize sanitize-address sanitize-thread \
  panel panel-peer panel-deps docs

all: build

## deps: install the Debian packages the build needs (only the missing ones); test-deps adds the tests' ones
deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"
	@command -v snakemake >/dev/null 2>&1 || python3 -m pip install --quiet snakemake
	@python3 -c "import snakemake_executor_plugin_slurm" 2>/dev/null || python3 -m pip install --quiet snakemake-executor-plugin-slurm

apt:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## build: the release binary, with the Swift runtime linked in (it starts faster and runs without a Swift toolchain)
build: deps
	$(SWIFT) build -c release --static-swift-stdlib --product motifattn --scratch-path $(SCRATCH) $(CPU_FLAGS)

## test: the module layout check, then the whole suite, optimised (-c release with testable imports) in its own build folder
test: test-deps
	python3 scripts/check_imports.py
	python3 -m unittest -q Benchmarks/panel/test_panel.py
	$(SWIFT) test -c release --scratch-path .build-test

## docs: the DocC documentation of the library products, one combined archive in $(DOCS_OUT)/ (the umbrella's
## articles link into the stage modules), with warnings as errors. MOTIFATTN_DOCS adds swift-docc-plugin to the
## package (Package.swift) for this target only. Serve $(DOCS_OUT)/ over HTTP to read it (python3 -m http.server).
DOCS_OUT ?= docs-out
DOCS_TARGETS := MotifAttn MotifAttnCore MotifAttnIO MotifAttnTokenizers MotifAttnModel MotifAttnAnalysis
docs: deps
	@# The plugin's pins must not stay in Package.resolved, or later builds would check it out: put the file back.
	@saved=$$(mktemp); had=0; if [ -f Package.resolved ]; then cp Package.resolved $$saved; had=1; fi; \
	MOTIFATTN_DOCS=1 $(SWIFT) package --scratch-path .build-docs --allow-writing-to-directory $(DOCS_OUT) \
	  generate-documentation $(addprefix --target ,$(DOCS_TARGETS)) --warnings-as-errors \
	  --enable-experimental-combined-documentation --output-path $(DOCS_OUT); status=$$?; \
	if [ $$had = 1 ]; then mv $$saved Package.resolved; else rm -f $$saved Package.resolved; fi; exit $$status

## fuzz: build the harnesses in Fuzz/ (address sanitizer) and run each for FUZZ_SECONDS (FUZZ_JOBS at a time)
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
FUZZ_HARNESSES ?=
fuzz: deps
	FUZZ_JOBS=$(FUZZ_JOBS) Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

## sanitize: the test suite under the address sanitizer, then the thread sanitizer (own build folders).
## Fuzz/nice-all.sh keeps SwiftPM's compiler jobs and test runner niced too (it starts them at niceness 0).
SANITIZE_NICE ?= Fuzz/nice-all.sh 19
sanitize: sanitize-address sanitize-thread

## Leak checking is off by default: XCTest's weak references look leaked to LeakSanitizer (Fuzz/lsan.supp),
## together with every test case they reach. The fuzzers check the readers for leaks; SANITIZE_LEAKS=1 turns it on.
SANITIZE_LEAKS ?= 0
sanitize-address: test-deps
	ASAN_OPTIONS=detect_leaks=$(SANITIZE_LEAKS) LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan.supp \
	  SWIFT_BACKTRACE=enable=no \
	  $(SANITIZE_NICE) $(SWIFT) test -c release --sanitize=address --scratch-path .build-asan

## Under the thread sanitizer the two tests that scan the whole demo genome skip (MOTIFATTN_SANITIZER=thread).
sanitize-thread: test-deps
	MOTIFATTN_SANITIZER=thread SWIFT_BACKTRACE=enable=no \
	  $(SANITIZE_NICE) $(SWIFT) test -c release --sanitize=thread --scratch-path .build-tsan

## demo: scan the bundled demo genome (Reference/demo) with the bundled default model into $(DEMO_OUT)/
demo: build
	$(BIN) scan Reference/demo/genome.fa.gz --regions Reference/demo/peaks.bed --threads $(THREADS) --out $(DEMO_OUT)
	@echo
	@echo "Top candidate TF interactions (interactions.tsv, combined rows):"
	@grep -v '^#' $(DEMO_OUT)/interactions.tsv | awk -F'\t' 'NR == 1 || $$6 == "all"' | head -11 | cut -f1-4,7,11,13,14
	@echo
	@$(BIN) evaluate $(DEMO_OUT) --truth-pairs Reference/demo/truth_pairs.tsv --truth-motifs Reference/demo/truth_motifs.tsv
	@echo "demo: results in $(DEMO_OUT)/ (open $(DEMO_OUT)/report.html in a browser)"

## results: regenerate Results/ (the reference run) and its README
results: build
	Results/regenerate.sh $(BIN)

## bench: windows/s of motifattn and of ONNX Runtime on the same model and 4,000 random 200-bp windows
bench: build
	$(BIN) bench-encoder --model $(BENCH_MODEL) --windows 4000 --length 200 --repeats 3 --peer $(PEER)

## bench-suite: the package-benchmark suite (Benchmarks/Suite: encoder, training step, reader), a package of its
## own so that `make test` does not build the framework. SUITE_ARGS go to `swift package benchmark`, e.g.
## SUITE_ARGS="baseline update main" then SUITE_ARGS="baseline compare main" after a change.
SUITE_ARGS ?=
bench-suite:
	cd Benchmarks/Suite && $(SWIFT) package --scratch-path ../../.build-suite benchmark $(SUITE_ARGS)

## panel: the benchmark panel (Benchmarks/panel/README.md), about 2 hours on 2 cores for PANEL=all.
## PANEL: quick (4 small development members), dev, heldout, sim (both halves), real, all (default).
## PANEL_LABEL names the output folder panel-out/LABEL/; PANEL_ANALYSIS_ARGS are added to every analyze and
## scan (ablations: make panel PANEL_LABEL=mutual-best PANEL_ANALYSIS_ARGS="--specificity mutual-best" re-runs
## only the analyses); PANEL_SCAN_ARGS are added to every scan only, PANEL_ANALYZE_ARGS to every analyze
## only (PANEL_ANALYZE_ARGS="--instances discovered", which scan refuses); PANEL_TRAIN_ARGS are added to every
## train (models are cached by them). MOTIFATTN is the binary; the default one is built first. Data and models are cached in panel-cache/;
## committed models (Benchmarks/panel/models) seed that cache, and PANEL_SAVE_MODELS=1 replaces them with the run's.
MOTIFATTN ?= $(BIN)
PANEL ?= all
PANEL_LABEL ?= default
PANEL_ANALYSIS_ARGS ?=
PANEL_SCAN_ARGS ?=
PANEL_ANALYZE_ARGS ?=
PANEL_TRAIN_ARGS ?=
PANEL_SAVE_MODELS ?=
panel: $(if $(filter $(BIN),$(MOTIFATTN)),build) panel-deps
	python3 Benchmarks/panel/panel.py --panel $(PANEL) --motifattn $(MOTIFATTN) --label $(PANEL_LABEL) \
	  --threads $(THREADS) --analysis-args "$(PANEL_ANALYSIS_ARGS)" --scan-args "$(PANEL_SCAN_ARGS)" \
	  --analyze-args "$(PANEL_ANALYZE_ARGS)" --train-args "$(PANEL_TRAIN_ARGS)" $(if $(PANEL_SAVE_MODELS),--save-models)

## panel-peer: each simulated member of PANEL (quick, dev, heldout, sim) trained by motifattn and by the same
## recipe in PyTorch (Benchmarks/panel/peer.py), SEEDS each; TORCH_PYTHON is a Python with torch and safetensors.
## Outside the panel's 2 hours: about 20-40 minutes per 20,000-sequence member and seed, one thread each.
## PEER_ARGS=--analyse also runs analyze and scan with each model.
SEEDS ?= 1
TORCH_PYTHON ?= python3
panel-peer: $(if $(filter $(BIN),$(MOTIFATTN)),build) panel-deps
	python3 Benchmarks/panel/peer.py --panel $(if $(filter all real,$(PANEL)),sim,$(PANEL)) --seeds $(SEEDS) \
	  --motifattn $(MOTIFATTN) --python $(TORCH_PYTHON) --threads 1 $(PEER_ARGS)

panel-deps:
	@python3 -c "import numpy, onnx, onnxruntime, safetensors" 2>/dev/null || \
	  python3 -m pip install --quiet numpy onnx onnxruntime safetensors

## install: the binary into PREFIX/bin and the bundled data into PREFIX/share/motifattn
install: build
	install -d $(PREFIX)/bin $(PREFIX)/share/motifattn/model $(PREFIX)/share/motifattn/jaspar
	install -m 755 $(BIN) $(PREFIX)/bin/motifattn
	install -m 644 Reference/model/default.safetensors $(PREFIX)/share/motifattn/model/
	install -m 644 Reference/jaspar/jaspar_core_vertebrates.meme Reference/jaspar/jaspar_core_vertebrates.tsv \
	  Reference/jaspar/jaspar_core_vertebrates.classes.tsv $(PREFIX)/share/motifattn/jaspar/

clean:
	rm -rf .build .build-* Fuzz/.build-fuzz Fuzz/out $(DEMO_OUT) $(DOCS_OUT)
