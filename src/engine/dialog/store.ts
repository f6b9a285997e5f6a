/**
 * The engine's dialogs, indexed by id (requests from the app) and by Call-ID + local tag
 * (requests from the network, RFC 3261 12.2.2). Every removal path goes through remove() so
 * both indexes stay in step and memory stays bounded by the live dialogs.
 */
import { Dialog, DialogState, dialogKey } from './dialog';

export class DialogStore {
  private readonly byId = new Map<string, Dialog>();
  private readonly byKey = new Map<string, Dialog>();

  get size(): number {
    return this.byId.size;
  }

  add(d: Dialog): void {
    const old = this.byId.get(d.id);
    if (old) this.remove(old);
    this.byId.set(d.id, d);
    this.byKey.set(d.key, d);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  /** The dialog a network request belongs to: its To tag is our local tag. */
  match(callId: string, toTag: string | undefined): Dialog | undefined {
    return toTag === undefined ? undefined : this.byKey.get(dialogKey(callId, toTag));
  }

  remove(d: Dialog): void {
    d.state = DialogState.Terminated;
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
    if (this.byKey.get(d.key) === d) this.byKey.delete(d.key);
  }

  ownedBy(owner: string): Dialog[] {
    return [...this.byId.values()].filter((d) => d.init.owner === owner);
  }

  clear(): void {
    for (const d of this.byId.values()) d.state = DialogState.Terminated;
    this.byId.clear();
    this.byKey.clear();
  }
}
