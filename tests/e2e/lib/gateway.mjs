// A stand-in for Kubeflow's ingress gateway in browser tests: it serves the paths of apps
// "installed" next to the dashboard itself (local(req, res, path) answers them and returns
// true) and streams everything else to kfdash at `upstream`, bodies both ways.

import { createServer, request } from 'node:http';

/** Starts the gateway on a free loopback port: { url, close() }. */
export async function startGateway(upstream, local) {
  const to = new URL(upstream);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (local(req, res, path)) return;
    const out = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (back) => {
        res.writeHead(back.statusCode ?? 502, back.headers);
        back.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Answers a page of an app: a small HTML document, never cached. */
export function servePage(res, html) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}
