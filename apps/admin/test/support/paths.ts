/** Where the built programs the end-to-end tests run live. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The admin package's root. */
export const ADMIN_ROOT = resolve(here, '../..');
/** raftctl, built. */
export const RAFTCTL_MAIN = resolve(ADMIN_ROOT, 'dist/main.js');
/** The raftkit server, built (apps/node). */
export const SERVER_MAIN = resolve(ADMIN_ROOT, '../node/dist/main.js');
