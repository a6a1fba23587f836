# maillab - build, run and test.
#
#   make          build everything into build/ (programs in build/bin/)
#   make run      set up data/ (demo users, lab CA, demo mail) and start the
#                 servers on the lab ports; Ctrl-C or `make stop` stops them
#   make test     install what the tests need (as root), build, run every
#                 test normally and again under ASan+UBSan
#   make stop     stop servers started by `make run`
#   make clean    remove build/
#
# Source lists are explicit, one file per line, so a reader sees what goes
# into each program.  Objects are grouped into static libraries that the
# servers, the tools and the tests share.

BUILD   ?= build
DATA    ?= data
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror
CPPFLAGS = -D_GNU_SOURCE -MMD -MP
# The servers load their certificate on a thread of its own
# (servers/core/options.c, load_apart()).  -z now binds every library
# function at start-up (the dynamic loader's "BIND_NOW") instead of at
# its first call: the listener binds them once, where otherwise every
# session process would write the addresses into its own copy of the
# program's table (a page copied per session, docs/bench.md changes 24
# and 25).
LDFLAGS += -pthread -Wl,-z,now

# OpenSSL is linked into the programs, and the programs are not
# position-independent, unless `make PIE=1` (into a BUILD of its own,
# such as `make PIE=1 BUILD=build/pie`: make does not relink programs
# when only the flags change).  A program that loads
# libcrypto.so must first patch some twenty thousand pointers in its data
# with the address it was loaded at, which dirties a hundred and more
# pages, each a page fault - on a virtual machine a trip through the
# hypervisor.  Linked in at a fixed address, those pointers are final on
# disk.  Measured on the bench machine: imapd's start-up to the first
# greeting 21 ms loaded and position-independent, 17 ms with OpenSSL
# linked in but still position-independent, 15 ms as built here
# (docs/bench.md).  The price: the program's own code and data sit at
# the same address in every run (the stack, the heap and the shared
# libraries are still placed at random), and an OpenSSL update needs a
# rebuild: every program that links OpenSSL names libssl.a and
# libcrypto.a as prerequisites, so `make` links it again after libssl-dev
# is updated.  With PIE=1, SSL_ARCHIVES is empty and those prerequisites
# are none.
ifeq ($(PIE),1)
LDLIBS   = -lssl -lcrypto -lcrypt
else
SSL_ARCHIVES := $(foreach a,libssl.a libcrypto.a,$(or $(realpath $(shell $(CC) -print-file-name=$(a))),$(a)))
LDLIBS   = -lcrypt
LDFLAGS += -no-pie
endif

# `make SAN=1` builds with AddressSanitizer and UndefinedBehaviorSanitizer
# (make test does this into build/asan).
ifeq ($(SAN),1)
CFLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
          -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# ---- libraries ---------------------------------------------------------

# common/: mechanics shared by servers and shell (framing, TLS, trace)
COMMON_SRCS = \
	common/base64.c \
	common/buf.c \
	common/digest.c \
	common/fdio.c \
	common/linebuf.c \
	common/netio.c \
	common/prefault.c \
	common/tls.c \
	common/trace.c

# proto/: what the protocols are (command tables, states, reply codes)
PROTO_SRCS = \
	proto/codes.c \
	proto/imap.c \
	proto/pop3.c \
	proto/smtp.c

# servers/core/: listener, Maildir store, users, SASL, options
CORE_SRCS = \
	servers/core/flush.c \
	servers/core/folders.c \
	servers/core/handoff.c \
	servers/core/keywords.c \
	servers/core/listener.c \
	servers/core/maildir.c \
	servers/core/maildir_cache.c \
	servers/core/maildir_msg.c \
	servers/core/maildir_util.c \
	servers/core/options.c \
	servers/core/recent.c \
	servers/core/sasl.c \
	servers/core/session.c \
	servers/core/uidlist.c \
	servers/core/users.c

# servers/pop3/: the POP3 server without its main()
POP3_SRCS = \
	servers/pop3/pop3_auth.c \
	servers/pop3/pop3_cmds.c \
	servers/pop3/pop3_core.c \
	servers/pop3/pop3_session.c

# servers/smtp/: the SMTP server without its main()
SMTP_SRCS = \
	$(sort $(filter-out servers/smtp/smtpd.c,$(wildcard servers/smtp/*.c)))

# servers/imap/: the IMAP server without its main()
IMAP_SRCS = \
	$(sort $(filter-out servers/imap/imapd.c,$(wildcard servers/imap/*.c)))

# shell/: mailsh without its main()
SHELL_SRCS = \
	$(sort $(filter-out shell/main.c,$(wildcard shell/*.c)))

# bench/: the load generator and the probes of `make bench`, without
# their main()s; clients built on common/ only, never on server code
BENCH_SRCS = \
	$(sort $(filter-out bench/loadgen.c bench/benchprobe.c,$(wildcard bench/*.c)))

# ---- programs ----------------------------------------------------------

PROGRAMS = \
	$(BUILD)/bin/pop3d \
	$(BUILD)/bin/mailctl \
	$(if $(wildcard servers/smtp/smtpd.c),$(BUILD)/bin/smtpd) \
	$(if $(wildcard servers/imap/imapd.c),$(BUILD)/bin/imapd) \
	$(if $(wildcard shell/main.c),$(BUILD)/bin/mailsh)

UNIT_SRCS  = $(sort $(wildcard tests/unit/check_*.c))
UNIT_NAMES = $(patsubst tests/unit/check_%.c,%,$(UNIT_SRCS))

OBJ = $(BUILD)/obj
lib_objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

LIBCOMMON = $(BUILD)/lib/libcommon.a
LIBPROTO  = $(BUILD)/lib/libproto.a
LIBCORE   = $(BUILD)/lib/libcore.a
LIBPOP3   = $(BUILD)/lib/libpop3.a
LIBSMTP   = $(BUILD)/lib/libsmtp.a
LIBIMAP   = $(BUILD)/lib/libimap.a
LIBSHELL  = $(BUILD)/lib/libshell.a
LIBBENCH  = $(BUILD)/lib/libbench.a

.PHONY: all run stop test unit integration clean
all: $(PROGRAMS) $(BUILD)/bin/check_unit

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(OBJ)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -I$(BUILD) -c -o $@ $<

$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBCOMMON): $(call lib_objs,$(COMMON_SRCS))
$(LIBPROTO):  $(call lib_objs,$(PROTO_SRCS))
$(LIBCORE):   $(call lib_objs,$(CORE_SRCS))
$(LIBPOP3):   $(call lib_objs,$(POP3_SRCS))
$(LIBSMTP):   $(call lib_objs,$(SMTP_SRCS))
$(LIBIMAP):   $(call lib_objs,$(IMAP_SRCS))
$(LIBSHELL):  $(call lib_objs,$(SHELL_SRCS))

$(BUILD)/bin/pop3d: $(OBJ)/servers/pop3/pop3d.o $(LIBPOP3) $(LIBCORE) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/mailctl: $(OBJ)/tools/mailctl.o $(LIBCORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/smtpd: $(OBJ)/servers/smtp/smtpd.o $(LIBSMTP) $(LIBCORE) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/imapd: $(OBJ)/servers/imap/imapd.o $(LIBIMAP) $(LIBCORE) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# mailsh never links server code: only shell/, proto/ and common/.
$(BUILD)/bin/mailsh: $(OBJ)/shell/main.o $(LIBSHELL) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lreadline $(LDLIBS)

# The unit-test runner finds its suites from the file names: each
# tests/unit/check_NAME.c defines `Suite *NAME_suite(void)`.
$(BUILD)/unit_suites.h: $(UNIT_SRCS) Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' $(foreach n,$(UNIT_NAMES),'UNIT_SUITE($(n))') > $@

$(OBJ)/tests/unit/runner.o: $(BUILD)/unit_suites.h

$(BUILD)/bin/check_unit: $(call lib_objs,$(UNIT_SRCS) tests/unit/runner.c tests/unit/fixture.c) \
		$(LIBPOP3) $(if $(SMTP_SRCS),$(LIBSMTP)) $(if $(IMAP_SRCS),$(LIBIMAP)) \
		$(if $(SHELL_SRCS),$(LIBSHELL)) $(if $(BENCH_SRCS),$(LIBBENCH)) \
		$(LIBCORE) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(if $(SHELL_SRCS),-lreadline) $(LDLIBS)

# The archives go on the link line after the objects and libraries
# ($^ keeps the order in which the prerequisites were named).  An archive
# the compiler could not find is left as its bare name, made here.
$(PROGRAMS) $(BUILD)/bin/check_unit: $(SSL_ARCHIVES)
libssl.a libcrypto.a:
	@echo "make: $@ not found: install libssl-dev (tools/deps.sh run), or build with PIE=1" >&2
	@exit 1

# ---- diagrams, slides and reference docs --------------------------------
#
#   make diagrams    build/diagrams/*.svg: the state machines, drawn by
#                    tools/statedot from proto/*.def, and the mail path and
#                    port/TLS matrix from slides/diagrams/*.dot
#   make slides      build/slides/*.html: one self-contained reveal.js deck
#                    per slides/NN-*.md, with excerpts from sessions/
#   make slides-pdf  build/slides/*.pdf, printed by headless Chromium
#   make docs        build/docs/html/: the Doxygen reference; any warning
#                    fails the build
#   make rfc-map     refresh the generated table in docs/rfc-map.md
#
# The documents need doxygen, graphviz, pandoc, npm (reveal.js comes from
# the npm registry, pinned by slides/package-lock.json) and, for PDF,
# chromium; tools/deps.sh test installs them.

$(BUILD)/bin/statedot: $(OBJ)/tools/statedot.o $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

all: $(BUILD)/bin/statedot

DIAGRAM_DIR = $(BUILD)/diagrams
STATE_DOTS  = $(DIAGRAM_DIR)/pop3.dot $(DIAGRAM_DIR)/smtp.dot $(DIAGRAM_DIR)/imap.dot
HAND_DOTS   = $(patsubst slides/diagrams/%,$(DIAGRAM_DIR)/%,$(wildcard slides/diagrams/*.dot))
DIAGRAMS    = $(patsubst %.dot,%.svg,$(STATE_DOTS) $(HAND_DOTS))

$(STATE_DOTS): $(DIAGRAM_DIR)/%.dot: $(BUILD)/bin/statedot
	@mkdir -p $(dir $@)
	$(BUILD)/bin/statedot $* > $@.tmp && mv $@.tmp $@

$(HAND_DOTS): $(DIAGRAM_DIR)/%.dot: slides/diagrams/%.dot
	@mkdir -p $(dir $@)
	cp $< $@

$(DIAGRAM_DIR)/%.svg: $(DIAGRAM_DIR)/%.dot
	dot -Tsvg -o $@.tmp $< && mv $@.tmp $@

# Decks: pandoc writes reveal.js HTML with every script, style sheet, font
# and picture embedded, so a deck opens from a USB stick with no network.
DECKS     = $(sort $(wildcard slides/[0-9]*.md))
SLIDES    = $(patsubst slides/%.md,$(BUILD)/slides/%.html,$(DECKS))
NPM_DIR   = $(BUILD)/slides/npm
REVEALJS  = $(NPM_DIR)/node_modules/reveal.js
SESSIONS  = $(wildcard sessions/*/*.session)
# pandoc 2.19 renamed --self-contained (and warns about the old name).
PANDOC_EMBED = $(shell pandoc --help 2>/dev/null | grep -q -- --embed-resources \
		 && echo '--embed-resources --standalone' || echo --self-contained)
PANDOC_FLAGS = --from markdown --to revealjs $(PANDOC_EMBED) --fail-if-warnings \
	--slide-level=2 --lua-filter=slides/excerpt.lua --css=slides/maillab.css \
	--resource-path=.:$(DIAGRAM_DIR):slides -M session-dir=sessions \
	-M statedot=$(BUILD)/bin/statedot \
	-V revealjs-url=$(REVEALJS) -V theme=white -V transition=none \
	-V slideNumber=true -V hash=true -V width=1280 -V height=760 -V margin=0.04

$(REVEALJS)/dist/reveal.js: slides/package.json slides/package-lock.json
	@mkdir -p $(NPM_DIR)
	cp slides/package.json slides/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund > npm.log 2>&1 || { cat npm.log; exit 1; }
	touch $@

$(BUILD)/slides/%.html: slides/%.md slides/excerpt.lua slides/maillab.css \
		$(DIAGRAMS) $(REVEALJS)/dist/reveal.js $(SESSIONS) $(BUILD)/bin/statedot
	pandoc $(PANDOC_FLAGS) -o $@.tmp.html $< && mv $@.tmp.html $@

# PDF: reveal.js lays every slide out as a page when the URL asks for
# print-pdf, and headless Chromium prints that (slides/pdf.py; docs in
# slides/README.md).
$(BUILD)/slides/%.pdf: $(BUILD)/slides/%.html slides/pdf.py slides/cdp.py
	python3 slides/pdf.py $< $@

# Doxygen reads the headers (docs/Doxyfile says why only those), the main
# page, the diagrams and the list of RFC citations made from the sources.
DOC_HEADERS = $(sort $(wildcard proto/*.h common/*.h servers/*/*.h shell/*.h))
DOC_SOURCES = $(sort $(wildcard proto/*.[ch] proto/*.def common/*.[ch] \
	servers/*/*.[ch] shell/*.[ch] tools/*.c))

$(BUILD)/docs/rfc-citations.md: docs/rfc-citations.awk $(DOC_SOURCES)
	@mkdir -p $(dir $@)
	@echo "awk -f docs/rfc-citations.awk ... > $@"
	@awk -f docs/rfc-citations.awk $(DOC_SOURCES) > $@.tmp && mv $@.tmp $@

$(BUILD)/docs/html/index.html: docs/Doxyfile docs/mainpage.md docs/rfc-map.md \
		$(DOC_HEADERS) $(STATE_DOTS) $(HAND_DOTS) $(BUILD)/docs/rfc-citations.md
	rm -rf $(BUILD)/docs/html
	MAILLAB_BUILD=$(BUILD) doxygen docs/Doxyfile > $(BUILD)/docs/doxygen.log 2>&1 \
		|| { cat $(BUILD)/docs/doxygen.log $(BUILD)/docs/doxygen-warnings.log; exit 1; }
	@if [ -s $(BUILD)/docs/doxygen-warnings.log ]; then \
		cat $(BUILD)/docs/doxygen-warnings.log; exit 1; fi

.PHONY: diagrams slides slides-pdf docs rfc-map
diagrams: $(DIAGRAMS)
slides: $(SLIDES)
slides-pdf: $(SLIDES:.html=.pdf)
docs: $(BUILD)/docs/html/index.html

# docs/rfc-map.md is written by hand except between its two markers,
# where statedot puts one row per command of the tables.
rfc-map: $(BUILD)/bin/statedot
	$(BUILD)/bin/statedot rfc-map $(sort $(wildcard servers/*/*.c)) > $(BUILD)/rfc-map-rows.md
	awk -v rows=$(BUILD)/rfc-map-rows.md -f docs/rfc-map.awk docs/rfc-map.md > $(BUILD)/rfc-map.md
	mv $(BUILD)/rfc-map.md docs/rfc-map.md

# ---- the two commands of the README -----------------------------------

run:
	@tools/deps.sh run
	@$(MAKE) --no-print-directory all
	@tools/run.sh $(DATA) $(BUILD)/bin

stop:
	@tools/stop.sh $(DATA)

test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all
	@tests/run.sh

unit: $(BUILD)/bin/check_unit
	$(BUILD)/bin/check_unit

clean:
	rm -rf build

# ---- make bench (docs/bench.md) ---------------------------------------

# The load generator and the probes are built with everything else, so
# `make test` can run a tiny load of each workload.  `make bench` builds
# all of it again with optimisation into build/opt (never with the
# sanitizers) and runs bench/bench.py, which starts maillab's servers,
# Dovecot and Postfix on free loopback ports, runs every workload against
# each, and writes build/bench/ (results.json, results.csv, the plots).
# BENCH_ARGS passes options to bench.py (e.g. BENCH_ARGS='--duration 5').

.PHONY: bench
$(LIBBENCH): $(call lib_objs,$(BENCH_SRCS))

all: $(if $(BENCH_SRCS),$(BUILD)/bin/loadgen $(BUILD)/bin/benchprobe)

$(BUILD)/bin/loadgen: $(OBJ)/bench/loadgen.o $(LIBBENCH) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/benchprobe: $(OBJ)/bench/benchprobe.o $(LIBBENCH) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/loadgen $(BUILD)/bin/benchprobe: $(SSL_ARCHIVES)

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory BUILD=build/opt CFLAGS='-O2 -g' SAN=0 all
	@python3 bench/bench.py --bin build/opt/bin --out build/bench $(BENCH_ARGS)

# ---- make fuzz (docs/robustness.md) ------------------------------------
#
#   make fuzz        build the libFuzzer targets of fuzz/ (clang, with
#                    AddressSanitizer and UBSan) into build/fuzz, then run
#                    each for FUZZ_SECONDS; the corpus grows in
#                    build/fuzz/corpus/, findings go to build/fuzz/crashes/
#   make fuzz-check  replay fuzz/regress/ and run each target for a fixed
#                    FUZZ_RUNS executions from its seeds: the step of
#                    make test that prints "fuzz: N passed, N failed"
#
# The targets link the same libraries as the servers, compiled again by
# clang with -fsanitize=fuzzer-no-link so libFuzzer sees their coverage.

FUZZ_BUILD   = build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 8000
FUZZ_NAMES   = $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))

ifeq ($(FUZZ),1)
CC      = clang
CFLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
          -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link
endif

$(BUILD)/bin/fuzz_%: $(OBJ)/fuzz/fuzz_%.o $(OBJ)/fuzz/support.o $(LIBPOP3) \
		$(LIBSMTP) $(LIBIMAP) $(LIBSHELL) $(LIBCORE) $(LIBPROTO) $(LIBCOMMON) \
		$(SSL_ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ -lreadline $(LDLIBS)

.PHONY: fuzz fuzz-build fuzz-check
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) FUZZ=1 \
		$(patsubst %,$(FUZZ_BUILD)/bin/fuzz_%,$(FUZZ_NAMES))

fuzz: fuzz-build
	@fuzz/run.sh --bin $(FUZZ_BUILD)/bin --seconds $(FUZZ_SECONDS)

fuzz-check: fuzz-build
	@fuzz/run.sh --bin $(FUZZ_BUILD)/bin --runs $(FUZZ_RUNS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
