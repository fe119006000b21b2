# wirelens: XDP/TC dataplane + loader CLI.
#   make deps    install the Debian packages needed (build, tests, demo)
#   make         build BPF objects, skeletons and build/wirelens (the CLI alone)
#   make check-build  also the test, bench and fuzz binaries (CUnit), verify_progs, ipfix_print,
#                     jit_lines
#   make test    deps + build + every test (CUnit test_run suites, live namespace tests)
#   make test-kernels  the checks under Debian 12, 13 and sid kernels (qemu; see tests/kernels/run.sh)
#   make bench   deps + build + benchmarks (bench/run.sh: test_run ns/packet, live pps, application
#                throughput, CPU, memory; bench/results.json); QUICK=1: under 2 minutes
#   make fuzz    deps + build + the test_run fuzzer's long mode (10 million packets per protocol)
#   make demo    deps + build + attach to a throwaway veth pair, show status and flows
#   make format  clang-format every C file; make format-check fails on unformatted code (CI)
#   make install   the CLI, man page, bash completion and systemd units under DESTDIR/PREFIX
#                  (the BPF programs are compiled into the CLI: libbpf skeletons, no .o to install)
#   make uninstall removes them;  make deb  the Debian package (dpkg-buildpackage -b, in ..)
#   V=1          print every command in full

VERSION  := 0.4.0

BUILD    ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -std=gnu11 -I$(BUILD) -I. -D_GNU_SOURCE
# libpcap: replay reads captures (loader/capture.c)
LDLIBS   := -lxdp -lbpf -lnl-route-3 -lnl-3 -ljson-c -lpcap -lelf -lz -lm
# the exporters: libmicrohttpd (Prometheus), libfixbuf (IPFIX, on glib)
FIXBUF_CFLAGS := $(shell pkg-config --cflags libfixbuf 2>/dev/null)
FIXBUF_LIBS   := $(shell pkg-config --libs libfixbuf 2>/dev/null || echo -lfixbuf -lglib-2.0)
LDLIBS   += -lmicrohttpd $(FIXBUF_LIBS)
NL_CFLAGS := $(shell pkg-config --cflags libnl-3.0 2>/dev/null || echo -I/usr/include/libnl3)
# wirelens top
LDLIBS   += -lncurses
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Wno-unused-parameter \
	      -Wno-unused-function -I$(BUILD) -I.

PARSE_HDRS := $(wildcard parse/*.h) maps/wirelens.h $(BUILD)/wl_proto_parsers.h
BPF_PROGS  := wl_xdp wl_tc
BPF_OBJS   := $(BPF_PROGS:%=$(BUILD)/%.bpf.o)
SKELS      := $(BPF_PROGS:%=$(BUILD)/%.skel.h)

LOADER_SRCS := $(wildcard loader/*.c)
LOADER_OBJS := $(LOADER_SRCS:loader/%.c=$(BUILD)/loader/%.o)
# Everything but main.o is a library the tests and benchmarks link too.
LIB_OBJS    := $(filter-out $(BUILD)/loader/main.o,$(LOADER_OBJS))

TEST_SRCS := $(wildcard tests/*.c)
TEST_OBJS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%.o)
BENCH_SRCS := $(filter-out %.bpf.c bench/jit_lines.c,$(wildcard bench/*.c))

# One line per step unless V=1.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

.DELETE_ON_ERROR:
.PHONY: all check-build deps test test-kernels bench fuzz demo format format-check clean install \
	uninstall deb FORCE
all: $(BUILD)/wirelens $(BUILD)/wirelens.8
check-build: all $(BUILD)/test_wirelens $(BUILD)/bench_wirelens $(BUILD)/verify_progs $(BUILD)/fuzz_wirelens $(BUILD)/ipfix_print \
	     $(BUILD)/jit_lines

$(BUILD)/.dirs:
	$(Q)mkdir -p $(BUILD)/loader $(BUILD)/tests $(BUILD)/bench && touch $@

# The protocol parsers and name tables, every one there is: a new protocol adds its files and its
# registry line (maps/wirelens.h), no include list.
$(BUILD)/wl_proto_parsers.h: $(wildcard parse/proto_*.h) Makefile | $(BUILD)/.dirs
	$(Q)for f in $(sort $(wildcard parse/proto_*.h)); do echo "#include \"$$f\""; done > $@.tmp && mv $@.tmp $@
$(BUILD)/wl_proto_names.h: $(wildcard loader/names/*.h) Makefile | $(BUILD)/.dirs
	$(Q)for f in $(sort $(wildcard loader/names/*.h)); do echo "#include \"$$f\""; done > $@.tmp && mv $@.tmp $@

# `wirelens --version`: the version and the commit built (GIT_COMMIT=... from outside git, e.g. a
# source package; "unknown" otherwise); rewritten only when it changes.
GIT_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(BUILD)/wl_version.h: FORCE | $(BUILD)/.dirs
	$(Q)printf '#define WL_VERSION "%s"\n#define WL_GIT_COMMIT "%s"\n' '$(VERSION)' '$(GIT_COMMIT)' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(BUILD)/loader/docs.o: $(BUILD)/wl_version.h

# vmlinux.h from the running kernel's BTF.
$(BUILD)/vmlinux.h: | $(BUILD)/.dirs
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "kernel has no BTF (/sys/kernel/btf/vmlinux)" >&2; exit 1; }
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# BPF objects: the entry points (xdp/, tc/) and the bench programs, one rule.
vpath %.bpf.c xdp tc bench
$(BUILD)/%.bpf.o: %.bpf.c $(PARSE_HDRS) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# kept after the skeletons are made: verify_progs OBJ.bpf.o, bpftool and veristat read them
.SECONDARY: $(BPF_OBJS) $(patsubst bench/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard bench/*.bpf.c))

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/loader/%.o: loader/%.c $(wildcard loader/*.h) $(BUILD)/wl_proto_names.h maps/wirelens.h $(SKELS) | $(BUILD)/.dirs
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(NL_CFLAGS) -c $< -o $@
$(BUILD)/loader/export_ipfix.o: CFLAGS += $(FIXBUF_CFLAGS)

$(BUILD)/wirelens: $(LOADER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The man page comes from the verb tables (loader/docs.c): the built CLI prints it.
$(BUILD)/wirelens.8: $(BUILD)/wirelens
	$(call msg,MAN,$@)
	$(Q)$< __man > $@

$(BUILD)/tests/%.o: tests/%.c $(wildcard tests/*.h) $(wildcard loader/*.h) maps/wirelens.h $(SKELS) | $(BUILD)/.dirs
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(NL_CFLAGS) -c $< -o $@

$(BUILD)/test_wirelens: $(TEST_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# A second IPFIX consumer for the live export tests (libfixbuf's collecting side).
$(BUILD)/ipfix_print: tests/tools/ipfix_print.c | $(BUILD)/.dirs
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(FIXBUF_CFLAGS) -o $@ $< $(FIXBUF_LIBS)

# Loads every program alone and prints its verified instructions (tests/run.sh, test-kernels).
# A live profile's samples of a JIT-compiled program, by source line (bench/jit_lines.c).
$(BUILD)/jit_lines: bench/jit_lines.c | $(BUILD)/.dirs
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

$(BUILD)/verify_progs: tests/kernels/verify_progs.c $(SKELS) | $(BUILD)/.dirs
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

# The test_run fuzzer (tests/fuzz/): a short run in tests/run.sh, the long one in make fuzz.
FUZZ_OBJS := $(BUILD)/tests/harness.o $(BUILD)/tests/l7conv.o $(BUILD)/tests/pktbuild.o
$(BUILD)/fuzz_wirelens: tests/fuzz/fuzz.c tests/fuzz/seeds.c tests/fuzz/seeds.h $(FUZZ_OBJS) $(LIB_OBJS) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(NL_CFLAGS) -o $@ tests/fuzz/fuzz.c tests/fuzz/seeds.c $(FUZZ_OBJS) $(LIB_OBJS) $(LDLIBS)

BENCH_SKELS := $(patsubst bench/%.bpf.c,$(BUILD)/%.skel.h,$(wildcard bench/*.bpf.c))
$(BUILD)/bench_wirelens: $(BENCH_SRCS) $(LIB_OBJS) $(BENCH_SKELS) $(SKELS) $(wildcard tests/*.h)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(BENCH_SRCS) $(filter tests/pktbuild.c,$(TEST_SRCS)) $(LIB_OBJS) $(LDLIBS)

# Packages: build toolchain, libraries, and the real servers/clients the tests drive.
DEB_PKGS := clang llvm make gcc pkg-config libbpf-dev libxdp-dev xdp-tools libelf-dev zlib1g-dev \
	libnl-3-dev libnl-route-3-dev bpftool libcunit1-dev libpcap-dev libjson-c-dev \
	iproute2 ethtool tcpdump jq netcat-openbsd iputils-ping curl \
	redis-server redis-tools memcached libmemcached-tools nginx-light dnsutils unbound \
	mariadb-server mariadb-client sysbench postgresql postgresql-contrib librdkafka-dev libmongoc-dev \
	apache2-utils kcat libmariadb-dev nodejs \
	libmicrohttpd-dev libfixbuf-dev prometheus nfdump \
	debhelper dpkg-dev fakeroot lintian bash-completion man-db systemd
DEB_PKGS += libncurses-dev tmux # wirelens top and its test under tmux

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps needs root (apt-get)" >&2; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

test: deps
	$(MAKE) check-build
	tests/run.sh $(BUILD)

# The verifier check, test_run suites and live tests under Debian's stock 6.1, 6.12 and newest
# kernels, booted under qemu: KERNELS="bookworm sid" KSTAGES="verify live" choose (tests/kernels/run.sh).
test-kernels: deps
	$(MAKE) check-build
	tests/kernels/run.sh $(BUILD)

bench: deps
	$(MAKE) check-build
	QUICK=$(QUICK) bench/run.sh $(BUILD)

# Every protocol program fed 10 million mutated packets (tests/fuzz/fuzz.c), invariants checked.
fuzz: deps
	$(MAKE) check-build
	$(BUILD)/fuzz_wirelens --long

demo: deps
	$(MAKE) all
	tests/demo.sh $(BUILD)

# Installation. DESTDIR for staging (packages), PREFIX /usr/local by default; the systemd units
# go where systemd looks for them (SYSTEMD_UNITDIR), /etc/default/wirelens is not overwritten.
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITS    := $(notdir $(wildcard dist/systemd/*.service))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMD_UNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	install -m 0755 $(BUILD)/wirelens $(DESTDIR)$(BINDIR)/wirelens
	install -m 0644 $(BUILD)/wirelens.8 $(DESTDIR)$(MANDIR)/man8/wirelens.8
	install -m 0644 dist/bash-completion/wirelens $(DESTDIR)$(BASHCOMPDIR)/wirelens
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/systemd/$$u \
			> $(DESTDIR)$(SYSTEMD_UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/$$u || exit 1; \
	done
	test -e $(DESTDIR)$(SYSCONFDIR)/default/wirelens || \
		install -m 0644 dist/default/wirelens $(DESTDIR)$(SYSCONFDIR)/default/wirelens

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wirelens $(DESTDIR)$(MANDIR)/man8/wirelens.8 \
		$(DESTDIR)$(BASHCOMPDIR)/wirelens $(UNITS:%=$(DESTDIR)$(SYSTEMD_UNITDIR)/%)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/default/wirelens (configuration: remove it by hand)"

# The Debian package (debian/), built without its tests (make test runs them) into ..
deb:
	DEB_BUILD_OPTIONS="nocheck parallel=$$(nproc) $(DEB_BUILD_OPTIONS)" dpkg-buildpackage -b -us -uc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@bad=$$(for f in $$(git ls-files '*.c' '*.h'); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "not clang-formatted (make format):" $$bad >&2; exit 1; fi

clean:
	rm -rf $(BUILD)
