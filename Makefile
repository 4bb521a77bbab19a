# motifattn — build, test and demo on a fresh Debian machine with Swift.
#   make demo    install what is missing, build (release), scan the bundled demo genome
#   make test    install what is missing, run the whole test suite
#   make bench   scoring speed against ONNX Runtime (needs PEER and python3 with onnxruntime)
#   make build TARGET_CPU=haswell   opt-in build for AVX2+FMA CPUs (about 10% faster scoring at 1 thread,
#                measured in docs/encoder.md); the default build runs on any x86-64
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
DEMO_OUT ?= demo-out
THREADS ?= $(shell nproc)
APT_PACKAGES := libhts-dev libopenblas-dev pkg-config zlib1g-dev samtools tabix
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TARGET_CPU ?=
SCRATCH := $(if $(TARGET_CPU),.build-$(TARGET_CPU),.build)
CPU_FLAGS := $(if $(TARGET_CPU),-Xswiftc -target-cpu -Xswiftc $(TARGET_CPU))
BIN := $(SCRATCH)/release/motifattn
PEER ?= ../shared/bench/ort_peer.py
BENCH_MODEL ?= Reference/model/default.safetensors

.PHONY: all deps build test demo install clean bench

all: build

## deps: install the Debian packages the build and the tests need (only the missing ones)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product motifattn --scratch-path $(SCRATCH) $(CPU_FLAGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	@mkdir -p $(DEMO_OUT)
	$(BIN) windows Reference/demo/genome.fa.gz --region chr1:1-1000 --window 200 --stride 100 -o $(DEMO_OUT)/windows.fa
	@echo "demo: results in $(DEMO_OUT)/"

## bench: windows/s of motifattn and of ONNX Runtime on the same model and 4,000 random 200-bp windows
bench: build
	$(BIN) bench-encoder --model $(BENCH_MODEL) --windows 4000 --length 200 --repeats 3 --peer $(PEER)

install: build
	install -d $(PREFIX)/bin
	install -m 755 $(BIN) $(PREFIX)/bin/motifattn

clean:
	rm -rf .build .build-* $(DEMO_OUT)
