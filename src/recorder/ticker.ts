/** Something driven every 20 ms. */
export interface Tickable {
  tick(): void;
}

/**
 * One 20 ms interval shared by every recording session instead of a timer per call; it runs
 * only while sessions exist and does not keep the process alive by itself.
 */
export class Ticker {
  private readonly members = new Set<Tickable>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly periodMs = 20) {}

  add(t: Tickable): void {
    this.members.add(t);
    if (this.timer === null) {
      this.timer = setInterval(() => {
        for (const m of this.members) m.tick();
      }, this.periodMs);
      this.timer.unref();
    }
  }

  delete(t: Tickable): void {
    this.members.delete(t);
    if (this.members.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

export const sharedTicker = new Ticker();
