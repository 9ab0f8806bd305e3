import { packageVitestConfig } from '../../vitest.shared.js';

export default packageVitestConfig({
  coverage: { include: ['src/**/*.ts'], exclude: ['src/test-support/**', 'src/**/index.ts'], lines: 90 },
});
