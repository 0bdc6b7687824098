#!/bin/bash
# Makes an OSTree sysroot in a folder from small synthetic Debian-shaped trees:
# `ostree admin init-fs`, `os-init`, one commit per version on REF (each with a kernel at
# /usr/lib/modules/KVER/vmlinuz and `version` metadata), and a deployment of each in turn.
#
#   make-sysroot.sh DIR [--os NAME] [--ref REF] [--versions "1.0 1.1"] [--deploy N] [--karg ARG]...
#
# The newest deployed version ends up the default. Used by the tests, the demo and bench/.
set -euo pipefail

dir=${1:?usage: make-sysroot.sh DIR [options]}; shift
os=debian ref=debian/bookworm/x86_64 versions="1.0 1.1" deploy=all
kargs=()
while [ $# -gt 0 ]; do
    case $1 in
        --os) os=$2; shift 2 ;;
        --ref) ref=$2; shift 2 ;;
        --versions) versions=$2; shift 2 ;;
        --deploy) deploy=$2; shift 2 ;;
        --karg) kargs+=("--karg-append=$2"); shift 2 ;;
        *) echo "make-sysroot.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ ${#kargs[@]} -gt 0 ] || kargs=(--karg-append=root=LABEL=apt-ostree-root --karg-append=rw --karg-append=console=ttyS0)

mkdir -p "$dir"
ostree admin init-fs --modern "$dir" >/dev/null
ostree admin os-init --sysroot="$dir" "$os" >/dev/null
repo=$dir/ostree/repo
ostree --repo="$repo" config set core.fsync false   # test sysroots: speed over durability

tree=$(mktemp -d)
chmod 755 "$tree"   # the tree root becomes the deployment root: 0755 as on a real system
trap 'rm -rf "$tree"' EXIT
n=0
for v in $versions; do
    rm -rf "$tree"/*
    kver=6.1.0-$n-amd64
    mkdir -p "$tree/usr/lib/modules/$kver" "$tree/usr/etc" "$tree/usr/bin" "$tree/usr/lib/sysimage/dpkg"
    printf 'vmlinuz for %s\n' "$kver" > "$tree/usr/lib/modules/$kver/vmlinuz"
    printf 'initramfs for %s\n' "$kver" > "$tree/usr/lib/modules/$kver/initramfs.img"
    printf 'PRETTY_NAME="Debian GNU/Linux 12 (apt-ostree test %s)"\nID=debian\nVERSION_ID=12\n' "$v" > "$tree/usr/etc/os-release"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$tree/usr/etc/passwd"
    printf '#!/bin/sh\necho %s\n' "$v" > "$tree/usr/bin/apt-ostree-test-version"
    chmod 755 "$tree/usr/bin/apt-ostree-test-version"
    : > "$tree/usr/lib/sysimage/dpkg/status"
    ostree --repo="$repo" commit -b "$ref" --tree=dir="$tree" --add-metadata-string=version="$v" \
        --subject="apt-ostree test $v" --timestamp="2026-01-0$((n % 9 + 1)) 12:00:00 UTC" \
        --no-bindings >/dev/null
    n=$((n + 1))
    if [ "$deploy" = all ] || [ "$n" -le "$deploy" ]; then
        ostree admin deploy --sysroot="$dir" --os="$os" --retain --karg-none "${kargs[@]}" "$ref" >/dev/null
    fi
done
