#!/bin/bash
# EMR bootstrap action for dac-spark on GPU nodes (runs on every node before YARN and Spark start).
#   Path: s3://BUCKET/dac-spark/deploy/emr/bootstrap.sh   Args: [s3://BUCKET/dac-spark]
# The argument is where this repository's deploy/ folder was copied (see deploy/emr/README.md).
# 1. YARN GPU isolation on EMR 7 (Amazon Linux 2023 mounts cgroup v2 only): a cgroup v1 devices hierarchy at
#    the path that configurations.json gives YARN (yarn-site cgroups.mount-path, container-executor cgroups root).
# 2. The GPU discovery script at the path of conf/platforms/emr.conf (and configurations.json).
# 3. DJL's cache on the instance store (/mnt), writable by the containers' user: DJL downloads libtorch there once.
set -euxo pipefail
ARTIFACTS="${1:?usage: bootstrap.sh s3://BUCKET/PREFIX (where deploy/ of dac-spark was copied)}"
ARTIFACTS="${ARTIFACTS%/}"

CGROUP=/yarn-gpu-cgroup
sudo mkdir -p "$CGROUP/devices"
mountpoint -q "$CGROUP/devices" || sudo mount -t cgroup -o devices cgroupv1-devices "$CGROUP/devices"
sudo chmod a+rwx -R "$CGROUP"

INSTALL=/opt/dac-spark
sudo mkdir -p "$INSTALL/deploy/gpu"
sudo aws s3 cp "$ARTIFACTS/deploy/gpu/discover-gpus.sh" "$INSTALL/deploy/gpu/discover-gpus.sh"
sudo chmod 755 "$INSTALL/deploy/gpu/discover-gpus.sh"

sudo mkdir -p /mnt/djl-cache
sudo chmod 1777 /mnt/djl-cache
