// One query stream per view: the page's worker answers requests one at a
// time, in order, so a view that asked again at every wheel step would queue
// up stale work behind the current one. This keeps at most one request in
// flight and, meanwhile, only the newest parameters.

/** Runs `run` for the newest of the requests made with `request`: while
 * one runs, later requests replace each other and the last one runs next.
 * Results and errors of superseded requests are still delivered (their
 * parameters come along), so a caller can show them until fresher ones land. */
export class Latest<P, R> {
  private pending: { p: P } | null = null;
  /** The pump loop is going. */
  private busy = false;
  /** A request's promise is outstanding (false while its result is delivered). */
  private running = false;
  private stopped = false;

  constructor(
    private run: (p: P) => Promise<R>,
    private done: (p: P, r: R) => void,
    private failed: (p: P, e: Error) => void,
  ) {}

  request(p: P): void {
    this.pending = { p };
    if (!this.busy) void this.pump();
  }

  /** Drops what is pending and delivers nothing more (unmount). */
  stop(): void {
    this.stopped = true;
    this.pending = null;
  }

  /** True while a request runs or waits; false inside the callback that
   * delivers the last result, so that callback can clear a loading mark. */
  get active(): boolean {
    return this.running || this.pending !== null;
  }

  private async pump(): Promise<void> {
    this.busy = true;
    while (this.pending && !this.stopped) {
      const { p } = this.pending;
      this.pending = null;
      this.running = true;
      let r: R;
      try {
        r = await this.run(p);
      } catch (e) {
        this.running = false;
        if (!this.stopped) this.failed(p, e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      this.running = false;
      if (!this.stopped) this.done(p, r);
    }
    this.busy = false;
  }
}
