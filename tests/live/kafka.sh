#!/usr/bin/env bash
# Kafka accuracy: librdkafka's mock cluster (one broker) in the namespace, librdkafka clients
# (a producer, then a consumer) on the host, wirelens attached to the host end of the veth.
# Every request type's count must equal what librdkafka itself says it sent (its statistics
# JSON, "req" per broker, summed), and every request must have its response, no errors.
# librdkafka 2.0 binds mock brokers to 127.0.0.1: the mock program interposes bind() so the
# broker listens on (and advertises) $SRV_IP, and the clients' traffic crosses the veth.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
bin=$(mktemp -d "/tmp/$NS-kafka.XXXXXX")
on_exit "rm -rf $bin"
gcc -O2 -Wall -o "$bin/mock" "$here/kafka/mock_broker.c" -lrdkafka -ldl &&
	gcc -O2 -Wall -o "$bin/client" "$here/kafka/client.c" -lrdkafka -ljson-c ||
	{ fail "building the helpers"; finish; exit 1; }

ip netns exec "$NS" env WL_BIND_IP="$SRV_IP" "$bin/mock" >"$bin/boot" 2>"$bin/mock.log" &
mock_pid=$!
on_exit "kill $mock_pid"
for _ in $(seq 50); do [ -s "$bin/boot" ] && break; sleep 0.1; done
boot=$(head -1 "$bin/boot")
port=${boot##*:}
case "$boot" in "$SRV_IP":*) ;; *) fail "mock broker not on $SRV_IP: '$boot'"; finish; exit 1 ;; esac

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }
"$WL_BIN" ports set kafka="$port" >/dev/null

# librdkafka's names -> Kafka's (what wirelens reports)
norm() { sed -e 's/^ApiVersion /ApiVersions /' -e 's/^Offset /ListOffsets /' | sort; }

run_client() { # label mode count
	local label=$1 out="$bin/$2.req" client_pid theirs ours resp errs
	"$WL_BIN" reset
	"$bin/client" "$boot" "$2" "$3" "$out" 2>"$bin/$2.log" &
	client_pid=$!
	for _ in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
	theirs=$(norm <"$out")
	ours=$("$WL_BIN" commands --json --protocol kafka --server "$SRV_IP:$port" |
		jq -r '.[] | "\(.command) \(.requests)"' | sort)
	if [ -n "$theirs" ] && [ "$theirs" = "$ours" ]; then
		pass "$label: every request type equals librdkafka's own count ($(echo "$ours" | tr '\n' ' '))"
	else
		fail "$label: request counts differ (librdkafka | wirelens)"
		diff <(echo "$theirs") <(echo "$ours") | head -20
	fi
	touch "$out.go"
	wait "$client_pid"
	# after the client closed, nothing is in flight: every request has its response
	resp=$("$WL_BIN" commands --json --protocol kafka --server "$SRV_IP:$port" |
		jq -r '[.[] | select(.responses != .requests)] | length')
	check_eq "$label: commands with a request unanswered" 0 "$resp"
	# the only errors: the mock broker refuses ApiVersions v3 (UNSUPPORTED_VERSION) once per
	# connection and librdkafka retries with v0, so half of the ApiVersions are errors
	errs=$("$WL_BIN" commands --json --protocol kafka --server "$SRV_IP:$port" |
		jq -r '[.[] | select(.command != "ApiVersions" and .errors != 0)] | length')
	check_eq "$label: commands other than ApiVersions with errors" 0 "$errs"
	errs=$("$WL_BIN" commands --json --protocol kafka --server "$SRV_IP:$port" |
		jq -r '.[] | select(.command == "ApiVersions") | "\(.requests) \(.errors)"')
	check_eq "$label: ApiVersions requests, errors" "2 1" "$errs"
}

run_client "producer, 500 messages" produce 500
run_client "consumer, 500 messages" consume 500

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol kafka
finish
