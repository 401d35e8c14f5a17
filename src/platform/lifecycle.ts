/** Whether the process still takes requests; SIGTERM turns it to draining before the server closes. */
export class Lifecycle {
  #shutdown = new AbortController();

  get draining(): boolean {
    return this.#shutdown.signal.aborted;
  }

  /** Aborted when shutdown begins: open streams end, so their clients resume elsewhere. */
  get signal(): AbortSignal {
    return this.#shutdown.signal;
  }

  beginShutdown(): void {
    this.#shutdown.abort();
  }
}
