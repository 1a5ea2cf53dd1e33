#!/bin/bash
# Starts a 3-member etcd 3.4 cluster on loopback (Debian: apt-get install etcd-server etcd-client)
# with default timing (heartbeat 100 ms, election 1000 ms), data under $ETCD_DIR, for
# `cordon bench --etcd http://127.0.0.1:2379` (the README's performance table). Stop it with
# `pkill -f "etcd --name"`.
set -e
base=${ETCD_DIR:-/tmp/cordon-etcd-bench}
rm -rf "$base"; mkdir -p "$base"
cluster="e1=http://127.0.0.1:2380,e2=http://127.0.0.1:2382,e3=http://127.0.0.1:2384"
for i in 1 2 3; do
  c=$((2377 + 2*i)); p=$((2378 + 2*i))
  setsid etcd --name e$i --data-dir "$base/e$i" \
    --listen-client-urls http://127.0.0.1:$c --advertise-client-urls http://127.0.0.1:$c \
    --listen-peer-urls http://127.0.0.1:$p --initial-advertise-peer-urls http://127.0.0.1:$p \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
    $ETCD_EXTRA > "$base/e$i.log" 2>&1 &
done
sleep 3
ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379,127.0.0.1:2381,127.0.0.1:2383 endpoint status -w table
