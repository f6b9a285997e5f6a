import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The first executable `name` in `dirs` (PATH's entries by default, in order); undefined when
 * none is. For the helpers the service runs programs through (setpriv, chrt), which exec the
 * program in their own process.
 */
export function findExecutable(name: string, dirs: readonly string[] = (process.env.PATH ?? '').split(delimiter)): string | undefined {
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
