# SPDX-License-Identifier: GPL-2.0
#
# winsock: installation and packaging, included by the top-level Makefile
# after its build rules (it uses TOP, BUILD, VERSION, LIB_SOVERSION,
# KMOD_SRCS and the rules that build the module, library and tools).
#
#   make install          module + udev rule + modules-load.d, library,
#                         headers, pkg-config file, tools, man pages
#   make uninstall        removes exactly the files install puts in place
#   make dkms-install     /usr/src/winsock-$(VERSION), added to DKMS and
#                         installed for $(KERNELRELEASE)
#   make dkms-uninstall   removes it from DKMS and /usr/src
#   make load / unload    scripts/load.sh on the running kernel
#   make check-install    scripts/check-install.sh (KTAP)
#
# Honours DESTDIR, PREFIX, BINDIR, SBINDIR, LIBDIR, INCLUDEDIR,
# PKGCONFIGDIR, MANDIR, UDEVDIR, MODULESLOADDIR, KERNELRELEASE,
# INSTALL_TOOLS and RUN_DEPMOD.  A staged install for a package:
#   make install DESTDIR=$PWD/stage PREFIX=/usr KERNELRELEASE=6.1.0-NN-amd64
#
# The module lands in /lib/modules/<release>/updates; `make dkms-install`
# puts its own copy in updates/dkms.  Use one or the other on a machine,
# not both, or depmod picks one of the two copies arbitrarily.

# Included at the top of a makefile, the first rule here would become the
# default goal; give that choice back to the including makefile.
ws_install_saved_goal := $(.DEFAULT_GOAL)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
# udev reads /lib/udev/rules.d and /usr/local/lib/udev/rules.d, not
# /usr/lib/udev/rules.d on split-/usr systems: /usr installs use /lib.
UDEVDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/udev/rules.d,$(PREFIX)/lib/udev/rules.d)
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
ifeq ($(origin KERNELRELEASE),undefined)
KERNELRELEASE := $(shell uname -r)
endif
MODULEDIR ?= /lib/modules/$(KERNELRELEASE)/updates

# The tools to install; the top-level Makefile lists every tool it builds
# in $(BUILD)/host.  Administration tools go to sbin.
INSTALL_TOOLS ?= winsock-demo
SBIN_TOOLS ?= winsock-audit

# A staged install (DESTDIR set) leaves the module index alone: the
# package's postinst runs depmod on the target, and index files in the
# stage would belong to no package.  RUN_DEPMOD=yes forces it, e.g. when
# DESTDIR is the root of a system image.
RUN_DEPMOD ?= $(if $(DESTDIR),no,yes)
DEPMOD ?= depmod
DKMS ?= dkms
INSTALL ?= install

DKMS_SRCDIR = $(DESTDIR)/usr/src/winsock-$(VERSION)
WS_HEADERS := $(notdir $(wildcard $(TOP)/lib/include/winsock/*.h))
# Every man page of the library and the tools, each into man<section>.
WS_MANPAGES := $(wildcard $(TOP)/lib/man/*.[1-8] $(TOP)/tools/man/*.[1-8])
ws_mandir = $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))
ws_tooldir = $(DESTDIR)$(if $(filter $(SBIN_TOOLS),$(1)),$(SBINDIR),$(BINDIR))
# pkg-config paths relative to ${prefix} keep the file relocatable
# (pkg-config --define-prefix).
ws_pcpath = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# The module for a release builds only against that release's headers
# (the host's, or those in the release's build root: KERNEL_ROOT_<release>
# in cache/kernels.mk); without them, say so instead of failing inside the
# kernel's make.
WS_INSTALL_KO := $(if $(wildcard $(KERNEL_ROOT_$(KERNELRELEASE))/lib/modules/$(KERNELRELEASE)/build/Makefile),$(BUILD)/$(KERNELRELEASE)/winsock.ko,ws-no-kernel-headers)

.PHONY: install install-module install-lib install-tools install-man \
	uninstall uninstall-module uninstall-lib uninstall-tools uninstall-man \
	dkms-install dkms-uninstall load unload check-install ws-no-kernel-headers

install: install-module install-lib install-tools install-man

install-module: $(WS_INSTALL_KO)
	$(INSTALL) -d $(DESTDIR)$(MODULEDIR) $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(MODULESLOADDIR)
	$(INSTALL) -m 0644 $(BUILD)/$(KERNELRELEASE)/winsock.ko $(DESTDIR)$(MODULEDIR)/winsock.ko
	$(INSTALL) -m 0644 $(TOP)/packaging/udev/60-winsock.rules $(DESTDIR)$(UDEVDIR)/60-winsock.rules
	$(INSTALL) -m 0644 $(TOP)/packaging/modules-load.d/winsock.conf $(DESTDIR)$(MODULESLOADDIR)/winsock.conf
ifeq ($(RUN_DEPMOD),yes)
	$(DEPMOD) -a $(if $(DESTDIR),-b $(DESTDIR)) $(KERNELRELEASE)
else
	@echo "install-module: depmod not run for a staged install (RUN_DEPMOD=yes to run it)"
endif

ws-no-kernel-headers:
	@echo "install-module: no kernel headers for $(KERNELRELEASE) (/lib/modules/$(KERNELRELEASE)/build)." >&2
	@echo "  Install linux-headers-$(KERNELRELEASE), or name a release that has them:" >&2
	@echo "  make install KERNELRELEASE=<release>   (configured: $(KERNELS))" >&2
	@echo "  make install-lib install-tools install-man installs the rest without the module." >&2
	@exit 1

# winsock2.h includes <linux/winsock.h>, the module's ABI header, so it is
# installed too.  libwinsock.so.1 is the real file: VERSION numbers the
# project's releases, not revisions of the library ABI.
install-lib: $(BUILD)/host/libwinsock.a $(BUILD)/host/libwinsock.so.$(LIB_SOVERSION)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/winsock $(DESTDIR)$(INCLUDEDIR)/linux
	$(INSTALL) -m 0755 $(BUILD)/host/libwinsock.so.$(LIB_SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sfn libwinsock.so.$(LIB_SOVERSION) $(DESTDIR)$(LIBDIR)/libwinsock.so
	$(INSTALL) -m 0644 $(BUILD)/host/libwinsock.a $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0644 $(addprefix $(TOP)/lib/include/winsock/,$(WS_HEADERS)) $(DESTDIR)$(INCLUDEDIR)/winsock/
	$(INSTALL) -m 0644 $(TOP)/uapi/linux/winsock.h $(DESTDIR)$(INCLUDEDIR)/linux/
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(call ws_pcpath,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call ws_pcpath,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    $(TOP)/lib/libwinsock.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libwinsock.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libwinsock.pc
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then echo ldconfig; ldconfig; fi

install-tools: $(addprefix $(BUILD)/host/,$(INSTALL_TOOLS))
	$(foreach t,$(INSTALL_TOOLS),$(INSTALL) -D -m 0755 $(BUILD)/host/$(t) $(call ws_tooldir,$(t))/$(t) &&) :

install-man:
	$(foreach p,$(WS_MANPAGES),$(INSTALL) -D -m 0644 $(p) $(call ws_mandir,$(p))/$(notdir $(p)) &&) :

uninstall: uninstall-module uninstall-lib uninstall-tools uninstall-man

uninstall-module:
	rm -f $(DESTDIR)$(MODULEDIR)/winsock.ko $(DESTDIR)$(UDEVDIR)/60-winsock.rules \
		$(DESTDIR)$(MODULESLOADDIR)/winsock.conf
ifeq ($(RUN_DEPMOD),yes)
	if [ -d $(DESTDIR)/lib/modules/$(KERNELRELEASE) ]; then \
		$(DEPMOD) -a $(if $(DESTDIR),-b $(DESTDIR)) $(KERNELRELEASE); fi
endif

# The winsock/ include directory is ours alone; linux/ is shared.
uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libwinsock.so $(DESTDIR)$(LIBDIR)/libwinsock.so.$(LIB_SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libwinsock.a $(DESTDIR)$(PKGCONFIGDIR)/libwinsock.pc \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/winsock/,$(WS_HEADERS)) \
		$(DESTDIR)$(INCLUDEDIR)/linux/winsock.h
	if [ -d $(DESTDIR)$(INCLUDEDIR)/winsock ]; then \
		rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/winsock; fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then echo ldconfig; ldconfig; fi

uninstall-tools:
	rm -f $(foreach t,$(INSTALL_TOOLS),$(call ws_tooldir,$(t))/$(t))

uninstall-man:
	rm -f $(foreach p,$(WS_MANPAGES),$(call ws_mandir,$(p))/$(notdir $(p)))

# The DKMS source is what the module build needs and nothing else.  Its
# dkms.conf carries the literal version, so that tools which read the
# file as text (not by sourcing it, as dkms does) see the version too.
# With DESTDIR set it only stages the source for a package, whose
# postinst runs `dkms add/install`.
dkms-install:
	@if [ -z "$(DESTDIR)" ] && [ -n "$$($(DKMS) status -m winsock -v $(VERSION))" ]; then \
		echo "$(DKMS) remove -m winsock -v $(VERSION) --all"; \
		$(DKMS) remove -m winsock -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRCDIR)
	$(INSTALL) -d $(DKMS_SRCDIR)
	cd $(TOP) && cp --parents dkms.conf $(KMOD_SRCS) $(DKMS_SRCDIR)/
	sed -i 's|^PACKAGE_VERSION=.*|PACKAGE_VERSION="$(VERSION)"|' $(DKMS_SRCDIR)/dkms.conf
ifeq ($(DESTDIR),)
	$(DKMS) add -m winsock -v $(VERSION)
	$(DKMS) install -m winsock -v $(VERSION) -k $(KERNELRELEASE)
endif

dkms-uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -n "$$($(DKMS) status -m winsock -v $(VERSION))" ]; then \
		echo "$(DKMS) remove -m winsock -v $(VERSION) --all"; \
		$(DKMS) remove -m winsock -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRCDIR)

# load.sh explains what keeps the running kernel from loading the module;
# build it first only where that can work.
WS_RUNNING := $(shell uname -r)
load: $(if $(wildcard /lib/modules/$(WS_RUNNING)/build/Makefile),$(BUILD)/$(WS_RUNNING)/winsock.ko)
	@bash $(TOP)/scripts/load.sh load

unload:
	@bash $(TOP)/scripts/load.sh unload

check-install:
	@bash $(TOP)/scripts/check-install.sh

.DEFAULT_GOAL := $(ws_install_saved_goal)
