#!/usr/bin/env bash
# HTTP accuracy: a real nginx in a namespace (private config, prefix and logs in a temp dir),
# real clients (curl, ab) on the host, wirelens attached to the host end of the veth. Per
# method, wirelens' requests and responses must equal the access log's lines, its errors the
# 5xx lines and its misses the 404 lines: zero difference.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v nginx >/dev/null || { echo "nginx missing (make deps)"; exit 1; }
setup_pair
TMP=$(mktemp -d /tmp/wl-http.XXXXXX)
chmod 755 "$TMP" # nginx workers (www-data) read the files
on_exit "rm -rf $TMP"
PORT=8080
mkdir -p "$TMP/html" "$TMP/logs"
echo "hello from nginx" >"$TMP/html/index.html"
head -c 300000 /dev/urandom | base64 >"$TMP/html/big.txt" # text: gzip makes it chunked
head -c 20000 /dev/zero | tr '\0' 'x' >"$TMP/body.txt"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 256; }
http {
	log_format wl '\$request_method \$status';
	access_log $TMP/logs/access.log wl;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	keepalive_requests 100000;
	gzip on;
	gzip_types text/plain;
	gzip_min_length 0;
	gzip_http_version 1.0;
	server {
		listen $SRV_IP:$PORT;
		root $TMP/html;
		location /ok { return 200 "ok\n"; }
		location /created { return 201; }
		location /err { return 500; }
		location /unavailable { return 503 "busy\n"; }
		location /nocontent { return 204; }
		location /redirect { return 302 /index.html; }
	}
}
EOF
ip netns exec "$NS" nginx -p "$TMP" -c "$TMP/nginx.conf" || { echo "nginx failed"; exit 1; }
on_exit "kill \$(cat $TMP/nginx.pid)"
URL=http://$SRV_IP:$PORT
# curl with every URL's body discarded (-o applies to one URL each)
cu() {
	local args=() a
	for a in "$@"; do
		case $a in http://*) args+=(-o /dev/null "$a") ;; *) args+=("$a") ;; esac
	done
	curl -s "${args[@]}" >/dev/null
}
for _ in $(seq 50); do cu "$URL/ok" && break; sleep 0.1; done

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

compare() { # label
	local label=$1 server wl
	sleep 0.3 # nginx writes the log line after the response
	server=$(awk '{ r[$1]++; if ($2 >= 500) e[$1]++; if ($2 == 404) m[$1]++ }
		END { for (k in r) printf "%s %d %d %d %d\n", k, r[k], r[k], e[k], m[k] }' \
		"$TMP/logs/access.log" | sort)
	wl=$("$WL_BIN" commands --json --protocol http --server "$SRV_IP:$PORT" |
		jq -r '.[] | "\(.command) \(.requests) \(.responses) \(.errors) \(.misses)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$label: method requests responses errors misses equal the access log: $(echo $server)"
	else
		fail "$label: counts differ (access log < > wirelens)"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
}

reset_all() {
	: >"$TMP/logs/access.log"
	"$WL_BIN" reset
}

reset_all
# keep-alive: several URLs in one invocation (one connection), methods, statuses
cu "$URL/index.html" "$URL/ok" "$URL/missing" "$URL/err" "$URL/nocontent" \
	"$URL/redirect" "$URL/big.txt" "$URL/unavailable"
cu -I "$URL/index.html" "$URL/big.txt" "$URL/missing" >/dev/null
cu --compressed "$URL/big.txt" "$URL/index.html" "$URL/big.txt"
cu -X POST --data-binary @"$TMP/body.txt" "$URL/ok" "$URL/created" "$URL/err"
cu -X PUT --data-binary @"$TMP/body.txt" -H 'Expect: 100-continue' "$URL/ok"
cu -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/body.txt" \
	"$URL/ok"
cu -X DELETE "$URL/ok" -X DELETE "$URL/missing"
cu -X OPTIONS "$URL/ok"
cu -X PATCH -d 'a=b' "$URL/ok"
cu -0 --compressed "$URL/big.txt" # HTTP/1.0 gzip: body ends at the close
cu -0 "$URL/index.html" "$URL/ok"
compare "curl: keep-alive, HEAD, 404, 5xx, 204, chunked both ways, 100-continue, HTTP/1.0"

if command -v ab >/dev/null; then
	reset_all
	ab -q -k -c 4 -n 2000 "$URL/index.html" >/dev/null
	ab -q -c 4 -n 300 "$URL/missing" >/dev/null
	ab -q -k -c 2 -n 500 -p "$TMP/body.txt" -T text/plain "$URL/ok" >/dev/null
	ab -q -k -c 8 -n 400 "$URL/err" >/dev/null
	ab -q -k -c 2 -n 100 -i "$URL/big.txt" >/dev/null
	compare "ab -k -c 4/8, POST bodies, HEAD, 404, 500"
else
	fail "ab (apache2-utils) missing"
fi

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol http
finish
