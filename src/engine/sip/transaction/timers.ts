/**
 * The named timers of one transaction: at most one pending setTimeout per name, all cleared
 * together when the transaction terminates.
 */
export class TimerSet {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  /** onError receives exceptions thrown by timer work (e.g. a TU event handler), which must not crash the process. */
  constructor(private readonly onError: (err: unknown) => void) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const t = setTimeout(() => {
      this.pending.delete(name);
      try {
        fn();
      } catch (err) {
        this.onError(err);
      }
    }, ms);
    this.pending.set(name, t);
  }

  stop(name: string): void {
    const t = this.pending.get(name);
    if (t) {
      clearTimeout(t);
      this.pending.delete(name);
    }
  }

  has(name: string): boolean {
    return this.pending.has(name);
  }

  clear(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
