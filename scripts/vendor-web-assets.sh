#!/bin/sh
# vendor-web-assets.sh: fetch the pinned npm packages the web UI and its
# browser tests use, check each tarball against its pinned sha256, and copy
# only what is served (or injected by tests) into the repository. The files
# are committed; nothing is downloaded at run time. Re-run after changing a
# version or hash below (`make web-assets`).
set -eu

USWDS=@uswds/uswds@3.14.0   USWDS_SHA=da91c65e6fc736fa397f0daf6ca2c2c95711506d85c7ad2537a4570725401e1c
HTMX=htmx.org@2.0.11        HTMX_SHA=165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
AXE=axe-core@4.14.1         AXE_SHA=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=$root/web/ui/static/vendor
axe_dir=$root/internal/e2e/testdata/axe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch SPEC SHA256 -> directory with the unpacked package
	tgz=$(cd "$work" && npm pack --silent "$1")
	got=$(sha256sum "$work/$tgz" | cut -d' ' -f1)
	if [ "$got" != "$2" ]; then
		echo "vendor-web-assets: $1 has sha256 $got, pinned $2; refusing to vendor it" >&2
		exit 1
	fi
	mkdir -p "$work/${tgz%.tgz}"
	tar xzf "$work/$tgz" -C "$work/${tgz%.tgz}"
	echo "$work/${tgz%.tgz}/package"
}

rm -rf "$vendor" "$axe_dir"
mkdir -p "$vendor/uswds/css" "$vendor/uswds/js" "$vendor/htmx" "$axe_dir"

u=$(fetch "$USWDS" "$USWDS_SHA")
cp "$u/LICENSE.md" "$vendor/uswds/"
cp "$u/dist/css/uswds.min.css" "$vendor/uswds/css/"
cp "$u/dist/js/uswds.min.js" "$u/dist/js/uswds-init.min.js" "$vendor/uswds/js/"
# Only the fonts and images the compiled CSS references, minus the hero
# photograph (the UI has no hero banner).
grep -o 'url([^)]*)' "$u/dist/css/uswds.min.css" | sed 's/^url(//; s/)$//; s/"//g' |
	grep '^\.\./' | grep -v 'hero\.' | sort -u | while read -r ref; do
	path=${ref#../}
	mkdir -p "$vendor/uswds/$(dirname "$path")"
	cp "$u/dist/$path" "$vendor/uswds/$path"
done

h=$(fetch "$HTMX" "$HTMX_SHA")
cp "$h/LICENSE" "$vendor/htmx/LICENSE"
cp "$h/dist/htmx.min.js" "$vendor/htmx/"

a=$(fetch "$AXE" "$AXE_SHA")
cp "$a/LICENSE" "$a/axe.min.js" "$axe_dir/"

cat > "$vendor/VERSIONS" <<VERSIONS
# Vendored by scripts/vendor-web-assets.sh; served from the binary (go:embed).
# package          version  license              tarball sha256
@uswds/uswds       3.14.0   see uswds/LICENSE.md ${USWDS_SHA}
htmx.org           2.0.11   0BSD (htmx/LICENSE)  ${HTMX_SHA}
# For the browser tests only (internal/e2e/testdata/axe, not served):
axe-core           4.14.1   MPL-2.0 (LICENSE)    ${AXE_SHA}
VERSIONS
du -sh "$vendor" "$axe_dir"
