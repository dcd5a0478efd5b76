# apt-isolated.sh - an apt state of our own per Debian suite and architecture
# (sourced by kernel-fetch and initramfs builders, after lib.sh).
#
# The mirror is read from this machine's apt sources at run time
# (/etc/apt/sources.list, sources.list.d/*.list and deb822 *.sources); it is
# never written into the project.  Lists and downloads live under
# $MC_CACHE/apt/<suite>-<arch>/, the machine's own apt state is untouched.
#
#   apt_state SUITE    make sure the lists of SUITE exist and are younger than
#                      KERNEL_MAX_AGE days (KERNEL_REFRESH=1: refresh now);
#                      on failure returns 1 with the reason in $APT_ERROR
#   apt_run SUITE CMD  run apt-get / apt-cache CMD... on that state (one at a
#                      time per state: flock; apt's own locks stay on)
#   apt_download SUITE DIR PKG...
#                      apt-get download PKG... into DIR; the download runs as
#                      apt's sandbox user (_apt), never as root
#   APT_ARCH           architecture (default amd64)

if [ -z "${CACHE:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		CACHE=/var/cache/mmapconf
	else
		CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mmapconf
	fi
fi
case "$CACHE" in /*) ;; *) CACHE="$PWD/$CACHE" ;; esac
MC_CACHE=$CACHE
mkdir -p "$MC_CACHE" 2>/dev/null || die "cannot create the cache folder $MC_CACHE (set CACHE=)"
APT_ERROR=

# "uri<TAB>suite<TAB>signed-by" for each enabled deb source of the machine.
apt_machine_sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
		/^[ \t]*deb[ \t]/ {
			line = $0; sub(/#.*/, "", line)
			n = split(line, w, /[ \t]+/); i = 1
			while (i <= n && w[i] != "deb") i++
			i++; sb = ""
			if (w[i] ~ /^\[/) {
				while (i <= n) {
					if (w[i] ~ /signed-by=/) { sb = w[i]; sub(/.*signed-by=/, "", sb); sub(/\].*/, "", sb) }
					if (w[i] ~ /\]$/) { i++; break }
					i++
				}
			}
			if (i + 1 <= n) printf "%s\t%s\t%s\n", w[i], w[i+1], sb
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush(   n, m, i, j, u, s) {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/) {
				n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
					if (u[i] != "" && s[j] != "") printf "%s\t%s\t%s\n", u[i], s[j], signed
			}
			types = uris = suites = signed = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			k = $0; sub(/:.*/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
			k = tolower(k)
			if (k == "types") types = v
			else if (k == "uris") uris = v
			else if (k == "suites") suites = v
			else if (k == "signed-by") signed = v
			else if (k == "enabled") enabled = tolower(v)
		}
		END { flush() }' "$f"
	done
}

# Sets APT_MAIN_URI / APT_SECURITY_URI / APT_KEYRING from the machine's sources.
apt_mirrors() {
	[ -n "${APT_MAIN_URI:-}" ] && return 0
	src=$(apt_machine_sources)
	APT_MAIN_URI=$(printf '%s\n' "$src" | awk -F'\t' '$2 !~ /-/ && $1 !~ /security/ { print $1; exit }')
	APT_SECURITY_URI=$(printf '%s\n' "$src" | awk -F'\t' '$2 ~ /-security$/ { print $1; exit }')
	APT_KEYRING=$(printf '%s\n' "$src" | awk -F'\t' '$2 !~ /-/ && $1 !~ /security/ { print $3; exit }')
	case "$APT_KEYRING" in
	/*) [ -f "$APT_KEYRING" ] || APT_KEYRING= ;;
	*) APT_KEYRING= ;;
	esac
	[ -z "$APT_KEYRING" ] && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
		APT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -n "$APT_MAIN_URI" ]
}

apt_dir() {
	printf '%s/apt/%s-%s' "$MC_CACHE" "$1" "${APT_ARCH:-amd64}"
}

apt_run() {
	_d=$(apt_dir "$1")
	shift
	_cmd=$1
	shift
	# Two kernels of one suite (6.1 and 6.12: bookworm) share a state: one
	# apt at a time on it (apt's own locks fail at once instead of waiting).
	flock -w 1800 "$_d/.lock" "$_cmd" -o Dir::Etc::SourceList="$_d/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State="$_d/state" -o Dir::State::Lists="$_d/lists" \
		-o Dir::State::Status="$_d/status" \
		-o Dir::Cache="$_d/cache" -o Dir::Cache::Archives="$_d/archives" \
		-o APT::Architecture="${APT_ARCH:-amd64}" \
		-o APT::Architectures::="${APT_ARCH:-amd64}" \
		-o Acquire::Languages=none -o Acquire::PDiffs=false \
		"$@"
}

# apt_download SUITE DIR PKG...: the .debs of PKG... into DIR.  apt fetches
# as its sandbox user _apt, into a folder of the state that _apt owns; root
# then takes only regular files from it.
apt_download() {
	_s=$1 _to=$2
	shift 2
	_dd=$(mktemp -d "$(apt_dir "$_s")/download.XXXXXX") || return 1
	id _apt >/dev/null 2>&1 && chown _apt "$_dd"
	if ! (cd "$_dd" && apt_run "$_s" apt-get -q download "$@"); then
		rm -rf "$_dd"
		return 1
	fi
	for _f in "$_dd"/*.deb; do
		if [ ! -f "$_f" ] || [ -L "$_f" ]; then
			echo "E: apt-get download left no regular .deb in $_dd" >&2
			rm -rf "$_dd"
			return 1
		fi
		mv -- "$_f" "$_to/"
	done
	rm -rf "$_dd"
}

apt_state() {
	_suite=$1
	_d=$(apt_dir "$_suite")
	if ! apt_mirrors; then
		APT_ERROR="no Debian mirror found in /etc/apt/sources.list{,.d}"
		return 1
	fi
	mkdir -p "$_d/lists/partial" "$_d/state" "$_d/cache" "$_d/archives/partial"
	: >>"$_d/status"
	# apt's download methods run as _apt: they write only here.
	id _apt >/dev/null 2>&1 && chown _apt "$_d/lists/partial" "$_d/archives/partial"
	_so=
	[ -n "$APT_KEYRING" ] && _so=" [signed-by=$APT_KEYRING]"
	{
		printf 'deb%s %s %s main\n' "$_so" "$APT_MAIN_URI" "$_suite"
		case "$_suite" in
		sid | unstable | experimental) ;;
		*)
			[ -n "${APT_SECURITY_URI:-}" ] &&
				printf 'deb%s %s %s-security main\n' "$_so" "$APT_SECURITY_URI" "$_suite"
			;;
		esac
	} >"$_d/sources.list.new"
	changed=no
	cmp -s "$_d/sources.list.new" "$_d/sources.list" 2>/dev/null || changed=yes
	mv "$_d/sources.list.new" "$_d/sources.list"
	_stamp="$_d/updated"
	if [ "$changed" = no ] && [ "${KERNEL_REFRESH:-0}" != 1 ] && [ -f "$_stamp" ] &&
		[ -z "$(find "$_stamp" -mtime +"${KERNEL_MAX_AGE:-7}" 2>/dev/null)" ]; then
		return 0
	fi
	if ! apt_run "$_suite" apt-get -q update >"$_d/update.log" 2>&1 ||
		grep -q '^[EW]: ' "$_d/update.log"; then
		APT_ERROR=$(grep -E '^[EW]: ' "$_d/update.log" | head -n 1)
		# A warning about the security suite alone is not fatal.
		if apt_run "$_suite" apt-cache pkgnames linux-image- 2>/dev/null | grep -q .; then
			touch "$_stamp"
			return 0
		fi
		[ -n "$APT_ERROR" ] || APT_ERROR="apt-get update failed (see $_d/update.log)"
		return 1
	fi
	touch "$_stamp"
}
