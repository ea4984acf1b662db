#!/usr/bin/env bash
# The tour: the whole system end to end, as a user meets it. It uses its own graph root,
# run root and registry port, so it never touches a real /var/lib/berth, and cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
work=$(mktemp -d /tmp/berth-tour-XXXXXX)
export BERTH_ROOT="$work/root" BERTH_RUNROOT="$work/run"
registry_pid=""
cleanup() {
  set +e
  for id in $(berth ps -aq 2>/dev/null); do berth rm -f "$id" >/dev/null 2>&1; done
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  umount -R "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "berth itself"
show berth version
show berth info

step "a base image from a rootfs tarball (busybox-static, no network needed)"
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for app in sh ls cat echo id hostname sleep true uname wc; do ln -s busybox "$work/rootfs/bin/$app"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
show berth import --change 'CMD ["/bin/sh"]' "$work/rootfs.tar" localhost/tour/busybox:1
show berth images

step "an image built from a Containerfile: each instruction a layer"
mkdir -p "$work/ctx"
echo "hello from a berth build" > "$work/ctx/greeting.txt"
cat > "$work/ctx/Containerfile" <<'CF'
FROM localhost/tour/busybox:1
LABEL org.opencontainers.image.title="tour"
ENV GREETING_FILE=/srv/greeting.txt
COPY greeting.txt /srv/greeting.txt
RUN echo "built at step 4" > /srv/built.txt
WORKDIR /srv
CMD ["cat", "/srv/greeting.txt"]
CF
show berth build -t localhost/tour/app:1 "$work/ctx"
show berth history localhost/tour/app:1
show berth image tree

step "containers: run, detach, exec, logs, diff, commit"
show berth run --rm localhost/tour/app:1
show berth run --rm --read-only localhost/tour/app:1 sh -c 'id; hostname; cat /proc/self/status | grep CapEff'
cid=$(berth run -d --name tour-web localhost/tour/app:1 sh -c 'echo started; touch /srv/new-file; sleep 60')
echo "started $cid"
show berth ps
show berth exec tour-web cat /srv/built.txt
sleep 0.5
show berth logs tour-web
show berth diff tour-web
show berth commit -m "tour snapshot" tour-web localhost/tour/app:snapshot
show berth stop -t 1 tour-web
show berth rm tour-web

step "a named volume outlives its containers; the event log; disk use"
show berth volume create tour-data
show berth run --rm -v tour-data:/data localhost/tour/app:1 sh -c 'echo "kept in a volume" > /data/note'
show berth run --rm -v tour-data:/data localhost/tour/app:1 cat /data/note
show berth events --since 2m --until 0s --filter type=container --filter event=die --format '{{.Action}} {{.Actor.Attributes.name}} exitCode={{.Actor.Attributes.exitCode}}'
show berth system df

step "a registry: berth registry serve, push, pull"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
berth registry serve --listen "127.0.0.1:$port" --root "$work/registry" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
show berth tag localhost/tour/app:1 "127.0.0.1:$port/tour/app:1"
show berth push "127.0.0.1:$port/tour/app:1"
show berth tags "127.0.0.1:$port/tour/app"
show berth rmi "127.0.0.1:$port/tour/app:1" localhost/tour/app:1 localhost/tour/app:snapshot
show berth pull "127.0.0.1:$port/tour/app:1"
show berth run --rm "127.0.0.1:$port/tour/app:1"

step "the peers read what berth wrote"
show skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/tour/app:1" --format '{{.Digest}} {{.Layers}}'
show berth save -o "$work/app.tar" "127.0.0.1:$port/tour/app:1"
show skopeo inspect "docker-archive:$work/app.tar" --format '{{.Digest}} layers={{len .Layers}}'
show berth images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'

step "done: the tour's store and registry are removed on exit"
