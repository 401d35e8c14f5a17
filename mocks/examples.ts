import type { IHttpOperation } from '@stoplight/types';

/** One documented operation and the status each of its named examples is documented under. */
export interface OperationExamples {
  operation: IHttpOperation;
  method: string;
  path: string;
  matcher: RegExp;
  /** How specific the path is: literal segments count, so `/agents/me` wins over `/agents/{id}`. */
  literalSegments: number;
  statusOf: Map<string, number>;
}

/**
 * Indexes every operation of a document by the keys of its response examples, the most specific
 * paths first.
 */
export function indexExamples(operations: IHttpOperation[]): OperationExamples[] {
  const index = operations.map((operation) => {
    const statusOf = new Map<string, number>();
    for (const response of operation.responses) {
      for (const content of response.contents ?? []) {
        for (const example of content.examples ?? []) {
          statusOf.set(example.key, Number(response.code));
        }
      }
    }
    const segments = operation.path.split('/').filter(Boolean);
    const pattern = segments
      .map((segment) =>
        /^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    return {
      operation,
      method: operation.method.toLowerCase(),
      path: operation.path,
      matcher: new RegExp(`^/${pattern}/?$`),
      literalSegments: segments.filter((segment) => !segment.startsWith('{')).length,
      statusOf,
    };
  });
  return index.sort((a, b) => b.literalSegments - a.literalSegments);
}

/** The operation a request is for: the most specific documented path that matches. */
export function findOperation(
  index: OperationExamples[],
  method: string,
  path: string,
): OperationExamples | undefined {
  return index.find((operation) => operation.method === method && operation.matcher.test(path));
}
