# envs/gvisor.sh - gVisor (runsc, Debian's 2022 build: ptrace platform) with
# an OCI bundle: the host's / read-only as the root file system (so the
# host's kyua runs inside the sandbox), tmpfs /tmp and /dev/shm, the staged
# suite read-only at /mc and the results folder read-write at /out, no
# network, runsc's default capabilities.  gVisor implements Linux in user
# space (it reports release 4.4.0): this validates the Sentry's memory
# management against the documented semantics.  Container state lives in
# the run's work folder and is deleted afterwards.
env_packages="runsc"
runtime=runsc
GVISOR_PLATFORM=${GVISOR_PLATFORM:-ptrace}

env_prepare() {
	is_root || did_not_run "needs root to start runsc (rootless runsc is not used here)"
}

env_exec() {
	runtime_version=$(runsc --version 2>/dev/null | head -n 1 | sed 's/^runsc version //')
	state="$work/runsc-state"
	bundle="$work/bundle"
	mkdir -p "$state" "$bundle"
	runtime_command="runsc --root STATE --platform=$GVISOR_PLATFORM --network=none run --bundle BUNDLE ID (root: host / read-only)"
	"$PYTHON" - "$bundle/config.json" "$suite" "$out" "$label" "$ENV_NAME" \
		"$PARALLELISM" <<-'PY' || did_not_run "cannot write the OCI bundle"
		import json, sys
		path, suite, out, label, env, par = sys.argv[1:7]
		caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		cfg = {
		    "ociVersion": "1.0.0",
		    "process": {
		        "user": {"uid": 0, "gid": 0},
		        "args": ["/bin/sh", "/mc/inside.sh", "/mc", "/out", label, env, par],
		        "env": ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		                "TMPDIR=/tmp", "container=gvisor"],
		        "cwd": "/mc",
		        "terminal": False,
		        "capabilities": {k: caps for k in ("bounding", "effective",
		                                           "inheritable", "permitted")},
		        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		        "noNewPrivileges": True,
		    },
		    "root": {"path": "/", "readonly": True},
		    "hostname": "mmapconf-gvisor",
		    "mounts": [
		        {"destination": "/proc", "type": "proc", "source": "proc"},
		        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
		        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
		         "options": ["nosuid", "noexec", "nodev", "ro"]},
		        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		         "options": ["nosuid", "nodev", "mode=1777"]},
		        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		         "options": ["nosuid", "nodev", "mode=1777"]},
		        {"destination": "/mc", "type": "bind", "source": suite,
		         "options": ["rbind", "ro"]},
		        {"destination": "/out", "type": "bind", "source": out,
		         "options": ["rbind", "rw"]},
		    ],
		    "linux": {"namespaces": [{"type": t} for t in
		                             ("pid", "network", "ipc", "uts", "mount")]},
		}
		with open(path, "w") as f:
		    json.dump(cfg, f, indent=1)
	PY
	bounded "$ENV_TIMEOUT" runsc --root "$state" --platform="$GVISOR_PLATFORM" \
		--network=none run --bundle "$bundle" "$ENV_TAG"
}

# runsc deletes the container when `run` returns; after a kill or a
# timeout, the sandbox and gofer may still be up: kill and delete them.
env_cleanup() {
	[ -d "${state:-}" ] || return 0
	if runsc --root "$state" list -q 2>/dev/null | grep -q .; then
		runsc --root "$state" kill --all "$ENV_TAG" KILL 2>/dev/null || true
		sleep 1
		runsc --root "$state" delete --force "$ENV_TAG" 2>/dev/null || true
	fi
	rm -rf "$state"
}
