#!/usr/bin/env bash
# kt as a user gets it: packs kt (prepack builds dist/), installs the tarball into a fresh project outside the
# checkout, and there runs the CLI, apps that launch kernels written in TypeScript, in JavaScript with JSDoc
# types and from the library (from plain Node with no loader, through kt/register, from CommonJS, and after
# the user's own tsc build), tsc under the strict configuration `tsc --init` writes, and every example and
# command of the README (readme-examples.mjs). Every launch runs on the interpreter, so no GPU is needed; the
# README's GPU-only examples must stop with kt's message saying there is no GPU. Called by .ci/run; `npm run
# test:package` runs it by hand.
#
# The install is offline: the fresh project's lockfile pins kt's dependencies (and TypeScript) at the versions
# of the checkout's package-lock.json, whose tarballs the checkout's `npm ci` left in the npm cache. Should one
# be missing, the install falls back to the registry for it (with a note).
#
# KT_PACKAGE_KEEP=1 keeps the working directory (its path is printed).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kt-package-XXXXXX")"
if [[ "${KT_PACKAGE_KEEP:-}" == 1 ]]; then
  echo "working in $work (kept)"
else
  trap 'rm -rf "$work"' EXIT
fi
project="$work/project"
mkdir -p "$project"
export KT_CACHE_DIR="$work/kt-cache"
export FORCE_COLOR=0
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

started=$SECONDS
step() {
  local t=$SECONDS
  echo "--- $1"
  shift
  "$@"
  echo "    ($((SECONDS - t)) s)"
}
fail() {
  echo "package check FAILED: $*" >&2
  exit 1
}
# Runs a command; its output must contain each of the given strings (after --).
expect_output() {
  local args=() out
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  local status=0
  out="$("${args[@]}" 2>&1)" || status=$?
  if ((status)); then
    printf '%s\n' "$out"
    fail "'${args[*]}' exited with $status"
  fi
  printf '%s\n' "$out" | sed 's/^/    /'
  for want in "$@"; do
    grep -qF -- "$want" <<<"$out" || fail "'${args[*]}' did not print '$want'"
  done
}

pack() {
  local name
  name="$(cd "$root" && npm pack --pack-destination "$work" --silent | tail -n 1)"
  tarball="$work/$name"
  [[ -f "$tarball" ]] || fail "npm pack did not write $tarball"
  local listing
  listing="$(tar tzf "$tarball")"
  for f in package/LICENSE package/README.md package/dist/index.js package/dist/index.d.ts package/dist/runtime/index.js package/bin/ts-modules.js package/dist-kernels/matmul.js package/dist-kernels/matmul.d.ts package/kernels/matmul.ts package/bin/kt.js package/bin/register.js; do
    grep -qx "$f" <<<"$listing" || fail "the tarball lacks $f"
  done
  if grep -E '^package/(test|bench|node_modules)/|^package/tsconfig|^package/\.ci/' <<<"$listing"; then fail 'the tarball ships files outside its allow-list'; fi
  echo "    $name: $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) kB"
}

install() {
  cp "$tarball" "$project/"
  node "$root/test/package/fresh-project.mjs" "$root" "$project" "$(basename "$tarball")"
  cd "$project"
  if ! npm ci --offline --loglevel=error; then
    echo "    note: not every package was in the npm cache; installing the same versions from the registry"
    npm ci --prefer-offline --loglevel=error
  fi
  [[ -f node_modules/kt/package.json && ! -L node_modules/kt ]] || fail 'kt is not installed from the tarball'
  cp -R "$root/test/package/fixture/." "$project/"
}

library=$(cd "$root/kernels" && grep -l 'export const spec' -- *.ts | sed 's/\.ts$//' | sort)

step 'npm pack' pack
step 'install the tarball into a fresh project' install
cd "$project"
# The project's own commands (npx --no never downloads a package of that name instead).
kt() { npx --no -- kt "$@"; }
tsx() { npx --no -- tsx "$@"; }
tsc() { npx --no -- tsc "$@"; }

step 'kt --version' expect_output kt --version -- "$(node -p "require('$root/package.json').version")"
# shellcheck disable=SC2086
step 'kt list' expect_output kt list -- $library
step 'kt run matmul (interpreter)' expect_output kt run matmul --interpret --size M=N=K=64 -- PASS
step 'kt tune softmax (interpreter)' expect_output kt tune softmax --interpret --size M=4,N=100 -- 'best:' 'now uses it'
step 'kt compile add' expect_output kt compile add --emit ir -- 'tt.func public @add'
step "kt run on the user's spec" expect_output kt run src/kernels.ts --interpret -- PASS
step 'plain Node, no loader: a JavaScript kernel (JSDoc) and kt/kernels/add' \
  expect_output node js/app.mjs -- 'scale (JavaScript kernel): ok' 'add (kt/kernels/add): ok'
step 'node --import kt/register: a TypeScript kernel too' \
  expect_output node --import kt/register js/app.mjs --ts -- 'scale (JavaScript kernel): ok' 'saxpy (TypeScript kernel): ok'
step 'node --import kt/register src/app.ts' \
  expect_output node --import kt/register src/app.ts -- 'saxpy (TypeScript kernel): ok' 'multiply (TypeScript kernel): ok' 'softmax (kt/kernels/softmax): ok'
step 'npx tsx src/app.ts' \
  expect_output tsx src/app.ts -- 'saxpy (TypeScript kernel): ok' 'softmax (kt/kernels/softmax): ok'
step 'CommonJS: require(kt)' expect_output node js/app.cjs -- 'add from CommonJS (require): ok'
step 'tsc --init' tsc --init
grep -q '"strict": true' tsconfig.json && grep -q '"exactOptionalPropertyTypes": true' tsconfig.json && grep -q '"noUncheckedIndexedAccess": true' tsconfig.json ||
  fail 'tsc --init no longer writes strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess: give them explicitly'
step 'tsc --noEmit (the default strict config)' tsc --noEmit
step 'tsc --noEmit (stricter still, declaration files checked too)' tsc --noEmit --skipLibCheck false \
  --noImplicitReturns --noImplicitOverride --noUnusedLocals --noUnusedParameters --noFallthroughCasesInSwitch --noPropertyAccessFromIndexSignature
step 'tsc --checkJs on the JavaScript kernel' tsc --ignoreConfig --noEmit --allowJs --checkJs --strict --exactOptionalPropertyTypes \
  --noUncheckedIndexedAccess --module nodenext --target esnext js/scale.js
step "the user's tsc build" tsc --rootDir src --outDir build
step 'the app after the tsc build (plain Node, kernels read through the source maps)' \
  expect_output node build/app.js -- 'saxpy (TypeScript kernel): ok' 'multiply (TypeScript kernel): ok' 'softmax (kt/kernels/softmax): ok'
step "kt run on the user's spec after the tsc build" expect_output kt run build/kernels.js --interpret -- PASS
step 'kt build (kernels ahead of time)' expect_output kt build src/build.ts --target sm_90a -o add.ktb.json -- 'wrote add.ktb.json'
step 'plain Node: kt/runtime launches the bundle' expect_output node js/serve.mjs -- 'kt/runtime: add ok'
# Every example and command of the README (the packed one), each run here or skipped with its reason: see
# test/package/readme-examples.mjs. Last, so that the tsc steps above do not see its files.
step 'the README: every example and command' node "$root/test/package/readme-examples.mjs" node_modules/kt/README.md readme
# The README's TypeScript examples, and the harnesses around its fragments, type-check under the user's strict
# configuration from `tsc --init` (the README says kernel files do), with .ts imports allowed since the README's
# bench-add.ts imports './my-kernels.ts'.
printf '{\n  "extends": "../tsconfig.json",\n  "compilerOptions": { "noEmit": true, "allowImportingTsExtensions": true },\n  "include": ["**/*.ts"]\n}\n' >readme/tsconfig.json
step "tsc on the README's TypeScript examples (the tsc --init configuration)" tsc -p readme
echo "package check passed in $((SECONDS - started)) s"
