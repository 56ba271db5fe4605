#!/usr/bin/env bash
# Builds a real kube-apiserver (upstream v1.20.2, Debian bookworm's source package `kubernetes`)
# with Debian's Go 1.19, for the real-API-server test tier and `npm run bench -- --server real`.
#
# The binary is cached OUTSIDE the clone, named after the hash of everything that decides its
# bytes (this script, the source package's checksums, the Go toolchain), so a second run with the
# same inputs reuses it in a second and a changed input builds a new one. Prints the binary's path
# on its last line of stdout; everything else goes to stderr.
#
# Safe to run twice at once (the second waits on a lock, then reuses the first's binary) and to
# kill halfway (the binary is only renamed into place once complete; a half-built tree is
# removed on the next run).
#
# Needs: golang-1.19-go, curl, tar, xz-utils, patch (all Debian). Network: deb.debian.org only.
#
#   scripts/real-apiserver/build.sh            build, or reuse the cached binary
#   scripts/real-apiserver/build.sh --cached   only say where the cached binary is (exit 3: none)
set -euo pipefail

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${DOCKERSHIM_AUDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockershim-audit}
GO=${GO:-/usr/lib/go-1.19/bin/go}

# The source package, pinned by the SHA-256 sums in its signed .dsc (bookworm, via apt's signed
# Sources index). Debian builds only kubectl from it; its three patches touch kubectl's printing.
PKG_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
ORIG_TAR="kubernetes_1.20.5+really1.20.2.orig.tar.gz"
ORIG_SHA256="b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc"
DEBIAN_TAR="kubernetes_${PKG_VERSION}.debian.tar.xz"
DEBIAN_SHA256="9b6e5fd41769d2b5badf2e73b274e3bcd90f85e13d06a1a4a845ccce018127d8"
UPSTREAM_VERSION="v1.20.2"
# v1.20 vendors github.com/modern-go/reflect2 v1.0.1, whose map iteration segfaults under Go
# 1.18 and later (json-iterator crashes the server on the first custom resource it decodes).
# v1.0.2 fixes exactly that; Debian packages it. Kubernetes' own 1.21-1.23 branches took the
# same bump.
REFLECT2_TAR="golang-github-modern-go-reflect2_1.0.2.orig.tar.gz"
REFLECT2_SHA256="86049e7ba480c7da86b3d459f13a7c6c383a769134bf4eac0023a0aa024244de"

log() { echo "real-apiserver build: $*" >&2; }
fail() {
  echo "real-apiserver build: FAILED: $1" >&2
  echo "  hint: $2" >&2
  exit 1
}

[ -x "$GO" ] || fail "no Go 1.19 at $GO" "apt-get install golang-1.19-go (Debian bookworm), or set GO=/path/to/go1.19"
for tool in curl tar xz patch sha256sum flock; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is not installed" "apt-get install curl tar xz-utils patch coreutils util-linux"
done

go_version=$("$GO" version)
inputs_hash=$(
  {
    cat "$0"
    echo "$ORIG_SHA256 $DEBIAN_SHA256 $REFLECT2_SHA256"
    echo "$go_version"
  } | sha256sum | cut -c1-16
)
binary="$CACHE_DIR/kube-apiserver-$inputs_hash"

if [ "${1:-}" = "--cached" ]; then
  if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
  fi
  echo "no kube-apiserver built from these inputs in $CACHE_DIR" >&2
  exit 3
fi

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_DIR/build.lock; waiting for it"
  flock 9
fi

if [ -x "$binary" ] && "$binary" --version >/dev/null 2>&1; then
  log "reusing $binary (inputs unchanged)"
  echo "$binary"
  exit 0
fi

work="$CACHE_DIR/build-$inputs_hash"
# Trees left by builds killed halfway (this one's or older inputs'): nothing in them is trusted.
rm -rf "$CACHE_DIR"/build-*
mkdir -p "$work/downloads"

fetch() { # pool directory, name, sha256
  local file="$work/downloads/$2"
  log "downloading $2 from $DEBIAN_MIRROR"
  curl --fail --silent --show-error --location --retry 3 --max-time 600 \
    -o "$file" "$DEBIAN_MIRROR/pool/main/$1/${2//+/%2b}" ||
    fail "could not download $2" "is $DEBIAN_MIRROR reachable? Set DEBIAN_MIRROR to another Debian mirror; if bookworm dropped version $PKG_VERSION, update the pins in this script from 'apt-get source --print-uris kubernetes'"
  echo "$3  $file" | sha256sum --check --quiet - >&2 ||
    fail "$2 does not match its pinned SHA-256" "the mirror served different bytes; do not build from them"
}
fetch k/kubernetes "$ORIG_TAR" "$ORIG_SHA256"
fetch k/kubernetes "$DEBIAN_TAR" "$DEBIAN_SHA256"
fetch g/golang-github-modern-go-reflect2 "$REFLECT2_TAR" "$REFLECT2_SHA256"

# Kubernetes 1.20 builds in GOPATH mode (hack/lib/init.sh sets GO111MODULE=off), which also
# sidesteps Go 1.19 rejecting this release's vendor/modules.txt in module mode.
gopath="$work/gopath"
src="$gopath/src/k8s.io/kubernetes"
mkdir -p "$src"
log "unpacking the source package"
tar -xzf "$work/downloads/$ORIG_TAR" -C "$src" --strip-components=1
tar -xJf "$work/downloads/$DEBIAN_TAR" -C "$src"
while read -r p; do
  [ -n "$p" ] || continue
  patch --quiet -p1 -d "$src" <"$src/debian/patches/$p" || fail "Debian patch $p does not apply" "the source package changed; update the pins"
done <"$src/debian/patches/series"
reflect2="$src/vendor/github.com/modern-go/reflect2"
rm -rf "$reflect2"
mkdir -p "$reflect2"
tar -xzf "$work/downloads/$REFLECT2_TAR" -C "$reflect2" --strip-components=1 --wildcards \
  '*/LICENSE' '*/go.mod' '*/*.go' '*/*.s' --exclude='*_test.go' --exclude='*/tests/*'

export GOPATH="$gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS="" GOCACHE="$CACHE_DIR/go-build-cache"
export GOROOT
GOROOT=$("$GO" env GOROOT)
cd "$src"

# pkg/generated/openapi is not in the tarball: upstream's Makefile generates it with the bundled
# openapi-gen from every package tagged +k8s:openapi-gen (build/root/Makefile.generated_files,
# KUBE_OPENAPI_TAG_FILES: everything but code-generator's and sample-apiserver's examples).
log "building openapi-gen"
nice "$GO" build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
openapi_dirs=$(
  grep -Rl --include='*.go' '^// *+k8s:openapi-gen=' pkg cmd vendor/k8s.io |
    grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' -e '_test\.go$' |
    xargs -n1 dirname | LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -
)
# vendor/k8s.io/* are symlinks into staging/: -R follows them. Without the API types the server
# compiles and then refuses to start ("cannot find model definition").
[[ ",$openapi_dirs," == *",k8s.io/kubernetes/vendor/k8s.io/api/core/v1,"* ]] ||
  fail "the +k8s:openapi-gen packages found miss k8s.io/api/core/v1" "the source layout changed; look at build/root/Makefile.generated_files"
log "generating pkg/generated/openapi"
nice "$work/openapi-gen" --logtostderr \
  -i "$openapi_dirs" \
  -p k8s.io/kubernetes/pkg/generated/openapi \
  -O zz_generated.openapi \
  -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
  -r "$work/openapi-violations.report" \
  --output-base "$gopath/src" >"$work/openapi-gen.log" 2>&1 ||
  {
    tail -20 "$work/openapi-gen.log" >&2
    fail "openapi-gen failed" "see $work/openapi-gen.log"
  }

# Version stamps as hack/lib/version.sh would set them, so /version says v1.20.2.
version_pkg=k8s.io/kubernetes/vendor/k8s.io/component-base/version
ldflags="-s -w"
ldflags+=" -X $version_pkg.gitVersion=$UPSTREAM_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=20"
ldflags+=" -X $version_pkg.gitTreeState=clean -X $version_pkg.buildDate=1970-01-01T00:00:00Z"
log "compiling cmd/kube-apiserver (about 8 minutes on 2 idle cores; more when they are shared)"
nice "$GO" build -trimpath -ldflags "$ldflags" -o "$work/kube-apiserver" ./cmd/kube-apiserver
"$work/kube-apiserver" --version >&2 || fail "the built kube-apiserver does not run" "see the compiler output above"

mv -f "$work/kube-apiserver" "$binary.tmp"
mv -f "$binary.tmp" "$binary"
rm -rf "$work"
# Binaries built from older inputs are 100 MB each and nothing uses them any more.
find "$CACHE_DIR" -maxdepth 1 -name 'kube-apiserver-*' ! -name "${binary##*/}" -delete
log "built $binary"
echo "$binary"
