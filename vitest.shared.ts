import { defineConfig } from 'vitest/config';

/**
 * Vitest settings shared by every package: resolve workspace packages to their
 * TypeScript sources (the `@raftkit/source` export condition) so tests never
 * need a build, and use the default `forks` pool, which native addons (lmdb)
 * require.
 */
export const sourceConditions = ['@raftkit/source', 'import', 'module', 'node', 'default'];

export function packageVitestConfig(options: { coverage?: { include: string[]; exclude?: string[]; lines: number } } = {}) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@raftkit/source'] } },
    test: {
      pool: 'forks',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...(options.coverage
        ? {
            coverage: {
              provider: 'v8' as const,
              include: options.coverage.include,
              exclude: ['**/*.test.ts', '**/gen/**', ...(options.coverage.exclude ?? [])],
              reporter: ['text-summary', 'json-summary'],
              thresholds: { lines: options.coverage.lines },
            },
          }
        : {}),
    },
  });
}
