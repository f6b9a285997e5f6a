/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser: `apt-get install
 * chromium`, see scripts/setup.sh), with axe-core injected for accessibility checks and
 * screenshots written under test-artifacts/ (gitignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.B2BUA_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespace for the sandbox; the page is our own.
    // Audio is played by scripts in the test, not by a click, so no gesture is required.
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
    timeout: 30_000,
  });
}

/**
 * The few browser globals the tests' page-side functions use, typed here because the Node
 * tsconfig has no DOM lib (its absence keeps src/ from using browser globals). Inside
 * page.evaluate write `(globalThis as unknown as PageWindow)`: the cast compiles away.
 */
export interface PageAudio extends PageElement {
  readyState: number;
  playbackRate: number;
  duration: number;
  currentTime: number;
  play(): Promise<void>;
  addEventListener(type: string, f: () => void, o?: { once: boolean }): void;
}
export interface PageElement {
  id: string;
}
export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
export interface PageWindow {
  document: { activeElement: PageElement | null; getElementById(id: string): unknown };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  axe: { run: (ctx: unknown) => Promise<{ violations: AxeViolation[] }> };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) refuses a script tag.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const all = await page.evaluate(async () => {
    const w = globalThis as unknown as PageWindow;
    return (await w.axe.run(w.document)).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const out = join(ARTIFACTS, dir);
  mkdirSync(out, { recursive: true });
  const path = join(out, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
