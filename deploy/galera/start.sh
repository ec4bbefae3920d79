#!/bin/bash
# Entrypoint of the Galera nodes of docker-compose.yml's `cluster` profile (official
# mariadb:10.11 image). It only decides how this node enters the cluster, then hands over to
# the image's own entrypoint (`docker-entrypoint.sh mariadbd <arguments>`), which initialises
# a new volume exactly as it does without Galera:
#
#   entrypoint: [bash, /usr/local/bin/galera-start.sh]
#   command: [--wsrep-node-address=galera-N, --wsrep-node-name=galera-N]   (+ --wsrep-new-cluster on galera-1)
#
# 1. Bootstrap (--wsrep-new-cluster: start a new Primary Component from this node's data)
#    only where Galera says it is safe, and never while another node already runs the cluster
#    (that would split it in two, each side taking writes):
#    - a new volume, on the node given --wsrep-new-cluster (galera-1): the first start;
#    - grastate.dat says `safe_to_bootstrap: 1`: this node left the cluster last, after a
#      clean shutdown, so it holds every committed write. `docker compose --profile cluster
#      stop` stops galera-2 and galera-3 before galera-1 (they depend on it): galera-1 is the
#      safe one and the next `up` bootstraps it by itself;
#    - otherwise the node joins, whatever its command line says. A plain `--wsrep-new-cluster`
#      would make galera-1 refuse to start after it was killed (safe_to_bootstrap: 0) instead
#      of rejoining.
#    After all nodes crashed (safe_to_bootstrap: 0 everywhere, and the nodes did not restore
#    the cluster by themselves from gvwstate.dat when they all came back), bootstrap by hand
#    the node with the highest seqno: each node logs `galera-start: recovered
#    --wsrep_start_position=<uuid>:<seqno>` below; set `safe_to_bootstrap: 1` in that node's
#    /var/lib/mysql/grastate.dat and start it alone
#    (`docker compose --profile cluster up -d --no-deps galera-N`), then the others.
# 2. A node that was killed (grastate.dat `seqno: -1`: no clean shutdown wrote its position)
#    first runs `mariadbd --wsrep-recover` (the image's galera_recovery, as systemd's
#    mariadb.service does) and starts with --wsrep_start_position from it: the cluster then
#    sends it only what it missed (IST, from the donor's gcache), not a full copy (SST) that
#    pauses the donor's disk and takes minutes.
set -euo pipefail

datadir=/var/lib/mysql
grastate=$datadir/grastate.dat

note() { echo "galera-start: $*" >&2; }
# A `name: value` field of grastate.dat, empty when absent.
field() { sed -n "s/^$1:[[:space:]]*//p" "$grastate" 2>/dev/null | head -n 1; }

args=()
new_cluster_requested=
self=
for arg in "$@"; do
  case "$arg" in
    --wsrep-new-cluster | --wsrep_new_cluster) new_cluster_requested=1 ;;
    --wsrep-node-address=* | --wsrep_node_address=*)
      self=${arg#*=}
      args+=("$arg")
      ;;
    *) args+=("$arg") ;;
  esac
done

# Whether another node of wsrep_cluster_address is already part of a Primary Component (it
# serves): asked over SQL as root, the only account every node is sure to have. A node that
# is still trying to join answers non-Primary (or not at all) and does not count.
peer_in_primary_component() {
  local addresses peer status
  addresses=$(my_print_defaults --mysqld | sed -n 's/^--wsrep[-_]cluster[-_]address=gcomm:\/\///p' | tail -n 1)
  for peer in ${addresses//,/ }; do
    peer=${peer%%:*}
    [ -n "$peer" ] && [ "$peer" != "$self" ] || continue
    status=$(MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-}" mariadb --no-defaults --protocol=tcp -h "$peer" -uroot \
      --connect-timeout=2 -N -B \
      -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_STATUS'" \
      2>/dev/null) || continue
    if [ "$status" = Primary ]; then
      note "$peer is in the cluster's Primary Component"
      return 0
    fi
  done
  return 1
}

bootstrap=
if [ -s "$grastate" ]; then
  if [ "$(field safe_to_bootstrap)" = 1 ]; then
    if peer_in_primary_component; then
      note "safe_to_bootstrap: 1, but the cluster is running: joining it"
    else
      note "safe_to_bootstrap: 1 (this node left the cluster last): bootstrapping the cluster from it"
      bootstrap=1
    fi
  elif [ -n "$new_cluster_requested" ]; then
    note "this volume has been in the cluster and is not safe_to_bootstrap: joining instead of --wsrep-new-cluster"
  fi
  if [ "$(field seqno)" = -1 ] && [ -d "$datadir/mysql" ] && command -v galera_recovery >/dev/null; then
    # Prints --wsrep_start_position=<uuid>:<seqno> (nothing if wsrep is off); its log on stderr.
    if position=$(galera_recovery); then
      if [ -n "$position" ]; then
        note "recovered $position"
        args+=("$position")
      fi
    else
      note "wsrep recovery failed: the node will ask for a full state transfer (SST)"
    fi
  fi
elif [ -n "$new_cluster_requested" ]; then
  # A new volume. If the cluster runs already (this node's volume was lost and recreated), join
  # it: bootstrapping would start a second cluster holding only the schema.
  if peer_in_primary_component; then
    note "new volume, but the cluster is running: joining it (full state transfer)"
  else
    note "new volume: bootstrapping a new cluster (--wsrep-new-cluster)"
    bootstrap=1
  fi
fi
if [ -n "$bootstrap" ]; then args+=(--wsrep-new-cluster); fi

exec docker-entrypoint.sh mariadbd "${args[@]}"
