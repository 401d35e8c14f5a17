import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { WorkflowCloudError } from './errors.ts';

/** IPv4 ranges a webhook must not reach: this host, private networks, link-local, CGNAT. */
const internalV4: [number, number][] = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x64400000, 10],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0a80000, 16],
];

const v4Number = (address: string) =>
  address.split('.').reduce((value, part) => value * 256 + Number(part), 0);

/** Whether an address is internal: loopback, private, link-local or unspecified (v4 or v6). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (isIPv4(mapped ?? address)) {
    const value = v4Number(mapped ?? address);
    return internalV4.some(
      ([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === base / 2 ** (32 - bits),
    );
  }
  const lower = address.toLowerCase();
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/**
 * Refuses (301) a webhook the platform must not call: not http(s), or a host that resolves to an
 * internal address — a task's webhook could otherwise reach ComfyUI or the database's network
 * (`allowInternal` lets a sandbox on one machine call itself). Checked at creation and again
 * before each call, since a name may resolve elsewhere by then.
 */
export async function checkWebhookUrl(url: string, allowInternal: boolean): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WorkflowCloudError('PARAMS_INVALID');
  }
  if (allowInternal) {
    return;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0 || addresses.some(({ address }) => isInternalAddress(address))) {
    throw new WorkflowCloudError('PARAMS_INVALID');
  }
}
