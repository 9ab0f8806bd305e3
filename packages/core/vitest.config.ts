import { packageVitestConfig } from '../../vitest.shared.js';

export default packageVitestConfig({ coverage: { include: ['src/**/*.ts'], lines: 90 } });
