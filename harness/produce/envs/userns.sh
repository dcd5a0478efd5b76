# envs/userns.sh - a new user namespace with the caller mapped to root
# (unshare -Ur), the host's kyua and file system.  Root in a non-initial user
# namespace has every capability there but none in the initial one: PFNs
# read as 0 (they need CAP_SYS_ADMIN in the initial user namespace), which
# the suite must report as a skip, not a failure.
env_packages="util-linux"
runtime=unshare
runtime_command="unshare --user --map-root-user"

env_exec() {
	runtime_version=$(unshare --version 2>/dev/null | sed 's/.*util-linux //' | head -n 1)
	bounded "$ENV_TIMEOUT" unshare --user --map-root-user \
		sh "$suite/inside.sh" "$suite" "$out" "$label" "$ENV_NAME" "$PARALLELISM"
}
