#!/usr/bin/env bash
# Rebuild site_assets/vendor/: the JavaScript, CSS and fonts the built site serves itself,
# so that no page needs a network connection.
#
#   bash tools/vendor_assets.sh
#
# Needs npm and network access to the npm registry. Each package is fetched with `npm pack`
# (the registry tarball, no install scripts run), checked against the sha256 pinned below,
# and only the files the pages load are copied. The output is committed: a machine that
# builds the book needs neither npm nor a network. The result is byte-for-byte the same on
# every run; site_assets/vendor/MANIFEST records the versions, the tarball and file sha256s.
#
# What is kept, and why:
# - mathjax 3.2.2: tex-mml-chtml.js (Sphinx's default MathJax 3 component), the TeX
#   extensions it autoloads (\boldsymbol, \cancel, ...) and the CHTML woff-v2 fonts.
#   Left out: the speech/explorer accessibility code (a11y/, sre/, 4 MB) and the SVG output,
#   which only load when a reader picks them in MathJax's right-click menu.
# - requirejs 2.3.8: require.js, which the widget manager needs.
# - @jupyter-widgets/html-manager 1.0.15 (the ipywidgets 8 line): embed-amd.js renders the
#   widget state saved in executed pages; its FontAwesome fonts (woff2/woff only: every
#   browser that runs the bundle reads those) sit next to it, where the bundle looks for them.
# - font-awesome 4.7.0: matplotlib's Animation.to_jshtml() player links FontAwesome 4 from a
#   CDN; tools/book_site.py points that link at this copy (css + woff2/woff).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="$repo_root/site_assets/vendor"

# package@version  sha256 of the registry tarball
pins=(
  "mathjax@3.2.2 1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
  "requirejs@2.3.8 777158e89275e16bd51aec3ef714fbcb5dc45789e7078659933bc814916d7dec"
  "@jupyter-widgets/html-manager@1.0.15 2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638"
  "font-awesome@4.7.0 92042b715919e17499ded134884b0318fd88041efac9b0f3204069df52222a61"
)

command -v npm >/dev/null || { echo "vendor_assets.sh: npm is needed (apt-get install npm)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch SPEC SHA256: download the tarball, check it, unpack it to $work/<name>/package.
fetch() {
  local spec=$1 want=$2 tarball got name
  tarball=$(cd "$work" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)
  got=$(sha256sum "$work/$tarball" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    echo "vendor_assets.sh: $spec: sha256 $got, expected $want" >&2
    exit 1
  fi
  name=${spec%@*}
  mkdir -p "$work/$name"
  tar -xzf "$work/$tarball" -C "$work/$name"
  printf '%s  %s  %s\n' "$spec" "$got" "$tarball" >> "$work/tarballs.txt"
}

for pin in "${pins[@]}"; do
  fetch ${pin}
done

rm -rf "$dest"
mkdir -p "$dest/LICENSES"

# MathJax
mj="$work/mathjax/package/es5"
mkdir -p "$dest/mathjax/input/tex" "$dest/mathjax/output/chtml/fonts"
cp "$mj/tex-mml-chtml.js" "$dest/mathjax/"
cp -r "$mj/input/tex/extensions" "$dest/mathjax/input/tex/"
cp -r "$mj/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$work/mathjax/package/LICENSE" "$dest/LICENSES/mathjax-Apache-2.0.txt"

# require.js
mkdir -p "$dest/requirejs"
cp "$work/requirejs/package/require.js" "$dest/requirejs/"

# The widget manager and the fonts its CSS asks for
hm="$work/@jupyter-widgets/html-manager/package/dist"
mkdir -p "$dest/jupyter-widgets/html-manager"
cp "$hm/embed-amd.js" "$dest/jupyter-widgets/html-manager/"
cp "$hm"/*.woff2 "$hm"/*.woff "$dest/jupyter-widgets/html-manager/"
cp "$hm/embed.js.LICENSE.txt" "$dest/LICENSES/html-manager-bundled-notices.txt"

# FontAwesome 4 for matplotlib's animation player
mkdir -p "$dest/font-awesome/css" "$dest/font-awesome/fonts"
cp "$work/font-awesome/package/css/font-awesome.min.css" "$dest/font-awesome/css/"
cp "$work/font-awesome/package/fonts/fontawesome-webfont.woff2" \
   "$work/font-awesome/package/fonts/fontawesome-webfont.woff" "$dest/font-awesome/fonts/"
sed -n '/^## License/,/^## Changelog/p' "$work/font-awesome/package/README.md" \
  | sed '$d' > "$dest/LICENSES/font-awesome-OFL-1.1-and-MIT.txt"

# Licence texts the packages state but do not ship as a file.
cat > "$dest/LICENSES/requirejs-MIT.txt" <<'EOF'
RequireJS 2.3.8 (require.js states: "Copyright jQuery Foundation and other contributors.
Released under MIT license")

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
EOF

cat > "$dest/LICENSES/html-manager-BSD-3-Clause.txt" <<'EOF'
@jupyter-widgets/html-manager 1.0.15 (package.json: "license": "BSD-3-Clause"), part of
ipywidgets. The third-party code bundled in embed-amd.js is listed, with its licences, in
html-manager-bundled-notices.txt.

Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
EOF

# MANIFEST: packages, tarball hashes, licences, then every vendored file with its sha256.
{
  echo "# site_assets/vendor: generated by tools/vendor_assets.sh; do not edit by hand."
  echo "# Served at the site root by html_extra_path (see _config.yml)."
  echo "#"
  echo "# package@version  tarball-sha256  tarball (from https://registry.npmjs.org)"
  sed 's/^/package /' "$work/tarballs.txt"
  echo "#"
  echo "# licences: mathjax Apache-2.0; requirejs MIT; @jupyter-widgets/html-manager"
  echo "# BSD-3-Clause (bundles MIT/BSD/ISC code, see LICENSES/); font-awesome 4.7.0 font"
  echo "# SIL OFL 1.1, css MIT"
  echo "#"
  echo "# sha256  path (relative to site_assets/vendor)"
  (cd "$dest" && find . -type f ! -name MANIFEST -print | LC_ALL=C sort | sed 's|^\./||' \
    | while read -r f; do printf 'file %s  %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"; done)
} > "$dest/MANIFEST"

du -sh "$dest"
