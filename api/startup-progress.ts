/**
 * The server's start-up steps and which of them are still pending: `/health/ready` answers 503
 * naming them until every one is done, and the API answers 503 until the server's own are.
 * A step that failed stays pending, with its error.
 */
export class StartupProgress {
  private readonly pending: string[];
  private readonly failures = new Map<string, string>();

  constructor(steps: string[]) {
    this.pending = [...steps];
  }

  /** Adds a step that readiness must wait for (e.g. the demo seed that `npm start` runs). */
  expect(step: string): void {
    if (!this.pending.includes(step)) this.pending.push(step);
  }

  /** Marks `step` done. */
  done(step: string): void {
    const at = this.pending.indexOf(step);
    if (at >= 0) this.pending.splice(at, 1);
    this.failures.delete(step);
  }

  /** Records why `step` could not be done; it stays pending. */
  failed(step: string, error: unknown): void {
    this.failures.set(step, error instanceof Error ? error.message : String(error));
  }

  /** Runs `work` as `step`: done when it resolves, failed (and rethrown) when it rejects. */
  async run<T>(step: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.done(step);
      return result;
    } catch (error) {
      this.failed(step, error);
      throw error;
    }
  }

  /** The steps not done yet, in order, each with its failure when it has one. */
  pendingSteps(): Array<{ step: string; error?: string }> {
    return this.pending.map((step) => (this.failures.has(step) ? { step, error: this.failures.get(step) } : { step }));
  }

  isPending(step: string): boolean {
    return this.pending.includes(step);
  }

  get complete(): boolean {
    return this.pending.length === 0;
  }
}
