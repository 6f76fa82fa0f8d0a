#!/usr/bin/env bash
# dac-submit.sh: submits a dac-spark job (prep, train or eval) with spark-submit to YARN, Kubernetes or a standalone
# master, with the settings the data-parallel trainer needs.
#
#   deploy/spark-submit/dac-submit.sh COMMAND --config RUN.conf --master MASTER [options] [job arguments]
#
# COMMAND   prep | train | eval (the subcommands of dev.dacspark.spark.cli.DacSparkCli); arguments this script does
#           not know (e.g. eval's --checkpoint URI), and everything after "--", go to the job command.
# Options:
#   --config FILE          the run config (HOCON); shipped with --files. The job gets its base name in cluster deploy
#                          mode (YARN and Kubernetes put --files in the driver's working directory) and its absolute
#                          path in client mode (the driver runs here).
#   --master URL           yarn | k8s://https://HOST:PORT | spark://HOST:PORT[,HOST:PORT] (default: $DAC_MASTER);
#                          Kubernetes also needs --conf spark.kubernetes.container.image=IMAGE and, for the local
#                          config (and a local jar), --conf spark.kubernetes.file.upload.path=s3a://BUCKET/PATH
#   --deploy-mode MODE     client | cluster (default: cluster on YARN and Kubernetes, client on standalone, where
#                          cluster mode would not put the config in the driver's working directory)
#   --jar PATH|URI         the job jar (default: $DAC_JAR, else spark-jobs/target/dac-spark-jobs-*-job.jar of this
#                          checkout, built with `mvn -o -B package -DskipTests -Pjob-jar`); URIs with a scheme
#                          (s3://, hdfs://, local://, ...) are passed on unchecked
#   --executors N          executors, one training rank (and GPU) each: set it to dac.job.workers (default 2)
#   --executor-cores N     cores per executor; spark.task.cpus follows it, so one task takes a whole executor
#                          (default: the cluster settings' spark.executor.cores)
#   --executor-memory SIZE, --driver-memory SIZE
#   --cpu                  no GPU: leaves out the GPU resource settings, and libtorch defaults to the cpu flavour
#   --cluster-conf FILE    the Spark settings all platforms share (default: conf/spark-gpu-cluster.conf of this checkout)
#   --platform-conf FILE   the platform's part of them (default: conf/platforms/emr.conf for yarn, k8s.conf for
#                          k8s://, standalone.conf for spark://, of this checkout)
#   --conf KEY=VALUE       any further Spark setting; wins over the cluster settings and this script's own
#   --dry-run              print the spark-submit command instead of running it
#
# Settings: every `key = value` line of the cluster settings file, then of the platform's part, becomes
# --conf key=value (the files are the single source; see conf/spark-gpu-cluster.conf and conf/platforms/; only the
# master's platform part is passed), then this script adds:
#   - executors: spark.executor.instances (and spark.cores.max on standalone, which sizes applications by cores);
#   - GPUs on YARN: deploy/gpu/discover-gpus.sh shipped with --files and used as ./discover-gpus.sh (YARN puts
#     --files in each container's working directory); on Kubernetes the part's path must exist in the image; on
#     standalone the Workers find the GPUs (see conf/platforms/standalone.conf);
#   - DJL and MKL variables: DJL_OFFLINE, DJL_CACHE_DIR, PYTORCH_VERSION, PYTORCH_FLAVOR, PYTORCH_LIBRARY_PATH and
#     MKL_CBWR, when set in this script's environment, override the settings' spark.executorEnv.* values, and go
#     to the driver too (its environment in client mode, spark.yarn.appMasterEnv.* or spark.kubernetes.driverEnv.*
#     in cluster mode). Choose libtorch with PYTORCH_FLAVOR (e.g. cu128, downloaded by DJL into DJL_CACHE_DIR, which
#     must be on local disk; each platform's part gives one) or PYTORCH_LIBRARY_PATH (an installed libtorch of
#     version PYTORCH_VERSION).
# No Java options: Spark adds the flags it needs on Java 17 itself, and the platform's own (spark.*.defaultJavaOptions)
# stay; --conf spark.driver.extraJavaOptions=... and spark.executor.extraJavaOptions=... add yours to them.
#
# Needs bash 4 and SPARK_HOME (a Spark 3.5 distribution for Scala 2.12). Exit status 2: bad usage, or a missing
# SPARK_HOME, jar, config or settings file; otherwise spark-submit's (the job's exit status in client mode).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MAIN_CLASS="dev.dacspark.spark.cli.DacSparkCli"
DJL_VARIABLES=(DJL_OFFLINE DJL_CACHE_DIR PYTORCH_VERSION PYTORCH_FLAVOR PYTORCH_LIBRARY_PATH MKL_CBWR)

fail() {
  echo "dac-submit: $*" >&2
  exit 2
}

usage() { # the comment at the top of this file
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

[[ $# -gt 0 ]] || { usage >&2; exit 2; }
case "$1" in
  -h | --help) usage; exit 0 ;;
  prep | train | eval) COMMAND="$1"; shift ;;
  *) fail "unknown command '$1': expected prep, train or eval (see --help)" ;;
esac

CONFIG="" MASTER="${DAC_MASTER:-}" DEPLOY_MODE="" JAR="${DAC_JAR:-}" EXECUTORS=2 EXECUTOR_CORES=""
EXECUTOR_MEMORY="" DRIVER_MEMORY="" CPU=0 CLUSTER_CONF="$ROOT/conf/spark-gpu-cluster.conf" PLATFORM_CONF="" DRY_RUN=0
USER_CONF=() JOB_ARGS=()

value() { # the value of option $1, or a clear error when it is missing
  [[ $# -ge 2 && -n "$2" ]] || fail "$1 needs a value"
  printf '%s' "$2"
}
positive() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || fail "$1 must be a positive integer, not '$2'"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) CONFIG="$(value "$@")"; shift 2 ;;
    --master) MASTER="$(value "$@")"; shift 2 ;;
    --deploy-mode) DEPLOY_MODE="$(value "$@")"; shift 2 ;;
    --jar) JAR="$(value "$@")"; shift 2 ;;
    --executors) EXECUTORS="$(value "$@")"; positive "$1" "$EXECUTORS"; shift 2 ;;
    --executor-cores) EXECUTOR_CORES="$(value "$@")"; positive "$1" "$EXECUTOR_CORES"; shift 2 ;;
    --executor-memory) EXECUTOR_MEMORY="$(value "$@")"; shift 2 ;;
    --driver-memory) DRIVER_MEMORY="$(value "$@")"; shift 2 ;;
    --cpu) CPU=1; shift ;;
    --cluster-conf) CLUSTER_CONF="$(value "$@")"; shift 2 ;;
    --platform-conf) PLATFORM_CONF="$(value "$@")"; shift 2 ;;
    --conf)
      conf="$(value "$@")"
      [[ "$conf" == *=* ]] || fail "--conf needs KEY=VALUE, not '$conf'"
      USER_CONF+=("$conf"); shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; JOB_ARGS+=("$@"); break ;;
    *) JOB_ARGS+=("$1"); shift ;;
  esac
done

# --- checks: everything that can be wrong here is said before spark-submit starts
[[ -n "${SPARK_HOME:-}" ]] || fail "SPARK_HOME is not set: point it at a Spark 3.5 distribution (Scala 2.12)"
SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
[[ -x "$SPARK_SUBMIT" ]] || fail "SPARK_HOME=$SPARK_HOME has no executable bin/spark-submit"
[[ -n "$CONFIG" ]] || fail "--config FILE is required (the run config of the $COMMAND job)"
[[ -f "$CONFIG" ]] || fail "config file not found: $CONFIG"
CONFIG="$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")"
[[ -f "$CLUSTER_CONF" ]] || fail "cluster settings not found: $CLUSTER_CONF"
[[ -n "$MASTER" ]] || fail "--master is required: yarn, k8s://https://HOST:PORT or spark://HOST:PORT (or set DAC_MASTER)"
case "$MASTER" in
  yarn) KIND=yarn PLATFORM=emr ;;
  k8s://*) KIND=k8s PLATFORM=k8s ;;
  spark://*) KIND=standalone PLATFORM=standalone ;;
  *) fail "unsupported master '$MASTER': expected yarn, k8s://https://HOST:PORT or spark://HOST:PORT" ;;
esac
PLATFORM_CONF="${PLATFORM_CONF:-$ROOT/conf/platforms/$PLATFORM.conf}"
[[ -f "$PLATFORM_CONF" ]] || fail "platform settings not found: $PLATFORM_CONF"
if [[ -z "$DEPLOY_MODE" ]]; then
  [[ "$KIND" == standalone ]] && DEPLOY_MODE=client || DEPLOY_MODE=cluster
fi
case "$DEPLOY_MODE" in
  client) ;;
  cluster)
    [[ "$KIND" != standalone ]] || fail "--deploy-mode cluster on a standalone master would not put the config in the driver's working directory: use client mode there" ;;
  *) fail "--deploy-mode must be client or cluster, not '$DEPLOY_MODE'" ;;
esac
if [[ -z "$JAR" ]]; then
  shopt -s nullglob
  jars=("$ROOT"/spark-jobs/target/dac-spark-jobs-*-job.jar)
  shopt -u nullglob
  [[ ${#jars[@]} -gt 0 ]] || fail "no job jar: build it with 'mvn -o -B package -DskipTests -Pjob-jar' in $ROOT, or pass --jar (or DAC_JAR)"
  JAR="$(ls -t "${jars[@]}" | head -n 1)"
fi
if [[ "$JAR" =~ ^[A-Za-z][A-Za-z0-9+.-]*:// && "$JAR" != file://* ]]; then
  : # a remote jar (s3://, hdfs://, local:// in an image, ...): spark-submit fetches it
else
  local_jar="${JAR#file://}"
  [[ -f "$local_jar" ]] || fail "job jar not found: $JAR"
fi

# --- the Spark settings, in order of first appearance; a later setting of a key replaces an earlier one
declare -A SETTING=() SEEN=()
KEYS=()
set_conf() {
  [[ -n "${SEEN[$1]+set}" ]] || KEYS+=("$1")
  SEEN[$1]=1
  SETTING[$1]="$2"
}
unset_conf() {
  unset "SETTING[$1]"
}

# a settings file: flat `key = value` lines (a HOCON subset), # comments, values optionally "quoted"
read_settings() {
  local file="$1" line line_no=0 key raw val
  while IFS= read -r line || [[ -n "$line" ]]; do
    line_no=$((line_no + 1))
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ "$line" =~ ^[[:space:]]*([A-Za-z0-9_.-]+)[[:space:]]*[=:][[:space:]]*(.*)$ ]] \
      || fail "$file:$line_no: expected 'key = value', got: $line"
    key="${BASH_REMATCH[1]}" raw="${BASH_REMATCH[2]}"
    if [[ "$raw" =~ ^\"([^\"]*)\"[[:space:]]*(#.*)?$ ]]; then
      val="${BASH_REMATCH[1]}"
    else
      val="${raw%%#*}"
      val="${val%"${val##*[![:space:]]}"}"
      [[ -n "$val" && "$val" != *\"* ]] || fail "$file:$line_no: '$key' needs a value (quote values with spaces or #)"
    fi
    set_conf "$key" "$val"
  done < "$file"
}
read_settings "$CLUSTER_CONF"
read_settings "$PLATFORM_CONF"

if [[ "$CPU" == 1 ]]; then
  for key in "${KEYS[@]}"; do
    [[ "$key" == spark.executor.resource.gpu.* || "$key" == spark.task.resource.gpu.* ]] && unset_conf "$key"
  done
  set_conf spark.executorEnv.PYTORCH_FLAVOR cpu
fi

if [[ -n "$EXECUTOR_CORES" ]]; then
  set_conf spark.executor.cores "$EXECUTOR_CORES"
fi
[[ -n "${SETTING[spark.executor.cores]+set}" ]] || set_conf spark.executor.cores 1
set_conf spark.task.cpus "${SETTING[spark.executor.cores]}"
set_conf spark.executor.instances "$EXECUTORS"
[[ "$KIND" != standalone ]] || set_conf spark.cores.max "$((EXECUTORS * SETTING[spark.executor.cores]))"

FILES=("$CONFIG")
if [[ "$CPU" == 0 && "$KIND" == yarn ]]; then
  FILES+=("$ROOT/deploy/gpu/discover-gpus.sh")
  set_conf spark.executor.resource.gpu.discoveryScript ./discover-gpus.sh
fi

for var in "${DJL_VARIABLES[@]}"; do
  if [[ -n "${!var+set}" ]]; then
    set_conf "spark.executorEnv.$var" "${!var}"
  fi
  if [[ -n "${SETTING[spark.executorEnv.$var]+set}" ]]; then
    v="${SETTING[spark.executorEnv.$var]}"
    if [[ "$DEPLOY_MODE" == client ]]; then
      export "$var=$v"
    elif [[ "$KIND" == yarn ]]; then
      set_conf "spark.yarn.appMasterEnv.$var" "$v"
    else
      set_conf "spark.kubernetes.driverEnv.$var" "$v"
    fi
  fi
done

for conf in ${USER_CONF[@]+"${USER_CONF[@]}"}; do
  set_conf "${conf%%=*}" "${conf#*=}"
done

# --- the command
CMD=("$SPARK_SUBMIT" --master "$MASTER" --deploy-mode "$DEPLOY_MODE" --name "dac-spark $COMMAND $(basename "$CONFIG")"
  --class "$MAIN_CLASS")
[[ -z "$DRIVER_MEMORY" ]] || CMD+=(--driver-memory "$DRIVER_MEMORY")
[[ -z "$EXECUTOR_MEMORY" ]] || CMD+=(--executor-memory "$EXECUTOR_MEMORY")
CMD+=(--files "$(IFS=,; echo "${FILES[*]}")")
for key in "${KEYS[@]}"; do
  [[ -n "${SETTING[$key]+set}" ]] && CMD+=(--conf "$key=${SETTING[$key]}")
done
if [[ "$DEPLOY_MODE" == cluster ]]; then
  JOB_CONFIG="$(basename "$CONFIG")"
else
  JOB_CONFIG="$CONFIG"
fi
CMD+=("$JAR" "$COMMAND" --config "$JOB_CONFIG" ${JOB_ARGS[@]+"${JOB_ARGS[@]}"})

if [[ "$DRY_RUN" == 1 ]]; then # one option and its value a line, the jar and the job's arguments on the last
  printf '%q' "${CMD[0]}"
  i=1
  while [[ "${CMD[$i]}" == --* ]]; do
    printf ' \\\n  %q %q' "${CMD[$i]}" "${CMD[$((i + 1))]}"
    i=$((i + 2))
  done
  printf ' \\\n  %q' "${CMD[$i]}"
  printf ' %q' "${CMD[@]:$((i + 1))}"
  printf '\n'
  exit 0
fi
exec "${CMD[@]}"
