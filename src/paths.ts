// Where the package's own files are, wherever it is installed or run from.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is dist/src/paths.js once built. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VIEWS_DIR = join(PACKAGE_ROOT, 'views');
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'public');
export const CLIENT_BUILD_DIR = join(PACKAGE_ROOT, 'dist', 'client');
export const CLI_PATH = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');

/** socket.io-client's browser bundles, served from the installed package rather than copied. */
export function socketIoClientDistDir(): string {
  const entry = createRequire(import.meta.url).resolve('socket.io-client');
  const marker = `${join('node_modules', 'socket.io-client')}`;
  return join(entry.slice(0, entry.lastIndexOf(marker) + marker.length), 'dist');
}

