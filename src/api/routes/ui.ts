import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import { RouteNotFoundError } from '../errors';
import type { ApiRouteModule } from '../server';

/**
 * The web page (ui/, built by scripts/build-ui.ts into dist/ui) served under `/ui`: `/ui` and
 * `/ui/` answer index.html, `/ui/<file>` a file of the directory. The page's own requests go to
 * the same API with the token it obtained, so these files need no authentication. Bundles are
 * named by their content hash, so they are cached for a year (RFC 9111 §5.2.2.1 max-age,
 * RFC 8246 immutable); index.html is revalidated every time (no-cache) so a new build is seen.
 */

/** Where `npm run build` puts the page, relative to this compiled file (dist/src/api/routes). */
export const DEFAULT_UI_DIR = resolve(__dirname, '../../../ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Pure: the file a `/ui/<rest>` path names inside `root`, or undefined when it leaves it or is not a plain name. */
export function uiFile(root: string, rest: string): string | undefined {
  const name = rest === '' ? 'index.html' : rest;
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.split('/').some((p) => p.startsWith('.'))) return undefined;
  const full = resolve(root, name);
  return full.startsWith(root + sep) ? full : undefined;
}

export function uiRoute(dir: string = DEFAULT_UI_DIR): ApiRouteModule {
  const root = resolve(dir);
  const send = async (rest: string, reply: FastifyReply): Promise<FastifyReply> => {
    const file = uiFile(root, rest);
    const type = file ? TYPES[extname(file)] : undefined;
    if (!file || !type || !(await stat(file).then((s) => s.isFile(), () => false))) throw new RouteNotFoundError();
    const isIndex = file === join(root, 'index.html');
    return reply
      .header('content-type', type)
      .header('cache-control', isIndex ? 'no-cache' : 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      // The page loads nothing from elsewhere; audio plays from blob: URLs made from API answers.
      .header('content-security-policy', "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .send(await readFile(file));
  };
  return (app) => {
    app.get('/ui', { config: { public: true } }, async (_request, reply) => send('', reply));
    app.get<{ Params: { '*': string } }>('/ui/*', { config: { public: true } }, async (request, reply) => send(request.params['*'], reply));
  };
}
