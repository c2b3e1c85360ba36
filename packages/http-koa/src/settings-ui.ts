import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import type { AppState } from './app-state.js';

/**
 * The settings page's policy: its own script, style and API calls only; no inline script
 * or style, no form posting elsewhere, no framing, no `<base>` rewriting its URLs.
 */
export const SETTINGS_UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export const SETTINGS_UI_PATH = '/';
export const SETTINGS_UI_ASSETS_PREFIX = '/ui/';

/** Route path → file in the package's `ui` folder, with its media type. */
const UI_FILES: ReadonlyArray<{ path: string; file: string; type: string }> = [
  { path: SETTINGS_UI_PATH, file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: `${SETTINGS_UI_ASSETS_PREFIX}app.js`, file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: `${SETTINGS_UI_ASSETS_PREFIX}app.css`, file: 'app.css', type: 'text/css; charset=utf-8' },
  { path: `${SETTINGS_UI_ASSETS_PREFIX}icon.svg`, file: 'icon.svg', type: 'image/svg+xml' },
];

/** `ui/` sits next to both `src/` and `dist/`, so one relative URL serves the sources and the build. */
const UI_DIR = new URL('../ui/', import.meta.url);

/**
 * Registers the settings page and its assets as open routes (GET and HEAD): static files
 * that hold no secret; the API calls the page makes carry the token. The few fixed files
 * are read once, here, and answered from memory: no path comes from the request, so
 * there is nothing to traverse, and no static-serving dependency is needed.
 */
export function registerSettingsUi(router: Router<AppState>): void {
  for (const { path, file, type } of UI_FILES) {
    const body = readFileSync(new URL(file, UI_DIR));
    router.get(path, (ctx) => {
      ctx.set({ 'Content-Security-Policy': SETTINGS_UI_CSP, 'Referrer-Policy': 'no-referrer' });
      ctx.type = type;
      ctx.body = body;
    });
  }
}
