# Shared by every lguest Guest's Makefile (this one, faults/, fuzz/...): the
# cross toolchain and flags. Builds are reproducible: no timestamps, no
# absolute paths, no build ids. LGUEST_DIR is this directory.
LGUEST_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
CROSS   ?= i686-linux-gnu-
CC      := $(CROSS)gcc
LD      := $(CROSS)ld
INCLUDE := $(patsubst ./%,%,$(LGUEST_DIR)../include)

# -fno-delete-null-pointer-checks: boot_params lives at address 0, and a
# Guest may legitimately look there.
CFLAGS  := -m32 -march=i686 -mtune=generic -std=gnu11 -O2 -g -Wall -Wextra \
           -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -fno-stack-protector \
           -fno-omit-frame-pointer -fno-strict-aliasing -fno-delete-null-pointer-checks \
           -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
           -fno-unwind-tables -fcf-protection=none -mgeneral-regs-only \
           -ffile-prefix-map=$(CURDIR)=. -I$(INCLUDE)
ASFLAGS := -m32 -g -ffile-prefix-map=$(CURDIR)=. -Wa,--32 -I$(INCLUDE)
LDFLAGS := -m elf_i386 -n --build-id=none -nostdlib -z noexecstack
