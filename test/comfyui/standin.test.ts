import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ComfyClient,
  type ComfyPrompt,
  createComfyClient,
  isComfyPromptError,
} from '../../src/comfyui/client.ts';
import { pngSignature } from '../../src/comfyui/png.ts';
import { type ComfyStandIn, startComfyStandIn } from '../../src/comfyui/standin.ts';
import { finished, textToImage } from './workflow.ts';

/** Width, height and the inflated pixel data of a PNG, read by hand so the encoder is checked. */
function readPng(bytes: Uint8Array) {
  const buffer = Buffer.from(bytes);
  expect(buffer.subarray(0, 8)).toEqual(Buffer.from(pngSignature));
  expect(buffer.toString('latin1', 12, 16)).toBe('IHDR');
  const idatLength = buffer.readUInt32BE(33);
  expect(buffer.toString('latin1', 37, 41)).toBe('IDAT');
  return {
    width: buffer.readUInt32BE(16),
    height: buffer.readUInt32BE(20),
    pixels: inflateSync(buffer.subarray(41, 41 + idatLength)),
  };
}

let standIn: ComfyStandIn;
let client: ComfyClient;

beforeEach(async () => {
  standIn = await startComfyStandIn({ runMs: 150 });
  client = createComfyClient(standIn.url, { timeoutMs: 2000 });
});

afterEach(() => standIn.close());

describe('a valid prompt', () => {
  it.each([
    { width: 64, height: 48 },
    { width: 16, height: 16 },
  ])('runs in order and writes a $width×$height PNG', async ({ width, height }) => {
    const first = await client.queuePrompt(textToImage({ width, height }), 'test');
    const second = await client.queuePrompt(textToImage(), 'test');
    expect(await client.queue()).toEqual({
      running: [first.promptId],
      pending: [second.promptId],
    });
    expect(await client.history(first.promptId)).toBeUndefined();

    const history = await finished(client, first.promptId);
    expect(history.status).toBe('success');
    expect(history.outputs).toEqual([
      { nodeId: '9', filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' },
    ]);
    expect(history.messages.map((message) => message.type)).toEqual([
      'execution_start',
      'execution_success',
    ]);
    const png = readPng(await client.view(history.outputs[0] ?? expect.fail('no output')));
    expect({ width: png.width, height: png.height }).toEqual({ width, height });
    expect(png.pixels.length).toBe(height * (1 + 3 * width));
    expect((await client.queue()).running).toEqual([second.promptId]);
  });
});

describe('an invalid prompt', () => {
  const withNode = (id: string, node: ComfyPrompt[string]) => ({ ...textToImage(), [id]: node });
  const seedless = textToImage();
  delete seedless['3']?.inputs.seed;
  it.each([
    {
      case: 'a missing input',
      prompt: seedless,
      error: { nodeId: '3', classType: 'KSampler', inputName: 'seed' },
      type: 'required_input_missing',
    },
    {
      case: 'a link to no node',
      prompt: withNode('8', {
        class_type: 'VAEDecode',
        inputs: { samples: ['3', 0], vae: ['99', 2] },
      }),
      error: { nodeId: '8', classType: 'VAEDecode', inputName: 'vae' },
      type: 'bad_linked_input',
    },
    {
      case: 'an image never uploaded',
      prompt: withNode('10', { class_type: 'LoadImage', inputs: { image: 'missing.png' } }),
      error: { nodeId: '10', classType: 'LoadImage', inputName: 'image' },
      type: 'custom_validation_failed',
    },
  ])('names the node and input for $case', async ({ prompt, error, type }) => {
    const refusal = await client.queuePrompt(prompt, 'test').catch((e: unknown) => e);
    expect(isComfyPromptError(refusal)).toBe(true);
    if (isComfyPromptError(refusal)) {
      expect(refusal.type).toBe('prompt_outputs_failed_validation');
      expect(refusal.nodeErrors).toEqual([expect.objectContaining({ ...error, type })]);
    }
    expect(await client.queue()).toEqual({ running: [], pending: [] });
  });

  it.each([
    {
      case: 'an unknown node type',
      prompt: withNode('5', { class_type: 'UpscaleEverything', inputs: {} }),
      type: 'invalid_prompt',
      nodeId: '5',
    },
    {
      case: 'a node without class_type',
      prompt: { ...textToImage(), '7': { inputs: {} } as unknown as ComfyPrompt[string] },
      type: 'invalid_prompt',
      nodeId: '7',
    },
    {
      case: 'no output node',
      prompt: { '4': textToImage()['4'] } as ComfyPrompt,
      type: 'prompt_no_outputs',
      nodeId: undefined,
    },
  ])('refuses $case as ComfyUI does', async ({ prompt, type, nodeId }) => {
    const refusal = await client.queuePrompt(prompt, 'test').catch((e: unknown) => e);
    expect(refusal).toMatchObject({ name: 'ComfyPromptError', type, nodeId, nodeErrors: [] });
  });
});

it('reports a failing node in history as an error', async () => {
  const { promptId } = await client.queuePrompt(textToImage({ text: 'please fail' }), 'test');
  const history = await finished(client, promptId);
  expect(history.status).toBe('error');
  expect(history.outputs).toEqual([]);
  expect(history.messages.at(-1)).toMatchObject({
    type: 'execution_error',
    data: { prompt_id: promptId, node_id: '6', node_type: 'CLIPTextEncode' },
  });
});

describe('cancel', () => {
  it('removes a pending prompt, which never runs', async () => {
    const first = await client.queuePrompt(textToImage(), 'test');
    const second = await client.queuePrompt(textToImage(), 'test');
    await client.cancel(second.promptId);
    expect(await client.queue()).toEqual({ running: [first.promptId], pending: [] });
    expect((await finished(client, first.promptId)).status).toBe('success');
    expect(await client.queue()).toEqual({ running: [], pending: [] });
    expect(await client.history(second.promptId)).toBeUndefined();
  });

  it('interrupts the running prompt, and the next one starts', async () => {
    const first = await client.queuePrompt(textToImage(), 'test');
    const second = await client.queuePrompt(textToImage(), 'test');
    await client.cancel(first.promptId);
    const history = await client.history(first.promptId);
    expect(history?.status).toBe('error');
    expect(history?.messages.at(-1)?.type).toBe('execution_interrupted');
    expect(await client.queue()).toEqual({ running: [second.promptId], pending: [] });
  });
});

it('runs a LoadImage on an uploaded image', async () => {
  const original = (await finished(client, (await client.queuePrompt(textToImage(), 't')).promptId))
    .outputs[0];
  const bytes = await client.view(original ?? expect.fail('no output'));
  const first = await client.uploadImage(bytes, 'cat.png', 'image/png');
  expect(first).toEqual({ name: 'cat.png', subfolder: '', type: 'input' });
  // Uploaded again under the same name: replaced, not renamed, as the client asks.
  expect(await client.uploadImage(bytes, 'cat.png', 'image/png')).toEqual(first);
  expect(await client.view({ filename: 'cat.png', subfolder: '', type: 'input' })).toEqual(bytes);

  const prompt: ComfyPrompt = {
    '1': { class_type: 'LoadImage', inputs: { image: first.name } },
    '2': { class_type: 'SaveImage', inputs: { filename_prefix: 'edits/cat', images: ['1', 0] } },
  };
  const history = await finished(client, (await client.queuePrompt(prompt, 't')).promptId);
  expect(history.outputs).toEqual([
    { nodeId: '2', filename: 'cat_00001_.png', subfolder: 'edits', type: 'output' },
  ]);
  expect(readPng(await client.view(history.outputs[0] ?? expect.fail('no output')))).toMatchObject({
    width: 64,
    height: 64,
  });
});
