# Shared by scripts/run and scripts/test: package installation, step timing, build.
# Sourced, not run.

set -Eeuo pipefail

S2S_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Every build and test dependency, as Debian 12 packages. Nothing is downloaded
# at build time.
S2S_PACKAGES=(
  g++ cmake ninja-build ccache pkg-config python3 python3-yaml python3-aiosmtpd curl wrk
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsoci-dev libpq-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libssl-dev libcurl4-openssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  libkainjow-mustache-dev chromium
  clang-14 libclang-rt-14-dev systemd
)

_s2s_step_name=""
_s2s_step_start=0
_s2s_total_start=$(date +%s)

step() {
  step_done
  _s2s_step_name=$1
  _s2s_step_start=$(date +%s)
  printf '==> %s\n' "$_s2s_step_name"
}

step_done() {
  if [ -n "$_s2s_step_name" ]; then
    printf '    %s: %ss\n' "$_s2s_step_name" "$(( $(date +%s) - _s2s_step_start ))"
    _s2s_step_name=""
  fi
}

all_done() {
  step_done
  printf '==> done in %ss\n' "$(( $(date +%s) - _s2s_total_start ))"
}

_s2s_on_error() {
  local status=$?
  printf '\nFAILED (exit %s)%s: %s\n' "$status" "${_s2s_step_name:+ in step \"$_s2s_step_name\"}" "$BASH_COMMAND" >&2
}
trap _s2s_on_error ERR

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whichever of S2S_PACKAGES are missing (apt-get; sudo when not root).
install_packages() {
  local missing=()
  local p
  for p in "${S2S_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "    all ${#S2S_PACKAGES[@]} packages present"
    return 0
  fi
  echo "    installing: ${missing[*]}"
  as_root apt-get update -qq
  # libboost1.81-dev conflicts with the default 1.74 set: naming the 1.81 packages
  # explicitly lets apt replace it.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The web pages' front-end packages, pinned by package-lock.json (npm ci, only
# when the lock file changed since the last install), and their stylesheet
# built from GOV.UK Frontend by Sass into web/dist/. CMake compiles both into s2sd.
install_web() {
  command -v npm >/dev/null || { echo "npm not found: install Node.js and npm" >&2; return 1; }
  local stamp="$S2S_ROOT/node_modules/.s2s-lock.sha256"
  local want
  want=$(sha256sum "$S2S_ROOT/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    (cd "$S2S_ROOT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  else
    echo "    npm packages up to date"
  fi
  if [ ! -f "$S2S_ROOT/web/dist/s2s.css" ] || [ -n "$(find "$S2S_ROOT/web/assets" "$S2S_ROOT/package-lock.json" \
      -newer "$S2S_ROOT/web/dist/s2s.css" -print -quit)" ]; then
    (cd "$S2S_ROOT" && npm run --silent build:css)
  fi
}

# build DIR BUILD_TYPE [cmake args...] then targets after "--"
build() {
  local dir=$1 type=$2
  shift 2
  local cmake_args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$S2S_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${cmake_args[@]}" >/dev/null
  else
    cmake "$dir" "${cmake_args[@]}" >/dev/null
  fi
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}
