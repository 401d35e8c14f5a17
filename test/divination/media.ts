/** Small files of each type the divination uploads take, made here, byte by byte. */

/** A WAV recording of silence: 16-bit mono PCM at `sampleRate`, `durationMs` long. */
export function wav(
  durationMs: number,
  { sampleRate = 8000, extraChunk = false } = {},
): Uint8Array {
  const dataBytes = Math.round((sampleRate * durationMs) / 1000) * 2;
  const chunk = (tag: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(tag, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  };
  const format = Buffer.alloc(16);
  format.writeUInt16LE(1, 0); // PCM
  format.writeUInt16LE(1, 2); // mono
  format.writeUInt32LE(sampleRate, 4);
  format.writeUInt32LE(sampleRate * 2, 8); // bytes a second
  format.writeUInt16LE(2, 12);
  format.writeUInt16LE(16, 14);
  const chunks = [
    chunk('fmt ', format),
    ...(extraChunk ? [chunk('LIST', Buffer.from('odd'))] : []),
    chunk('data', Buffer.alloc(dataBytes)),
  ];
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return new Uint8Array(Buffer.concat([head, body]));
}

/** An image's signature and `size` bytes in all. */
function image(signature: number[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(Math.max(size, signature.length)).fill(7);
  bytes.set(signature);
  return bytes;
}

export const png = (size = 64) => image([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], size);
export const jpeg = (size = 64) => image([0xff, 0xd8, 0xff, 0xe0], size);
export const webp = (size = 64) =>
  image([...Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1')], size);

/** A multipart form of one file. */
export function fileForm(
  bytes: Uint8Array,
  type: string,
  name = 'file.bin',
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    form.set(key, value);
  }
  form.set('file', new Blob([new Uint8Array(bytes)], { type }), name);
  return form;
}
