# setpost — one place for flags and targets. `make run` and `make test` are the two commands
# a new user needs; both install what they need first (`deps`).
#
# Why two passes: the compiler flags come from pkg-config, and make reads this file (and would
# run pkg-config) before any recipe runs, so on a fresh machine `deps` would install the
# packages too late for the same run. So every public target first runs `deps`, then makes the
# same target again in a new make (SETPOST_INNER=1) that reads the flags with the packages in
# place, and stops with the package's name when a module is still missing.

PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := libmicrohttpd libcurl jansson libsodium libpq libxxhash libcrypto libxml-2.0 pangocairo
.DEFAULT_GOAL := all
PUBLIC   := all build asan run test test-unit test-e2e test-cli test-journey lint bench install \
            fuzz test-fuzz bench-smoke

.PHONY: $(PUBLIC) deps clean

# What building, running and testing need (scripts/deps.sh installs the missing ones). clang and
# its runtime (libFuzzer, the sanitizers) are for `make fuzz` and the fuzz stage of `make test`;
# Cairo and Pango draw the PDF reports, poppler-utils reads them back in the tests; the
# editorial tests read proxies with mediainfo and check LUTs with opencolorio-tools; the
# benchmarks time each side with GNU time (/usr/bin/time, package time).
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev \
            libsodium-dev libpq-dev postgresql libxxhash-dev xxhash libssl-dev libxml2-dev \
            libxml2-utils ffmpeg libcriterion-dev age curl nginx-light wrk util-linux jq \
            e2fsprogs python3 xxd procps psmisc iproute2 libcairo2-dev libpango1.0-dev \
            poppler-utils chromium fonts-dejavu-core \
            clang libclang-rt-14-dev mediainfo opencolorio-tools time bc rclone strace

deps:
	@./scripts/deps.sh $(DEB_PKGS)

ifndef SETPOST_INNER
# The first pass: packages, then the same goals again with the flags read afresh.
$(PUBLIC): deps
	@$(MAKE) --no-print-directory -j$$(nproc) SETPOST_INNER=1 $@
else

# pkg-config module -> the Debian package that ships it, for the message when one is missing.
PKG_DEB := libmicrohttpd:libmicrohttpd-dev libcurl:libcurl4-openssl-dev jansson:libjansson-dev \
           libsodium:libsodium-dev libpq:libpq-dev libxxhash:libxxhash-dev libcrypto:libssl-dev \
           libxml-2.0:libxml2-dev pangocairo:libpango1.0-dev
ifeq ($(shell command -v pkg-config),)
$(error pkg-config is not installed: run `make deps` (Debian package pkg-config))
endif
PKG_MISSING := $(strip $(foreach m,$(PKGS),$(if $(shell pkg-config --exists $(m) && echo y),,$(m))))
ifneq ($(PKG_MISSING),)
$(error missing pkg-config modules: $(PKG_MISSING) (Debian packages: $(foreach m,$(PKG_MISSING),$(patsubst $(m):%,%,$(filter $(m):%,$(PKG_DEB))))); run `make deps`)
endif
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wmissing-declarations -Wpointer-arith -Wwrite-strings -Wvla -Wformat=2 \
            -Wundef -fno-common
BASE     := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -I. -pthread \
            $(shell pkg-config --cflags $(PKGS))
LIBS     := $(shell pkg-config --libs $(PKGS)) -pthread -lm
REL_CFLAGS  := $(BASE) -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2
# SETPOST_TEST_HOOKS: the environment hooks only tests use (cli/offload.c, cli/pull.c) are
# compiled into the sanitizer build the tests run, never into the release binary.
ASAN_CFLAGS := $(BASE) -DSETPOST_TEST_HOOKS -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all

GEN_SRC    := build/gen/migrations.c build/gen/openapi.c
LIB_SRC    := $(filter-out $(PENDING),$(wildcard lib/*/*.c)) $(GEN_SRC)
APP_SRC    := $(filter-out $(PENDING),$(wildcard cli/*.c server/*.c workers/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
E2E_SRC    := $(wildcard tests/e2e/test_*.c)
E2E_HELP   := $(filter-out $(E2E_SRC),$(wildcard tests/e2e/*.c))

REL_OBJ    := $(patsubst %.c,obj/release/%.o,$(LIB_SRC) $(APP_SRC))
ASAN_OBJ   := $(patsubst %.c,obj/asan/%.o,$(LIB_SRC) $(APP_SRC))
# Tests link everything but cli/ (which holds main).
TEST_OBJ   := $(patsubst %.c,obj/asan/%.o,$(LIB_SRC) $(filter-out cli/%,$(APP_SRC)))
UNIT_BIN   := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRC))
E2E_BIN    := $(patsubst tests/e2e/%.c,build/e2e/%,$(E2E_SRC))

# Fuzzing (docs/development.md): libFuzzer harnesses, built with Debian's clang against the
# library compiled again with coverage, ASan and UBSan (obj/fuzz/, then one archive so each
# harness links only what it uses). make test builds and runs them briefly when clang is here.
FUZZ_CC      := clang
FUZZ_SECONDS ?= 60
HAVE_CLANG   := $(shell command -v $(FUZZ_CC) >/dev/null 2>&1 && echo y)
# clang-only warnings the gcc builds do not give (-Werror holds there).
FUZZ_CFLAGS  := $(BASE) -Wno-format-nonliteral -Wno-string-concatenation -O1 -g \
                -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_LIBOBJ  := $(patsubst %.c,obj/fuzz/%.o,$(LIB_SRC) $(filter server/%,$(APP_SRC)))
FUZZ_SEEDS   := $(wildcard tests/fuzz/seeds/*/*)
FUZZ_ALL     := $(if $(HAVE_CLANG),$(FUZZ_BIN) build/fuzz/corpus/.made)


# Objects are kept between runs, even those make sees as intermediate.
.SECONDARY:

all: build
build: build/setpost
asan: build/setpost-asan

build/setpost: $(REL_OBJ)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

build/setpost-asan: $(ASAN_OBJ)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS)

MIGRATIONS := $(sort $(filter-out $(PENDING),$(wildcard migrations/*.sql)))

# The list itself is a prerequisite: a migration added with an older mtime than the embedded
# file (a merge, a checkout) must still be embedded. Rewritten only when the list changes.
MIGRATIONS_LIST := build/gen/migrations.list
$(shell mkdir -p build/gen && { echo '$(MIGRATIONS)' | cmp -s - $(MIGRATIONS_LIST) || echo '$(MIGRATIONS)' >$(MIGRATIONS_LIST); })

build/gen/migrations.c: scripts/embed-migrations.sh $(MIGRATIONS) $(MIGRATIONS_LIST)
	@mkdir -p $(@D)
	@scripts/embed-migrations.sh $@ $(MIGRATIONS)

build/gen/openapi.c: scripts/embed-text.sh server/openapi.json
	@mkdir -p $(@D)
	@scripts/embed-text.sh $@ server_openapi_json server/openapi.json

obj/release/build/gen/%.o: build/gen/%.c lib/store/migrate.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -c -o $@ $<

obj/asan/build/gen/%.o: build/gen/%.c lib/store/migrate.h
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(ASAN_CFLAGS) -c -o $@ $<

obj/release/%.o: %.c $(wildcard lib/*/*.h server/*.h workers/*.h cli/*.h)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -c -o $@ $<

obj/asan/%.o: %.c $(wildcard lib/*/*.h server/*.h workers/*.h cli/*.h tests/e2e/*.h)
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(ASAN_CFLAGS) -c -o $@ $<

build/unit/%: tests/unit/%.c $(TEST_OBJ)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS) -lcriterion

build/e2e/%: tests/e2e/%.c $(patsubst %.c,obj/asan/%.o,$(E2E_HELP)) $(TEST_OBJ)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LIBS) -lcriterion

obj/fuzz/%.o: %.c $(wildcard lib/*/*.h server/*.h workers/*.h)
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libsetpost.a: $(FUZZ_LIBOBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/libsetpost.a
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libsetpost.a $(LIBS)

# The seed corpora: written by build/fuzz/seeds with the library's own writers, plus the
# committed text seeds (tests/fuzz/seeds/<harness>/).
build/fuzz/seeds: tests/fuzz/seeds.c tests/fuzz/fuzz.h build/fuzz/libsetpost.a
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -o $@ $< build/fuzz/libsetpost.a $(LIBS)

build/fuzz/corpus/.made: build/fuzz/seeds $(FUZZ_SEEDS)
	@rm -rf build/fuzz/corpus
	@build/fuzz/seeds build/fuzz/corpus $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
	@for d in tests/fuzz/seeds/*; do \
		[ -d "$$d" ] || continue; mkdir -p build/fuzz/corpus/$${d##*/}; cp "$$d"/* build/fuzz/corpus/$${d##*/}/ 2>/dev/null || true; \
	done
	@touch $@

ifeq ($(HAVE_CLANG),)
fuzz test-fuzz:
	@echo "make fuzz needs clang (Debian packages clang libclang-rt-14-dev): run make deps" >&2; exit 1
else
fuzz: $(FUZZ_ALL)
	@./scripts/fuzz.sh $(FUZZ_SECONDS)

test-fuzz: $(FUZZ_ALL)
	@./scripts/test.sh fuzz
endif

run: build
	@./scripts/run.sh

# Each stage alone: unit tests, end-to-end tests (a throwaway PostgreSQL cluster), the
# command-line and browser tests, and the journeys (a user's whole path through the CLI and
# the HTTP API) against the sanitizer build; `test` runs them all.
test: lint build/setpost-asan $(UNIT_BIN) $(E2E_BIN) $(FUZZ_ALL) build/bench/jobrate
	@./scripts/test.sh unit e2e cli journey fuzz bench

test-unit: $(UNIT_BIN)
	@./scripts/test.sh unit

test-e2e: build/setpost-asan $(E2E_BIN)
	@./scripts/test.sh e2e

test-cli: build/setpost-asan
	@./scripts/test.sh cli

test-journey: build/setpost-asan
	@./scripts/test.sh journey

lint:
	@./scripts/lint.sh

# bench/jobs.sh's driver: the real worker loop on a job kind that does nothing (never in setpost).
build/bench/jobrate: bench/jobrate.c $(patsubst %.c,obj/release/%.o,$(LIB_SRC))
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

bench: build build/bench/jobrate
	@for b in bench/*.sh; do [ $$b = bench/common.sh ] || { echo "== $$b"; $$b || exit 1; }; done
# Every benchmark at its smallest size (seconds): it runs and prints its ratio lines.
bench-smoke: build build/bench/jobrate
	@SETPOST_BENCH_BIN=$(CURDIR)/build/setpost ./scripts/test.sh bench

install: build
	install -D -m 0755 build/setpost $(DESTDIR)$(PREFIX)/bin/setpost
	mkdir -p $(DESTDIR)$(PREFIX)/share/setpost
	cp -R web $(DESTDIR)$(PREFIX)/share/setpost/

endif
