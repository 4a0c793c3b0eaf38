# Sourced (POSIX sh) by ./mvnw and ./sluice: makes sure JAVA_HOME names a JDK 21 or newer.
# Order: an explicit JAVA_HOME that is new enough, then `java` on the PATH, then the newest
# JDK 21+ found under the usual install roots. Machines whose default java is 17 still work.

sluice_java_major() {
  "$1" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9]*\).*/\1/p' | head -n 1
}

sluice_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(sluice_java_major "$JAVA_HOME/bin/java")
    [ "${major:-0}" -ge 21 ] && return 0
    echo "JAVA_HOME=$JAVA_HOME is Java ${major:-unknown}; Sluice needs 21 or newer, looking for another JDK." >&2
  fi
  if command -v java >/dev/null 2>&1; then
    major=$(sluice_java_major java)
    if [ "${major:-0}" -ge 21 ]; then
      java_bin=$(command -v java)
      resolved=$(readlink -f "$java_bin" 2>/dev/null || echo "$java_bin")
      JAVA_HOME=$(dirname "$(dirname "$resolved")")
      export JAVA_HOME
      return 0
    fi
  fi
  best_home=""
  best_major=0
  # ./mvnw runs with globbing off (set -f); the search below needs it.
  case $- in *f*) restore_noglob=1; set +f ;; *) restore_noglob=0 ;; esac
  for candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -x "$candidate/bin/javac" ] || continue
    major=$(sluice_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge 21 ] && [ "${major:-0}" -gt "$best_major" ]; then
      best_home=$candidate
      best_major=$major
    fi
  done
  [ "$restore_noglob" = 1 ] && set -f
  if [ -z "$best_home" ]; then
    echo "No JDK 21 or newer found. Install one (for example 'apt-get install openjdk-21-jdk-headless') or set JAVA_HOME." >&2
    return 1
  fi
  JAVA_HOME=$best_home
  export JAVA_HOME
}

sluice_find_jdk || exit 1
