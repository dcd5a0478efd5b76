# envs/podman.sh - podman with runc (crun fails on this host's hybrid
# cgroups) and podman's default seccomp profile and capability set (no
# CAP_SYS_ADMIN: PFNs read as 0), cgroupfs manager, no network, the cached
# debootstrap root file system (envs/common.sh rootfs_get) as an overlay
# (--rootfs DIR:O, the cached tree is never written), the staged suite
# read-only at /mc and the results at /out.  Validates an OCI application
# container of the host kernel.  The container is removed (--rm, then
# `podman rm -f` after a kill); podman's storage under /var/lib/containers
# holds no image (nothing is pulled).
env_packages="podman runc"
runtime=podman

env_prepare() {
	is_root || did_not_run "needs root to run podman here (rootless podman is not set up)"
	rootfs_get
}

podman_base() {
	podman --runtime runc --cgroup-manager=cgroupfs --events-backend=none "$@"
}

env_exec() {
	runtime_version="$(podman --version 2>/dev/null | awk '{ print $3 }') (runc $(runc --version 2>/dev/null | awk 'NR == 1 { print $3 }'))"
	runtime_command="podman --runtime runc --cgroup-manager=cgroupfs run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs ROOTFS:O"
	bounded "$ENV_TIMEOUT" podman --runtime runc --cgroup-manager=cgroupfs \
		--events-backend=none run --rm --name "$ENV_TAG" --network=none \
		--hostname mmapconf-podman \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v "$suite:/mc:ro" -v "$out:/out:rw" --tmpfs /tmp:rw,mode=1777 \
		-e TMPDIR=/tmp -w /mc --rootfs "$ROOTFS:O" \
		/bin/sh /mc/inside.sh /mc /out "$label" "$ENV_NAME" "$PARALLELISM"
}

env_cleanup() {
	command -v podman >/dev/null || return 0
	if podman_base ps -a -q --filter "name=^$ENV_TAG\$" 2>/dev/null | grep -q .; then
		podman_base rm -f -t 0 "$ENV_TAG" >/dev/null 2>&1 || true
	fi
}

env_leftovers() {
	command -v podman >/dev/null || return 0
	podman_base ps -a --format '{{.Names}}' 2>/dev/null | grep -x "$ENV_TAG" |
		sed 's/^/podman container /'
}
