import { join } from 'node:path';

/**
 * One of the recorder's Node-API addons from dist/native (built by `npm run build`, see
 * scripts/build-native.ts), or why it cannot be had: not built (no compiler or no Node headers
 * at build time) or not loadable here. Callers fall back to their TypeScript path and say so.
 */
export function loadNative<T>(name: 'udp_batch' | 'halfband'): { addon: T; error: null } | { addon: null; error: string } {
  // dist/src/recorder -> dist/native
  const path = join(__dirname, '../../native', `${name}.node`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires -- a native addon has no import form
    return { addon: require(path) as T, error: null };
  } catch (err) {
    return { addon: null, error: `${path} not loadable (${(err as Error).message.split('\n')[0]}); npm run build compiles it with the system C compiler` };
  }
}
