// @ts-check
// What an operation takes, as far as the platform roles care; the expansion and the rules both
// decide with it which roles an operation can meet.

/** @typedef {import('../catalog/platform.js').OperationShape} OperationShape */

/**
 * Whether an operation takes a body, and whether that body can be JSON.
 * @param {any} operation
 * @param {{ resolve: (node: any) => { node: any } }} ctx Redocly visitor context (or anything
 *   that resolves a `$ref` alike), for a `$ref`ed request body
 * @returns {OperationShape}
 */
export function operationShape(operation, ctx) {
  let requestBody = operation.requestBody;
  if (requestBody?.$ref) {
    requestBody = ctx.resolve(requestBody).node;
  }
  const types = Object.keys(requestBody?.content ?? {});
  return {
    body: requestBody !== undefined,
    json: types.some((type) => type === '*/*' || /[/+]json\b/.test(type)),
  };
}
