/**
 * The subset of npm `rtpengine-client` (0.4.x, untyped JavaScript) this part uses. Each command
 * method takes the destination first and resolves with rtpengine's decoded bencode dictionary.
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  export interface NgDestination {
    port: number;
    host: string;
  }

  export type NgDict = Record<string, unknown>;

  export interface ClientOptions {
    localPort?: number;
    localAddress?: string;
    /** ms; the library then drops the pending request and calls back with an error. */
    timeout?: number;
    /** false: `result: error` answers resolve like any other (we map them ourselves). */
    rejectOnError?: boolean;
  }

  export class Client extends EventEmitter {
    constructor(opts: ClientOptions);
    ping(dst: NgDestination, opts?: NgDict): Promise<NgDict>;
    offer(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    answer(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    delete(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    query(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    subscribeRequest(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    subscribeAnswer(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    unsubscribe(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    playMedia(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    blockMedia(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    unblockMedia(dst: NgDestination, opts: NgDict): Promise<NgDict>;
    close(): void;
  }
}
