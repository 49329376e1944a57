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

/** Writes `dir/nginx.conf`: nginx on 127.0.0.1:`port` in front of 127.0.0.1:`backendPort`; returns nginx's arguments. */
export function nginxConfig(dir, port, backendPort) {
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream dyno { server 127.0.0.1:${backendPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $remote_addr; }
  }
}
`,
  )
  return ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')]
}
