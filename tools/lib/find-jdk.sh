# Sourced by tools/mvn and tools/sdd4j: sets SDD4J_JAVA_HOME to a JDK >= 22.
# Order: $JAVA_HOME, then every JDK under /usr/lib/jvm (newest first), then `java` on PATH.

sdd4j_java_feature() {  # prints the feature version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

sdd4j_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if [ -d /usr/lib/jvm ]; then
    while IFS= read -r c; do candidates+=("$c"); done < <(ls -d /usr/lib/jvm/*/ 2>/dev/null | sed 's:/$::' | sort -rV)
  fi
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(sdd4j_java_feature "$c/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then
      SDD4J_JAVA_HOME="$c"
      return 0
    fi
  done
  echo "sdd4j: no JDK 22 or newer found (looked at JAVA_HOME, /usr/lib/jvm/*, and java on PATH)." >&2
  echo "sdd4j: install one, e.g. 'apt-get install temurin-25-jdk' or an OpenJDK 25 build, or set JAVA_HOME to it." >&2
  return 1
}
