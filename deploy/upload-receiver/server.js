'use strict';
/*
 * A minimal recording upload receiver for the docker-compose deployment: it accepts the
 * service's HTTP PUT (or POST) of a finished recording and stores the body under DATA_DIR with
 * the file name of the URL's last path segment (call_recording_<call-id>.<ext>), plus the
 * query string (the call's metadata) as a .json file next to it. It answers 201 once the file
 * is completely on disk, so the service only marks a recording uploaded after it is stored.
 * Replace it with your own storage endpoint (account/user/device call_recording.url) in production.
 */
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const DATA_DIR = process.env.DATA_DIR || '/data';
const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT || 8088);
const MAX_BYTES = Number(process.env.MAX_BYTES || 2 * 1024 * 1024 * 1024);

fs.mkdirSync(DATA_DIR, { recursive: true });

function safeName(urlPath) {
  const last = decodeURIComponent(urlPath.split('/').filter(Boolean).pop() || '');
  // Only plain file names: no directories, no hidden files.
  return /^[A-Za-z0-9._@+-]{1,255}$/.test(last) && !last.startsWith('.') ? last : null;
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://receiver');
  if (req.method === 'GET' && url.pathname === '/health') { res.writeHead(200).end('ok\n'); return; }
  if (req.method !== 'PUT' && req.method !== 'POST') { res.writeHead(405, { Allow: 'PUT, POST' }).end(); return; }
  const name = safeName(url.pathname);
  if (!name) { res.writeHead(400).end('bad file name\n'); return; }
  const final = path.join(DATA_DIR, name);
  const tmp = `${final}.part-${process.pid}-${Date.now()}`;
  const out = fs.createWriteStream(tmp);
  let bytes = 0;
  let failed = false;
  const fail = (status) => {
    if (failed) return;
    failed = true;
    out.destroy();
    fs.rm(tmp, { force: true }, () => {});
    if (!res.headersSent) res.writeHead(status).end();
  };
  req.on('data', (chunk) => {
    bytes += chunk.length;
    if (bytes > MAX_BYTES) { fail(413); req.destroy(); }
  });
  req.on('aborted', () => fail(400));
  out.on('error', () => fail(500));
  req.pipe(out);
  out.on('finish', () => {
    if (failed) return;
    fs.rename(tmp, final, (err) => {
      if (err) { fail(500); return; }
      const meta = Object.fromEntries(url.searchParams.entries());
      fs.writeFile(`${final}.json`, JSON.stringify({ method: req.method, bytes, receivedAt: new Date().toISOString(), meta }, null, 2), () => {
        res.writeHead(201, { 'Content-Type': 'text/plain' }).end(`stored ${name} (${bytes} bytes)\n`);
      });
    });
  });
}).listen(PORT, HOST, () => {
  process.stdout.write(`upload receiver on http://${HOST}:${PORT}, storing in ${DATA_DIR}\n`);
});
