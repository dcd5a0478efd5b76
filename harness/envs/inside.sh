#!/bin/sh
# inside.sh SUITE OUT LABEL ENVIRONMENT PARALLELISM [RUNNER...]
#
# Runs INSIDE an environment (container, sandbox, other uid, emulator): the
# whole suite with kyua from SUITE (a staged copy: Kyuafile, tests/, build/),
# then envprobe, and leaves in OUT:
#   results.db  kyua's results        env.json    envprobe's fingerprint
#   kyua-test.txt  kyua's output       kyua.log    kyua's log (kept on error)
#   rc          kyua's exit status     wall        kyua's wall seconds
# POSIX sh and coreutils only: no python in the environment.  RUNNER (e.g.
# "setarch i686") is put before envprobe.
set -u
suite=$1 out=$2 label=$3 environment=$4 par=$5
shift 5
cd "$suite" || { echo "inside: no suite at $suite" >"$out/error"; exit 2; }
mkdir -p "$out/home" 2>/dev/null
home=$out/home
[ -w "$home" ] || home=${TMPDIR:-/tmp}
t0=$(date +%s.%N)
env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
	HOME="$home" TMPDIR="${TMPDIR:-/tmp}" LANG=C.UTF-8 \
	kyua --logfile="$out/kyua.log" -v parallelism="$par" \
	test --kyuafile=Kyuafile --build-root=build \
	--results-file="$out/results.db" >"$out/kyua-test.txt" 2>&1
rc=$?
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' >"$out/wall"
# $container (set by nspawn, podman; by env-run for gVisor) is the
# runtime's own hint for envprobe.
env -i PATH=/usr/bin:/bin HOME="$home" ${container:+container="$container"} \
	"$@" build/harness/envprobe \
	--label "$label" --environment "$environment" \
	>"$out/env.json" 2>"$out/envprobe.err" ||
	echo "envprobe failed: $(head -n 1 "$out/envprobe.err")" >>"$out/error"
[ -s "$out/envprobe.err" ] || rm -f "$out/envprobe.err"
[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] || rm -f "$out/kyua.log"
rm -rf "$out/home"
echo "$rc" >"$out/rc"
exit 0
