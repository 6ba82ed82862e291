#!/usr/bin/env node
// Serves the proof-checking page on 127.0.0.1 for a quick try, with Node's standard library
// only:
//
//     bindings/wasm/build.sh                  # once: builds the WASM package
//     node examples/browser/serve.mjs [port]  # default 8080; 0 picks a free port
//
// `/` is this folder; `/pkg/` is the built web package (bindings/wasm/pkg/web). Nothing else is
// served, and only GET and HEAD are answered. The first line printed is the page's URL.

import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = [
  { prefix: '/pkg/', dir: path.resolve(here, '../../bindings/wasm/pkg/web') },
  { prefix: '/', dir: here },
];
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
};
// The same policy as the page's <meta> tag: own files only, WebAssembly allowed, no network.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The file for a URL path, or null when it is outside the served folders or not a file. */
function resolve(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  for (const { prefix, dir } of roots) {
    if (!decoded.startsWith(prefix)) continue;
    let file = path.resolve(dir, `.${decoded.slice(prefix.length - 1)}`);
    if (file !== dir && !file.startsWith(dir + path.sep)) return null;
    try {
      if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

function send(response, status, text) {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

const server = createServer((request, response) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, 'method not allowed');
  }
  const urlPath = new URL(request.url, 'http://127.0.0.1').pathname;
  const file = resolve(urlPath);
  if (!file) {
    const hint = urlPath.startsWith('/pkg/') ? ' (build the package first: bindings/wasm/build.sh)' : '';
    return send(response, 404, `not found: ${urlPath}${hint}`);
  }
  response.writeHead(200, {
    'content-type': types[path.extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': 'no-store',
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file)
    .on('error', () => response.destroy())
    .pipe(response);
});

const port = Number(process.argv[2] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node examples/browser/serve.mjs [port]');
  process.exit(2);
}
server.listen(port, '127.0.0.1', () => {
  console.log(`VerityDB proof checker: http://127.0.0.1:${server.address().port}/`);
  try {
    statSync(path.join(roots[0].dir, 'veritydb_verify.js'));
  } catch {
    console.log('warning: bindings/wasm/pkg/web is missing; run bindings/wasm/build.sh first');
  }
});
