# envs/i386.sh - the suite built for 32-bit x86 (i686 cross compiler, Debian's
# i386 libatf: envs/common.sh i386_build, cached in $CACHE/i386/) and run
# natively on the x86_64 kernel through its ia32 compat syscall layer (the
# host's kyua starts the 32-bit programs).  Validates the compat entry
# points: 32-bit mmap/mmap2 offsets in pages, a 3 GiB/4 GiB address space,
# 32-bit pagemap reads, compat signal frames (si_code, si_addr).  env.json
# is probed by the i386 envprobe under `setarch i686` (arch "i686").
env_packages="util-linux"
runtime=ia32-compat

env_prepare() {
	i386_build
	suite_build=$I386_BUILD
	# A binfmt_misc handler for i386 ELF (qemu-user-binfmt) would emulate
	# the programs instead of running them natively: refuse.
	for _bf in /proc/sys/fs/binfmt_misc/*i386* /proc/sys/fs/binfmt_misc/*i686*; do
		[ -f "$_bf" ] && grep -q '^enabled' "$_bf" &&
			did_not_run "binfmt_misc handler $(basename "$_bf") would emulate i386 programs"
	done
	return 0
}

env_exec() {
	runtime_version="$($I386_TRIPLET-gcc -dumpfullversion 2>/dev/null) (i686-linux-gnu-gcc), libc6-dev-i386-cross $(dpkg-query -W -f='${Version}' libc6-dev-i386-cross 2>/dev/null)"
	runtime_command="native execution of i686 ELF programs (interpreter $I386_LOADER)"
	bounded "$ENV_TIMEOUT" sh "$suite/inside.sh" "$suite" "$out" "$label" \
		"$ENV_NAME" "$PARALLELISM" setarch i686
}
