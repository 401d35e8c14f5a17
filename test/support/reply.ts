/** An answer as the server tests read it: the body parsed when it is JSON. */
export interface Reply {
  status: number;
  headers: Headers;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

/** Reads a fetch response whole: JSON parsed, anything else as text. */
export async function readReply(response: Response): Promise<Reply> {
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    contentType,
    body: contentType.includes('json') && text ? JSON.parse(text) : text,
  };
}
