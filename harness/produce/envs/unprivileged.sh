# envs/unprivileged.sh - uid/gid 65534 with no capabilities (setpriv), the
# host's kyua, the host's file system.  Validates the suite's own
# privilege handling: PFNs are hidden (pagemap PFN fields read 0) and
# mlock is bounded by RLIMIT_MEMLOCK; those cases must skip with a reason,
# never fail.  Run as non-root, it runs as the calling user instead.
env_packages="util-linux"
runtime=setpriv

env_exec() {
	runtime_version=$(setpriv --version 2>/dev/null | sed 's/.*util-linux //' | head -n 1)
	if is_root; then
		chown 65534:65534 "$out"
		runtime_command="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
		bounded "$ENV_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all --bounding-set=-all \
			sh "$suite/inside.sh" "$suite" "$out" "$label" "$ENV_NAME" "$PARALLELISM"
	else
		runtime_command="(as uid $(id -u), not root: no setpriv)"
		bounded "$ENV_TIMEOUT" sh "$suite/inside.sh" "$suite" "$out" "$label" \
			"$ENV_NAME" "$PARALLELISM"
	fi
}
