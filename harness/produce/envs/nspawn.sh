# envs/nspawn.sh - systemd-nspawn over a debootstrap'ed Debian root file
# system (minbase + kyua, built once and cached: envs/common.sh rootfs_get),
# made volatile (a tmpfs overlay: the cached tree is never written), no
# machined registration (PID 1 need not be systemd), private network, the
# staged suite bound read-only at /mc and the results read-write at /out.
# Runs as root in the initial user namespace with nspawn's default seccomp
# filter and capability set: validates a "system container" of the host
# kernel (the suite's binaries against the rootfs's own glibc and libatf).
env_packages="systemd-container debootstrap"
runtime=systemd-nspawn

env_prepare() {
	is_root || did_not_run "needs root to run systemd-nspawn"
	rootfs_get
}

env_exec() {
	runtime_version=$(systemd-nspawn --version 2>/dev/null | head -n 1 | sed 's/^systemd //')
	runtime_command="systemd-nspawn -D ROOTFS --volatile=overlay --register=no --keep-unit -q --pipe --private-network --kill-signal=SIGKILL"
	SYSTEMD_NSPAWN_TMPFS_TMP=1 bounded "$ENV_TIMEOUT" systemd-nspawn -D "$ROOTFS" \
		--volatile=overlay --register=no --keep-unit -q --pipe \
		--private-network --kill-signal=SIGKILL \
		--machine="$ENV_TAG" --hostname=mmapconf-nspawn \
		--bind-ro="$suite:/mc" --bind="$out:/out" \
		--setenv=TMPDIR=/tmp --chdir=/mc \
		/bin/sh /mc/inside.sh /mc /out "$label" "$ENV_NAME" "$PARALLELISM"
}
