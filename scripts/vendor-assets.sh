#!/bin/sh
# Vendor the compiled front-end assets into static/ (the results are committed).
#
#   sh scripts/vendor-assets.sh        (or: npm run vendor)
#
# Versions come from package-lock.json (installed with `npm ci`); every vendored
# path carries its version so a browser cache can never serve a stale copy.
#
# What is copied:
#   static/govuk-frontend-<v>/govuk-frontend.min.css   compiled CSS (see "CSS rewrites")
#   static/govuk-frontend-<v>/govuk-frontend.min.js    compiled ES module (exports initAll)
#   static/govuk-frontend-<v>/assets/images/govuk-crest.svg
#                                                     the only asset the rewritten CSS references
#   static/htmx-<v>.min.js
#   static/axe-core-<v>/axe.min.js                     browser (accessibility) tests only
#   static/swagger-ui-<v>/swagger-ui-bundle.js, swagger-ui.css
#                                                     the API docs page (/api/docs), served from
#                                                     here so it works under the CSP
#
# CSS rewrites (equivalent to compiling GOV.UK Frontend's Sass with
# $govuk-font-family: arial, sans-serif, which also turns off
# $govuk-include-default-font-face):
#   * the GDS Transport @font-face rules and their licence comment are removed and
#     "GDS Transport," is dropped from every font-family list. GDS Transport is
#     licensed for services on GOV.UK only, so the font files are NOT copied;
#   * url(/assets/...) becomes url(assets/...), i.e. relative to the CSS file;
#   * the sourceMappingURL comments are removed (the .map files are not copied).
set -eu

cd "$(dirname "$0")/.."

npm ci --ignore-scripts --no-audit --no-fund

pkg_version() {
  node -p "require('./node_modules/$1/package.json').version"
}

GOVUK_VERSION=$(pkg_version govuk-frontend)
HTMX_VERSION=$(pkg_version htmx.org)
AXE_VERSION=$(pkg_version axe-core)
SWAGGER_VERSION=$(pkg_version swagger-ui-dist)

GOVUK_SRC=node_modules/govuk-frontend/dist/govuk
GOVUK_DEST=static/govuk-frontend-$GOVUK_VERSION
AXE_DEST=static/axe-core-$AXE_VERSION

# Remove earlier vendored copies (any version) so that only the current ones remain.
rm -rf static/govuk-frontend-* static/axe-core-* static/htmx-*.min.js static/swagger-ui-*

mkdir -p "$GOVUK_DEST/assets/images" "$AXE_DEST"

sed \
  -e 's|/\*! Copyright (c) 2011 by Margaret Calvert[^*]*\*/||g' \
  -e 's|@font-face{font-family:GDS Transport;[^}]*}||g' \
  -e 's|font-family:GDS Transport,|font-family:|g' \
  -e 's|url(/assets/|url(assets/|g' \
  -e 's|/\*# sourceMappingURL=[^*]*\*/||g' \
  "$GOVUK_SRC/govuk-frontend.min.css" > "$GOVUK_DEST/govuk-frontend.min.css"

sed -e 's|//# sourceMappingURL=.*$||' \
  "$GOVUK_SRC/govuk-frontend.min.js" > "$GOVUK_DEST/govuk-frontend.min.js"

cp node_modules/htmx.org/dist/htmx.min.js "static/htmx-$HTMX_VERSION.min.js"
cp node_modules/axe-core/axe.min.js "$AXE_DEST/axe.min.js"
mkdir -p "static/swagger-ui-$SWAGGER_VERSION"
for file in swagger-ui-bundle.js swagger-ui.css; do
  sed -e 's|//# sourceMappingURL=.*$||' -e 's|/\*# sourceMappingURL=[^*]*\*/||g' \
    "node_modules/swagger-ui-dist/$file" > "static/swagger-ui-$SWAGGER_VERSION/$file"
done

# Copy exactly the assets the CSS references, and fail if any is missing.
status=0
for ref in $(grep -o 'url([^)]*)' "$GOVUK_DEST/govuk-frontend.min.css" \
    | sed -e 's/^url(//' -e 's/)$//' -e 's/^["'\'']//' -e 's/["'\'']$//' | sort -u); do
  case $ref in
    data:*) continue ;;
    assets/*)
      if [ -f "$GOVUK_SRC/$ref" ]; then
        mkdir -p "$GOVUK_DEST/$(dirname "$ref")"
        cp "$GOVUK_SRC/$ref" "$GOVUK_DEST/$ref"
      else
        echo "vendor-assets: CSS references $ref but $GOVUK_SRC/$ref does not exist" >&2
        status=1
      fi
      ;;
    *)
      echo "vendor-assets: unexpected url($ref) in the GOV.UK Frontend CSS" >&2
      status=1
      ;;
  esac
done

if grep -q 'GDS Transport' "$GOVUK_DEST/govuk-frontend.min.css"; then
  echo "vendor-assets: GDS Transport is still referenced in the CSS" >&2
  status=1
fi

if [ "$status" -ne 0 ]; then
  exit "$status"
fi

echo "Vendored govuk-frontend $GOVUK_VERSION, htmx.org $HTMX_VERSION, axe-core $AXE_VERSION," \
  "swagger-ui-dist $SWAGGER_VERSION into static/"
