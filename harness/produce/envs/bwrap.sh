# envs/bwrap.sh - a bubblewrap sandbox: the host's / read-only, fresh /dev,
# /proc, /tmp and /dev/shm, own pid/ipc/net/uts namespaces (run by root, no
# user namespace: capabilities and PFNs stay visible; no seccomp filter).
# The host's kyua runs inside; the staged suite is bound read-only and the
# results folder read-write at their own paths.
env_packages="bubblewrap"
runtime=bubblewrap
runtime_command="bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --perms 1777 --tmpfs /dev/shm --unshare-pid --unshare-ipc --unshare-net --unshare-uts --die-with-parent --new-session"

env_exec() {
	runtime_version=$(bwrap --version 2>/dev/null | awk '{ print $2 }')
	bounded "$ENV_TIMEOUT" bwrap --ro-bind / / --dev /dev --proc /proc \
		--tmpfs /tmp --perms 1777 --tmpfs /dev/shm \
		--ro-bind "$suite" "$suite" --bind "$out" "$out" \
		--unshare-pid --unshare-ipc --unshare-net --unshare-uts \
		--hostname mmapconf-bwrap --die-with-parent --new-session \
		--setenv TMPDIR /tmp --chdir "$suite" \
		/bin/sh "$suite/inside.sh" "$suite" "$out" "$label" "$ENV_NAME" "$PARALLELISM"
}
