import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/** The two headers of cross-origin isolation that the playground README asks for: they give the page SharedArrayBuffer, so the wasm backend loads its threaded build. */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.txt': 'text/plain' };

/** Serves `root` as a static host does, every response with the isolation headers; resolves to its base URL. */
export async function serveIsolated(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, decodeURIComponent(path)));
    if (!file.startsWith(root + sep)) {
      response.writeHead(403, ISOLATION_HEADERS).end();
      return;
    }
    try {
      const body = readFileSync(file);
      response.writeHead(200, { ...ISOLATION_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404, ISOLATION_HEADERS).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}
