# envs/qemu-user-i386.sh - the i386 build (envs/i386.sh) run under qemu-i386
# user-mode emulation instead of natively; the host's kyua starts each
# program through a wrapper (envs/common.sh qemu_wrap).  Compared with the
# i386 column it isolates qemu's emulation of 32-bit memory management
# (guest addresses offset from host addresses: /proc/self/pagemap and smaps
# as qemu passes them through).
env_packages="qemu-user"
runtime=qemu-user

env_prepare() {
	command -v qemu-i386 >/dev/null || did_not_run "qemu-i386 is missing after installing qemu-user"
	i386_build
	suite_build=$I386_BUILD
}

env_exec() {
	runtime_command="qemu-i386 PROGRAM (kyua native, each i386 program emulated)"
	qemu_user_exec qemu-i386
}
