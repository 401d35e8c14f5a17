import { describe, expect, it } from 'vitest';
import { isApiError } from '../../src/platform/api-error.ts';
import { applyNodeInfo, type NodeInfo } from '../../src/workflow-cloud/workflows.ts';
import { imageCopy, textToImage } from './harness.ts';

const mine = new Set(['api/0123abcd.png']);

/** The code applying one entry answers, or the input's new value. */
function apply(entry: NodeInfo, workflow = textToImage) {
  try {
    const { prompt, uploads } = applyNodeInfo(workflow, [entry], mine);
    return { value: prompt[entry.nodeId]?.inputs[entry.fieldName], uploads };
  } catch (error) {
    return isApiError(error) ? error.code : error;
  }
}

describe('applyNodeInfo', () => {
  it.each([
    ['a text', { nodeId: '6', fieldName: 'text', fieldValue: 'a dog' }, 'a dog'],
    ['a number', { nodeId: '3', fieldName: 'seed', fieldValue: 7 }, 7],
    ['a number sent as a string', { nodeId: '3', fieldName: 'seed', fieldValue: '7' }, 7],
    ['a number into a text', { nodeId: '6', fieldName: 'text', fieldValue: 42 }, '42'],
  ])('sets %s', (_, entry, value) => {
    expect(apply(entry as NodeInfo)).toEqual({ value, uploads: [] });
  });

  it('sets one of the caller’s uploads, and names it', () => {
    const entry = { nodeId: '12', fieldName: 'image', fieldValue: 'api/0123abcd.png' };
    expect(apply(entry, imageCopy)).toEqual({
      value: 'api/0123abcd.png',
      uploads: [entry.fieldValue],
    });
  });

  it.each([
    ['a node the workflow lacks', { nodeId: '99', fieldName: 'text', fieldValue: 'x' }],
    ['an input the node lacks', { nodeId: '6', fieldName: 'colour', fieldValue: 'x' }],
    ['a link to another node', { nodeId: '3', fieldName: 'model', fieldValue: 'x' }],
    ['a word for a number', { nodeId: '3', fieldName: 'seed', fieldValue: 'seven' }],
    ['an empty string for a number', { nodeId: '3', fieldName: 'seed', fieldValue: '' }],
    ['a boolean for a text', { nodeId: '6', fieldName: 'text', fieldValue: true }],
    [
      'an inherited property as a node',
      { nodeId: 'constructor', fieldName: 'text', fieldValue: 'x' },
    ],
    ['someone else’s upload', { nodeId: '6', fieldName: 'text', fieldValue: 'api/ffff0000.png' }],
  ])('refuses %s with 803', (_, entry) => {
    expect(apply(entry as NodeInfo)).toBe('APIKEY_INVALID_NODE_INFO');
  });

  it('leaves the saved workflow as it was', () => {
    const before = JSON.stringify(textToImage);
    applyNodeInfo(textToImage, [{ nodeId: '6', fieldName: 'text', fieldValue: 'changed' }], mine);
    expect(JSON.stringify(textToImage)).toBe(before);
  });
});
