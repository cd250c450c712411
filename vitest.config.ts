import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Says when the Windows suite is skipped (Wine not set up), and how to run it.
    globalSetup: ['test/helpers/windows-notice.ts'],
    testTimeout: 20_000,
  },
});
