#!/usr/bin/env bash
# Builds the Debian package from a release build: packaging/deb/build.sh [OUTDIR]
# (default build-deb/) → OUTDIR/kfdash_<version>_<arch>.deb. dpkg-deb and dpkg-shlibdeps only.
# The version is the binary's own: "kfdash 0.1.0 (git 75e9803-dirty)" → 0.1.0+git75e9803.dirty.
set -euo pipefail
trap 'echo "deb: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:-$root/build-deb}" && cd "${1:-$root/build-deb}" && pwd)
builddir=$out/meson
stage=$out/root

[ -f "$root/web/dist/index.html" ] || { echo "deb: web/dist is missing: run make web" >&2; exit 1; }

echo "deb: release build in $builddir"
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$root" --buildtype=release -Dtests=false --prefix=/usr >/dev/null
fi
ninja -C "$builddir" >"$out/ninja.log" 2>&1 || { tail -40 "$out/ninja.log" >&2; exit 1; }
rm -rf "$stage"
meson install -C "$builddir" --destdir "$stage" --strip --quiet >"$out/install.log" 2>&1 ||
    { cat "$out/install.log" >&2; exit 1; }
bin=$stage/usr/bin/kfdash
[ -x "$bin" ] || { echo "deb: meson installed no usr/bin/kfdash" >&2; exit 1; }

# Version: the release, plus the git version the binary reports (meson's vcs_tag).
release=$(meson introspect --projectinfo "$builddir" | jq -r .version)
git_version=$("$bin" --version | sed -n 's/^kfdash [^ ]* (git \(.*\))$/\1/p')
debian_version() { # release git_version → a valid Debian version, no revision (native build)
    local rel=$1 git=${2#v}
    if [ -z "$git" ] || [ "$git" = "$rel" ]; then
        echo "$rel"
    elif [[ $git =~ ^${rel//./\\.}-([0-9]+)-g([0-9a-f]+)(-dirty)?$ ]]; then
        echo "$rel+git${BASH_REMATCH[1]}.${BASH_REMATCH[2]}${BASH_REMATCH[3]:+.dirty}"
    else
        echo "$rel+git$(echo "$git" | tr -- - . | tr -cd 'A-Za-z0-9.+~')"
    fi
}
version=$(debian_version "$release" "$git_version")
arch=$(dpkg --print-architecture)
echo "deb: kfdash $version ($arch), binary says: $("$bin" --version)"

# Files beside the binary.
install -D -m 0644 "$here/kfdash.json" "$stage/etc/kfdash/kfdash.json"
install -D -m 0600 "$here/default" "$stage/etc/default/kfdash"
install -D -m 0644 "$here/kfdash.service" "$stage/lib/systemd/system/kfdash.service"
doc=$stage/usr/share/doc/kfdash
install -D -m 0644 "$here/copyright" "$doc/copyright"
install -D -m 0644 "$root/docs/security.md" "$doc/security.md"
install -D -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/kfdash"
# Reproducible dates: the last commit's time, when there is one.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
gzip -9n <"$root/CHANGELOG.md" >"$doc/changelog.gz"
{
    echo "kfdash ($version) bookworm; urgency=medium"
    echo
    echo "  * Built from the kfdash source tree, git ${git_version:-$release}."
    echo "    What changed upstream: /usr/share/doc/kfdash/changelog.gz."
    echo
    echo " -- kfdash developers <kfdash@lists.kfdash.dev>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"

# A man page made from --help.
man=$stage/usr/share/man/man1/kfdash.1
mkdir -p "$(dirname "$man")"
{
    echo ".TH KFDASH 1 \"$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)\" \"kfdash $release\" \"User Commands\""
    echo ".SH NAME"
    echo "kfdash \\- the central dashboard for Kubeflow and MLflow"
    echo ".SH SYNOPSIS"
    echo ".B kfdash"
    echo "[\\-\\-config FILE] [OPTIONS]"
    echo ".SH OPTIONS"
    echo ".nf"
    "$bin" --help | tail -n +5 | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    echo ".fi"
    echo ".SH FILES"
    echo "/etc/kfdash/kfdash.json, /etc/default/kfdash (the service's environment), /var/lib/kfdash"
    echo ".SH SEE ALSO"
    echo "systemctl(1), /usr/share/doc/kfdash/"
} | gzip -9n >"$man.gz"

# Control area.
ctrl=$stage/DEBIAN
mkdir -p "$ctrl"
work=$(mktemp -d /tmp/build-deb-shlibs.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: kfdash\n\nPackage: kfdash\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e"$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" "$here/control.in" >"$ctrl/control"
install -m 0644 "$here/conffiles" "$ctrl/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$ctrl/$s"; done
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
    sort -z | xargs -0 md5sum) >"$ctrl/md5sums"

find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$out"/kfdash_*.deb
deb=$out/kfdash_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "deb: $deb"
