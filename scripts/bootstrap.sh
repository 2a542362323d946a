#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned lock (requirements.lock).
# Python: $PYTHON if set, else pyenv's 3.10.x, else python3.10 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    local want; want=$(cat .python-version 2>/dev/null || echo 3.10)
    for cand in "$root/versions/$want/bin/python" "$root"/versions/3.10.*/bin/python; do
      [[ -x "$cand" ]] && { echo "$cand"; return; }
    done
  fi
  for cand in python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$cand"; return
    fi
  done
  return 1
}

if ! PY=$(find_python) || ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  echo "error: Python 3.10 is required (Rasa 3.6 does not install on 3.11+)." >&2
  echo "Install it (e.g. 'pyenv install 3.10.13') or point PYTHON at a 3.10 interpreter." >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  rm -rf .venv
  "$PY" -m venv .venv
fi
UV_VERSION=$(grep -E '^uv==' requirements-tools.txt | cut -d= -f3)
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
# uv installs the exact lock: no resolver run, only download and unpack.
.venv/bin/uv pip sync --quiet --python .venv/bin/python requirements.lock
touch ".venv/.installed-$(sha1sum requirements.lock | cut -c1-12)"
echo "venv ready: $(.venv/bin/python --version)"
