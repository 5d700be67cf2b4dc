#!/usr/bin/env bash
# The packaging suite: the Debian package is built, installed on this machine and run the way
# its systemd unit runs it, purged, then installed into a minimal Debian root filesystem and run
# there. Needs root (CI runs as root; otherwise passwordless sudo) and, the first time, the
# network for debootstrap (the root filesystem is cached in $KFDASH_CACHE).
set -euo pipefail
root=${KFDASH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${KFDASH_BIN:-$root/build/kfdash}
cache=${KFDASH_CACHE:-$HOME/.cache/kfdash}
mirror=${KFDASH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=$(dirname "$bin")/packaging-deb

say() { echo "packaging: $*"; }
fail() { echo "packaging: FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    say "skipped: needs root or passwordless sudo"
    exit 77
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthz() { # port pid → 0 when /healthz answers 200 within 15 s
    for _ in $(seq 150); do
        kill -0 "$2" 2>/dev/null || return 1
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthz")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
stop() { # pid → kfdash's exit status after SIGTERM
    "${SUDO[@]}" kill -TERM "$1" 2>/dev/null || true
    local status=0
    wait "$1" || status=$?
    return $status
}

cleanups=()
cleanup() {
    local i
    for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
say "a. building the package (release build in $out/meson)"
"$root/packaging/deb/build.sh" "$out"
debs=("$out"/kfdash_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || fail "no .deb in $out"
version=$(dpkg-deb -f "$deb" Version)
git_version=$("$out/root/usr/bin/kfdash" --version | sed -n 's/.*(git \(.*\))$/\1/p')
[ "$(basename "$deb")" = "kfdash_${version}_$(dpkg --print-architecture).deb" ] || fail "file name $deb"
# The package's version carries the git version the binary prints: 75e9803-dirty → +git75e9803.dirty.
if [ -n "$git_version" ]; then
    short=${git_version##*-g}
    short=${short%-dirty}
    [[ $version == *"$short"* ]] || fail "version $version does not name git $git_version"
fi
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libmicrohttpd12 libcjson1 libcurl4 libjwt libsqlite3-0 libmbedcrypto7 \
    libyaml-0-2 libcrypt1 adduser ca-certificates; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/kfdash ./etc/kfdash/kfdash.json ./etc/default/kfdash \
    ./lib/systemd/system/kfdash.service ./usr/share/doc/kfdash/copyright \
    ./usr/share/doc/kfdash/changelog.Debian.gz ./usr/share/doc/kfdash/security.md \
    ./usr/share/man/man1/kfdash.1.gz; do
    grep -q " $f\$" <<<"$contents" || fail "$f missing from the package"
done
grep -q -- '-rwxr-xr-x root/root .* ./usr/bin/kfdash$' <<<"$contents" || fail "kfdash not 0755 root"
grep -q -- '-rw------- root/root .* ./etc/default/kfdash$' <<<"$contents" || fail "/etc/default/kfdash not 0600"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
[ "$conffiles" = $'/etc/kfdash/kfdash.json\n/etc/default/kfdash' ] || fail "conffiles: $conffiles"
command -v lintian >/dev/null || fail "lintian is not installed (make apt-deps)"
lintian --fail-on error "$deb" 2>/dev/null || fail "lintian reports errors"
say "a. ok: $(basename "$deb"), Depends: $depends"

# ---------------------------------------------------------------------------------------------
# b. Installed on this machine, started as its unit starts it (systemd is not PID 1 here).
unit=/lib/systemd/system/kfdash.service
if dpkg-query -W -f='${Status}' kfdash 2>/dev/null | grep -q 'install ok installed'; then
    say "b. skipped: kfdash is already installed on this machine; it is left alone"
else
    say "b. installing it on this machine"
    cleanups+=("DEBIAN_FRONTEND=noninteractive ${SUDO[*]} apt-get purge -y -qq kfdash >/dev/null 2>&1")
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
    entry=$(getent passwd kfdash) || fail "no kfdash user"
    uid=$(cut -d: -f3 <<<"$entry")
    [ "$uid" -lt 1000 ] || fail "kfdash is not a system user (uid $uid)"
    [ "$(stat -c %U:%a /var/lib/kfdash)" = kfdash:750 ] || fail "/var/lib/kfdash: $(stat -c %U:%a /var/lib/kfdash)"
    dpkg-query -W -f='${Conffiles}\n' kfdash | grep -q '/etc/kfdash/kfdash.json' || fail "kfdash.json is no conffile"
    [ "$(/usr/bin/kfdash --version)" = "$("$out/root/usr/bin/kfdash" --version)" ] || fail "installed --version differs"
    "${SUDO[@]}" systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"

    # What the unit says: ExecStart, User, EnvironmentFile.
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    user=$(sed -n 's/^User=//p' "$unit")
    env_file=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
    [ "$user" = kfdash ] || fail "unit runs as $user"
    port=$(free_port)
    say "b. starting '$exec_start' as $user with $env_file, on 127.0.0.1:$port"
    # The environment file is systemd's KEY=value lines; the listener moves off 8080 for the test.
    read -r -a argv <<<"$exec_start"
    (
        cd /
        set -a
        # shellcheck disable=SC1090
        [ -r "$env_file" ] && . "$env_file"
        set +a
        exec "${SUDO[@]}" env KFDASH_LISTEN="127.0.0.1:$port" setpriv --reuid="$user" --regid="$user" \
            --init-groups --no-new-privs --inh-caps=-all -- "${argv[@]}"
    ) >"$out/host.log" 2>&1 &
    pid=$!
    cleanups+=("kill -TERM $pid 2>/dev/null")
    wait_healthz "$port" "$pid" || { cat "$out/host.log"; fail "installed kfdash: no /healthz 200"; }
    # It wrote its state (the database, the generated session key) as kfdash in /var/lib/kfdash.
    for f in session.keys kfdash.db; do
        [ "$("${SUDO[@]}" stat -c %U "/var/lib/kfdash/$f" 2>/dev/null)" = kfdash ] ||
            { ls -la /var/lib/kfdash; fail "no /var/lib/kfdash/$f owned by kfdash"; }
    done
    stop "$pid" || { cat "$out/host.log"; fail "installed kfdash did not stop cleanly on SIGTERM"; }
    say "b. ok: /healthz 200, state in /var/lib/kfdash, clean stop"

    say "b. purging it"
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get purge -y -qq kfdash >/dev/null
    ! dpkg-query -W -f='${Status}' kfdash 2>/dev/null | grep -q installed || fail "kfdash still installed"
    ! getent passwd kfdash >/dev/null || fail "the kfdash user survived the purge"
    ! getent group kfdash >/dev/null || fail "the kfdash group survived the purge"
    for p in /var/lib/kfdash /etc/kfdash /etc/default/kfdash "$unit" /usr/bin/kfdash; do
        [ ! -e "$p" ] || fail "$p survived the purge"
    done
    say "b. ok: purged, nothing left"
fi

# ---------------------------------------------------------------------------------------------
# c. A minimal Debian (debootstrap --variant=minbase) with only the package and what its Depends
# pull in: what packaging/Dockerfile's runtime stage is (debian:bookworm-slim + apt-get install
# ./kfdash_*.deb). A library missing from Depends fails here.
command -v debootstrap >/dev/null || fail "debootstrap is not installed (make apt-deps)"
mkdir -p "$cache"
ext=tar.gz
compress=(gzip -1)
if command -v zstd >/dev/null; then ext=tar.zst compress=(zstd -q -T0); fi
tarball=$cache/rootfs-bookworm-minbase-$(date +%Y%m).$ext
if [ ! -f "$tarball" ]; then
    say "c. debootstrap --variant=minbase bookworm from $mirror (minutes, once a month: cached in $tarball)"
    boot=$(mktemp -d /tmp/build-deb-rootfs.XXXXXX)
    cleanups+=("${SUDO[*]} rm -rf $boot")
    "${SUDO[@]}" debootstrap --variant=minbase bookworm "$boot/root" "$mirror" >"$out/debootstrap.log" 2>&1 ||
        { tail -20 "$out/debootstrap.log"; fail "debootstrap"; }
    "${SUDO[@]}" tar -C "$boot/root" --numeric-owner -cf - . | "${compress[@]}" >"$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
fi
chroot_dir=$(mktemp -d /tmp/build-deb-chroot.XXXXXX)
cleanups+=("${SUDO[*]} rm -rf --one-file-system $chroot_dir")
say "c. unpacking $tarball into $chroot_dir"
decompress=(gzip -dc)
[ "$ext" = tar.zst ] && decompress=(zstd -dcq)
"${decompress[@]}" "$tarball" | "${SUDO[@]}" tar -C "$chroot_dir" --numeric-owner -xf -
for m in proc dev; do
    if [ $m = proc ]; then
        "${SUDO[@]}" mount -t proc proc "$chroot_dir/proc"
    else
        "${SUDO[@]}" mount --bind /dev "$chroot_dir/dev"
    fi
    cleanups+=("${SUDO[*]} umount -l $chroot_dir/$m")
done
# Downloaded packages are kept between runs.
mkdir -p "$cache/apt-archives-bookworm/partial"
"${SUDO[@]}" mount --bind "$cache/apt-archives-bookworm" "$chroot_dir/var/cache/apt/archives"
cleanups+=("${SUDO[*]} umount -l $chroot_dir/var/cache/apt/archives")
"${SUDO[@]}" cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
# The same suites as debian:bookworm-slim, so the package's library versions are found.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$mirror" "$mirror" | "${SUDO[@]}" tee "$chroot_dir/etc/apt/sources.list" >/dev/null
"${SUDO[@]}" cp "$deb" "$chroot_dir/tmp/"
in_root() { "${SUDO[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    chroot "$chroot_dir" "$@"; }
say "c. apt-get install ./$(basename "$deb") in the minimal root filesystem"
in_root apt-get update -qq >"$out/chroot-apt.log" 2>&1 || { cat "$out/chroot-apt.log"; fail "apt-get update in the chroot"; }
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >>"$out/chroot-apt.log" 2>&1 ||
    { tail -30 "$out/chroot-apt.log"; fail "apt-get install in the chroot"; }
missing=$(in_root ldd /usr/bin/kfdash | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries missing from Depends: $missing"
in_version=$(in_root setpriv --reuid=kfdash --regid=kfdash --init-groups /usr/bin/kfdash --version) ||
    fail "kfdash --version in the chroot"
[ "$in_version" = "$("$out/root/usr/bin/kfdash" --version)" ] || fail "chroot --version: $in_version"
port=$(free_port)
say "c. starting kfdash in the chroot as kfdash, on 127.0.0.1:$port"
"${SUDO[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KFDASH_LISTEN="127.0.0.1:$port" \
    chroot --userspec=kfdash:kfdash "$chroot_dir" /usr/bin/kfdash --config /etc/kfdash/kfdash.json \
    >"$out/chroot.log" 2>&1 &
pid=$!
cleanups+=("kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null")
wait_healthz "$port" "$pid" || { cat "$out/chroot.log"; fail "kfdash in the chroot: no /healthz 200"; }
kfdash_uid=$(in_root id -u kfdash)
for f in session.keys kfdash.db; do
    [ "$("${SUDO[@]}" stat -c %u "$chroot_dir/var/lib/kfdash/$f" 2>/dev/null)" = "$kfdash_uid" ] ||
        fail "kfdash in the chroot wrote no /var/lib/kfdash/$f of its own"
done
stop "$pid" || { cat "$out/chroot.log"; fail "kfdash in the chroot did not stop cleanly"; }
say "c. ok: $in_version runs in a minimal bookworm with only its declared dependencies"
say "all ok"
