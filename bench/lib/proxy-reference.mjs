// Shared by bench/router.mjs and bench/router-instructions.mjs: a free port, and the nginx
// configuration of the reference row (one process, keep-alive to the backend).
import {writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {join} from 'node:path'

/** A free port on 127.0.0.1 (for the configuration files of nginx and HAProxy). */
export const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const {port} = probe.address()
      probe.close(() => resolve(port))
    })
  })

/**
 * Writes `dir/nginx.conf`: nginx on 127.0.0.1:`port` in front of 127.0.0.1:`backendPort`; returns nginx's arguments.
 * One process, keep-alive to the backend. `job: true` makes it do the router's job on the wire, as
 * nginx can (src/server/router/README.md): the client's Host passed on; X-Request-Id kept when it
 * looks like one (Heroku's rule) or made, sent to the dyno and in the answer unless the dyno sent
 * one; X-Forwarded-For, -Proto and -Port; Via both ways; `Connection: keep-alive` to the dyno and
 * `Keep-Alive: timeout=5` to the client; and a line per request in the router's format, formatted
 * and written (buffered) to /dev/null, as the router's bench formats its lines and stores none.
 * What nginx cannot do alike, a few bytes each: it adds `Server: nginx`, its Via to the client is
 * a header of its own (not appended to the dyno's), and connect= and service= are in seconds.
 * Without `job`: the bare proxy (only X-Forwarded-For, no log). Both keep connections open for
 * any number of requests, as the router does (nginx's default closes one every 1,000).
 */
export function nginxConfig(dir, port, backendPort, {job = false} = {}) {
  const jobHttp = `
  map $http_x_request_id $tug_request_id { "~^[-\\w+=/]{20,200}$" $http_x_request_id; default $request_id; }
  map $http_via $tug_via { "" "1.1 tug"; default "$http_via, 1.1 tug"; }
  map $upstream_http_x_request_id $tug_answer_request_id { "" $tug_request_id; default ""; }
  log_format tug 'at=info method=$request_method path="$request_uri" host=$host request_id=$tug_request_id fwd="$proxy_add_x_forwarded_for" dyno=web.1 connect=$upstream_connect_time service=$upstream_response_time status=$status bytes=$body_bytes_sent protocol=$scheme';
  access_log /dev/null tug buffer=64k;
  keepalive_timeout 5s 5;`
  const jobLocation = `
      proxy_set_header Host $http_host;
      proxy_set_header Connection "keep-alive";
      proxy_set_header X-Request-Id $tug_request_id;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header Via $tug_via;
      add_header X-Request-Id $tug_answer_request_id always;
      add_header Via "1.1 tug" always;`
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  keepalive_requests 1000000;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};${job ? jobHttp : '\n  access_log off;'}
  upstream dyno { server 127.0.0.1:${backendPort}; keepalive 32; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://dyno; proxy_http_version 1.1;${job ? jobLocation : '\n      proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $remote_addr;'}
    }
  }
}
`,
  )
  return ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')]
}
