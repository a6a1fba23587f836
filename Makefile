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
LDLIBS   = -lssl -lcrypto -lcrypt

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
	common/linebuf.c \
	common/netio.c \
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
	servers/core/folders.c \
	servers/core/keywords.c \
	servers/core/listener.c \
	servers/core/maildir.c \
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
		$(if $(SHELL_SRCS),$(LIBSHELL)) $(LIBCORE) $(LIBPROTO) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(if $(SHELL_SRCS),-lreadline) $(LDLIBS)

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

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
