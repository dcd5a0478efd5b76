# root.sh - a minimal Debian 12 root, for what starts from nothing: the
# self-checks freshroot and deb, the container image (lib/image).  Sourced
# after lib.sh and apt.sh; as root.
#
#   root_prepare      debootstrap --variant=minbase bookworm once (release
#                     signatures checked against debian-archive-keyring; the
#                     mirror read from this machine's apt sources), cached
#                     as $ROOT_TARBALL under ${CACHE}/freshroot; downloaded
#                     .debs are kept in $ROOT_ARCHIVES
#   root_unpack DIR   a fresh copy of that root in DIR
#   root_run DIR CMD  run the shell command CMD in DIR as in a booted
#                     minimal system: its own mount and pid namespaces,
#                     entered with pivot_root (proc, sys, dev, /dev/shm
#                     mounted inside, all gone when it ends), a clean
#                     environment, apt's archive cache bound to
#                     $ROOT_ARCHIVES.  Returns CMD's status; 97 when the
#                     root could not be entered.
# pivot_root, not chroot: a chrooted process may not make user namespaces,
# which one case needs (MMAPERR-26 mounts a noexec tmpfs in one).

root_prepare() {
	_missing=
	command -v debootstrap >/dev/null || _missing="$_missing debootstrap"
	[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || _missing="$_missing debian-archive-keyring"
	command -v zstd >/dev/null || _missing="$_missing zstd"
	# shellcheck disable=SC2086
	apt_install $_missing
	apt_mirrors || die "no Debian mirror in this machine's apt sources"
	_fdir="$MC_CACHE/freshroot"
	ROOT_TARBALL="$_fdir/bookworm-minbase.tar.zst"
	ROOT_ARCHIVES="$_fdir/archives"
	mkdir -p "$ROOT_ARCHIVES/partial" || die "cannot create $ROOT_ARCHIVES"
	[ ! -s "$ROOT_TARBALL" ] || return 0
	_ts=$(now)
	_b=$(mktemp -d "$_fdir/.boot.XXXXXX") || die "cannot create a folder in $_fdir"
	if ! debootstrap --variant=minbase --force-check-gpg \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		bookworm "$_b/root" "$APT_MAIN_URI" >"$_b/debootstrap.log" 2>&1; then
		_e=$(tail -n 1 "$_b/debootstrap.log")
		rm -rf "$_b"
		die "debootstrap --variant=minbase bookworm: $_e"
	fi
	tar -C "$_b/root" --zstd -cf "$_b/root.tar.zst" . &&
		mv "$_b/root.tar.zst" "$ROOT_TARBALL" || { rm -rf "$_b"; die "cannot write $ROOT_TARBALL"; }
	rm -rf "$_b"
	log "debootstrap --variant=minbase bookworm, signatures checked ($(elapsed "$_ts") s, cached)"
}

root_unpack() {
	mkdir "$1" && tar -C "$1" --zstd -xf "$ROOT_TARBALL" || die "cannot unpack $ROOT_TARBALL"
	cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
}

root_run() {
	unshare --mount --pid --fork --propagation private sh -c '
		r=$1 cache=$2 cmd=$3
		mount --bind "$r" "$r" &&
		mount --rbind /dev "$r/dev" && mount -t tmpfs -o mode=1777 shm "$r/dev/shm" &&
		mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" &&
		mount --bind "$cache" "$r/var/cache/apt/archives" &&
		mkdir -p "$r/.oldroot" && cd "$r" && pivot_root . .oldroot &&
		umount -l /.oldroot && rmdir /.oldroot || exit 97
		exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "$cmd"
	' sh "$1" "$ROOT_ARCHIVES" "$2"
}
