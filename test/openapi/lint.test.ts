import { describe, expect, it } from 'vitest';
import { readApis } from '../../src/build/apis.ts';
import { redocly } from '../../src/build/redocly.ts';

describe('redocly lint', () => {
  it("passes every existing document on Redocly's recommended-strict rules and the plugin's", async () => {
    const services = readApis('.')
      .filter((api) => api.exists)
      .map((api) => api.service);
    const run = await redocly('.', ['lint', ...services]);
    expect(run.ok, run.output).toBe(true);
    expect(run.output).not.toMatch(/warning|error/i);
  });
});
