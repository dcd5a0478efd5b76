# envs/qemu-user-x86_64.sh - every test program (and envprobe) run under
# qemu-x86_64 user-mode emulation; the host's kyua starts them through
# two-line wrappers (envs/common.sh qemu_wrap).  qemu translates guest
# memory syscalls onto its own host mappings (guest_base, its own page
# table of guest mappings): this validates that emulation layer, including
# /proc/self/{maps,smaps,pagemap} as qemu presents them.
env_packages="qemu-user"
runtime=qemu-user

env_prepare() {
	command -v qemu-x86_64 >/dev/null || did_not_run "qemu-x86_64 is missing after installing qemu-user"
}

env_exec() {
	runtime_command="qemu-x86_64 PROGRAM (kyua native, each program emulated)"
	qemu_user_exec qemu-x86_64
}
