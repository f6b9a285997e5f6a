/**
 * Which applications receive new requests of each method: round robin over the apps that
 * sent `route|<verb>`, as drachtio-server's ClientController::selectClientForRequestOutsideDialog.
 */
export class RouteTable<T> {
  private readonly byVerb = new Map<string, T[]>();
  private readonly offset = new Map<string, number>();

  add(verb: string, app: T): void {
    const v = verb.toLowerCase();
    const list = this.byVerb.get(v) ?? [];
    if (!list.includes(app)) list.push(app);
    this.byVerb.set(v, list);
  }

  remove(verb: string, app: T): void {
    const v = verb.toLowerCase();
    const list = (this.byVerb.get(v) ?? []).filter((a) => a !== app);
    if (list.length === 0) {
      this.byVerb.delete(v);
      this.offset.delete(v);
    } else this.byVerb.set(v, list);
  }

  removeApp(app: T): void {
    for (const verb of [...this.byVerb.keys()]) this.remove(verb, app);
  }

  select(method: string): T | undefined {
    const v = method.toLowerCase();
    const list = this.byVerb.get(v);
    if (!list || list.length === 0) return undefined;
    const i = (this.offset.get(v) ?? 0) % list.length;
    this.offset.set(v, i + 1);
    return list[i];
  }

  has(verb: string): boolean {
    return (this.byVerb.get(verb.toLowerCase())?.length ?? 0) > 0;
  }
}
