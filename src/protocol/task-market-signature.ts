/**
 * What a task-market request signature covers, one item a line: the method, the path with its
 * query, the X-Timestamp value and the hex SHA-256 of the body. The server and the typed client
 * both sign this text (HMAC-SHA256 with the token's signing key).
 */
export function canonicalRequest(
  method: string,
  path: string,
  timestamp: string,
  bodyHash: string,
) {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${bodyHash}`;
}
