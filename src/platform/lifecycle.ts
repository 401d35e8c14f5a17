/** Whether the process still takes requests; SIGTERM turns it to draining before the server closes. */
export class Lifecycle {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  beginShutdown(): void {
    this.#draining = true;
  }
}
