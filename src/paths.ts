// Where the package's own files are, wherever it is installed or run from.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is dist/src/paths.js once built. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VIEWS_DIR = join(PACKAGE_ROOT, 'views');
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'public');
/** The page scripts, bundled from src/client by esbuild at build time. */
export const BUNDLE_DIR = join(PACKAGE_ROOT, 'dist', 'bundle');
export const CLI_PATH = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');
