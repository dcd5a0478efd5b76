# npm.sh - JavaScript tools from the npm registry, for the self-checks that
# prove an output with a real consumer (sourced after lib.sh).
#
#   npm_tools DIR   DIR holds package.json and package-lock.json (exact
#                   versions and integrity hashes, no registry addresses);
#                   installs them once with `npm ci --ignore-scripts` into
#                   $CACHE/npm/<name>-<hash of the lock>/ and sets NPM_TOOLS
#                   to its node_modules.  Root-owned, not writable by
#                   others; a failed install leaves nothing behind.
# Node.js and npm: the machine's, else Debian's (apt_install nodejs npm).
# Errors: die (the caller's MC_DIE_STATUS).

npm_ready() {
	command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 ||
		apt_install nodejs npm
}

npm_tools() {
	npm_ready
	[ -f "$1/package.json" ] && [ -f "$1/package-lock.json" ] ||
		die "$1: no package.json and package-lock.json"
	_nh=$(cat "$1/package.json" "$1/package-lock.json" | cksum | cut -d' ' -f1)
	_nd="${CACHE:-/var/cache/mmapconf}/npm/$(basename "$1")-$_nh"
	if [ ! -f "$_nd/.complete" ]; then
		mkdir -p "$(dirname "$_nd")" || die "cannot create $(dirname "$_nd")"
		_nt=$(mktemp -d "$(dirname "$_nd")/.tmp.XXXXXX") || die "cannot create a folder under $(dirname "$_nd")"
		chmod 0755 "$_nt"
		cp "$1/package.json" "$1/package-lock.json" "$_nt/"
		log "installing the npm packages of $1 (npm ci, once)"
		if ! (cd "$_nt" && npm ci --ignore-scripts --no-audit --no-fund \
			--loglevel=error --cache "$_nt/.npm-cache" >"$_nt/.log" 2>&1); then
			_ne=$(grep -m1 -i 'error' "$_nt/.log")
			rm -rf "$_nt"
			die "npm ci failed for $1: ${_ne:-see npm's log}"
		fi
		rm -rf "$_nt/.npm-cache" "$_nt/.log"
		: >"$_nt/.complete"
		rm -rf "$_nd"
		mv "$_nt" "$_nd" || die "cannot install $_nd"
	fi
	NPM_TOOLS="$_nd/node_modules"
}
