import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/temporary-root.ts'],
    // Build and server tests spawn real tools; none of them is timed, they only need room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
