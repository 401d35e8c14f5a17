import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PostgreSQL first: as root its cluster directory belongs to the `postgres` user, who cannot
    // enter the private temporary root that temporary-root.ts makes and points TMPDIR at.
    globalSetup: ['test/support/postgres.ts', 'test/support/temporary-root.ts'],
    // Build and server tests spawn real tools; none of them is timed, they only need room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
