#!/bin/sh
# Builds and runs one unit test against only the lib/ files named, with the sanitizers, so a
# module can be tested while other modules are half-written.
#   scripts/unit1.sh test_age lib/delivery/age.c lib/delivery/age_key.c lib/core/bech32.c
set -e
t=$1; shift
mkdir -p build/unit1
PKGS="libmicrohttpd libcurl jansson libsodium libpq libxxhash libcrypto libxml-2.0"
cc -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror -Wshadow \
   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations -Wpointer-arith \
   -Wwrite-strings -Wvla -Wformat=2 -Wundef -fno-common -I. -pthread \
   -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
   $(pkg-config --cflags $PKGS) -o build/unit1/$t lib/core/err.c "$@" tests/unit/$t.c \
   $(pkg-config --libs $PKGS) -lcriterion -lm
exec build/unit1/$t --jobs 2
