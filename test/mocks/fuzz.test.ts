import { describe, expect, it } from 'vitest';
import { builtServices } from '../../src/build/services.ts';
import { runFuzz } from '../support/fuzz.ts';
import { useMock } from '../support/mock.ts';

// The negative-input fuzz run against the mock of every built document: each operation's
// example request, wrong in one way at a time, every answer documented for its operation.
// FUZZ_SEED=<n> picks other cases; a failure prints the seed and the requests that reproduce it.

const mockOrigin = useMock();
const services = builtServices().map(({ service }) => service);
const totals: number[] = [];

describe('the mock, fuzzed', () => {
  it.each(services)(
    '%s mock fuzz: every answer is documented for its operation',
    async (service) => {
      const result = await runFuzz({ label: `${service} mock`, service, origin: mockOrigin() });
      totals.push(result.requests);
      expect(result.undocumented, result.report).toBe(0);
    },
  );

  it('sends at least 2,000 requests in all', () => {
    expect(totals).toHaveLength(services.length);
    expect(totals.reduce((sum, requests) => sum + requests, 0)).toBeGreaterThanOrEqual(2000);
  });
});
