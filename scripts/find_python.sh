#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 supports nothing newer), or explain.
# A pyenv shim named python3.10 may exist but fail when 3.10 is not pyenv's global version,
# so every candidate is probed by running it.
set -u
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for dir in "$(pyenv root)"/versions/3.10*; do
    [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
  done
fi
for dir in "$HOME"/.pyenv/versions/3.10* /usr/local/bin /usr/bin; do
  [ -x "$dir/bin/python" ] && candidates+=("$dir/bin/python")
  [ -x "$dir/python3.10" ] && candidates+=("$dir/python3.10")
done
for python in "${candidates[@]}"; do
  if version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
      && [ "$version" = "3.10" ]; then
    echo "$python"
    exit 0
  fi
done
cat >&2 <<'MSG'
error: Python 3.10 was not found, and Rasa 3.6 needs it (on 3.11 pip silently installs the
ancient Rasa 1.10 instead). Install it, for example with `pyenv install 3.10.13`, or point
PYTHON310 at an interpreter: make run PYTHON310=/path/to/python3.10
MSG
exit 1
