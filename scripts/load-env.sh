#!/usr/bin/env bash
# Sourced, not run: `. scripts/load-env.sh; load_env_file .env`.
# Exports every KEY=value of an env file, except the keys the environment already has: a variable set
# for the command wins over the file, as in Docker Compose and dotenv (HTTP_PORT=8081 ./run.sh serves
# on 8081 whatever .env says). A value is read as the shell reads it, so quoting works as in `source`.

load_env_file() {
  local file=$1 line key
  [[ -r $file ]] || return 0
  # The keys of the caller's environment, before the file adds any (an empty value counts as set).
  local -A from_env=()
  while IFS= read -r key; do from_env[$key]=1; done < <(compgen -e)
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)= ]] || continue
    key=${BASH_REMATCH[2]}
    [[ -n ${from_env[$key]:-} ]] && continue
    line=${line#"${BASH_REMATCH[0]}"}
    eval "export $key=$line"
  done < "$file"
}
