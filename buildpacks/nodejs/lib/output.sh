# Each built-in buildpack carries its own copy of this file: a build sees only the directory of
# the buildpack it runs (read-only, in the sandbox), never a sibling one.
# Output in the shape of Heroku's builds: a step is `-----> Step`, what it says is indented by
# seven spaces, a warning or an error is ` !     message`.

header() { echo "-----> $*"; }
info() { echo "       $*"; }
indent() { sed -u 's/^/       /; s/^ *$//'; }
warn() {
  local line
  while IFS= read -r line; do echo " !     $line"; done <<<"$*"
}
# Says why the build failed, and what to do, then stops it.
fail() {
  echo
  warn "$@"
  echo
  exit 1
}

# Exports the app's config vars (ENV_DIR holds one file per var, named by it), as Heroku's
# buildpacks do, but not those that would change how the build itself runs, nor names a shell
# cannot export.
export_env_dir() {
  local env_dir=$1 file name
  [[ -n "$env_dir" && -d "$env_dir" ]] || return 0
  for file in "$env_dir"/*; do
    [[ -f "$file" ]] || continue
    name=${file##*/}
    [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ "$name" =~ ^(PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LANG|BUILD_DIR|HOME)$ ]] && continue
    export "$name=$(cat "$file")"
  done
}

# Human size of a directory (du's own rounding), or 0 when it is missing.
size_of() {
  if [[ -d "$1" ]]; then du -sh "$1" 2>/dev/null | cut -f1; else echo 0; fi
}
