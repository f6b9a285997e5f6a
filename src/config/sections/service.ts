import { Type, type Static } from '@sinclair/typebox';

/** The process as a whole: how it stops. */
export const ServiceSection = Type.Object({
  shutdown: Type.Object({
    /**
     * On SIGTERM new INVITEs get 503 at once; calls in progress may go on for up to this many
     * seconds before they are hung up (recordings are then finalized and queued). 0 = hang up at
     * once. Keep it below the orchestrator's kill grace (docker-compose stop_grace_period).
     */
    drainSec: Type.Integer({ minimum: 0, maximum: 86_400, default: 30 }),
    /**
     * After the calls are gone, uploads already queued may finish for up to this many seconds;
     * what is still queued then stays in the durable spool and is sent after the next start.
     */
    uploadGraceSec: Type.Integer({ minimum: 0, maximum: 3600, default: 10 }),
  }, { default: {} }),
}, { default: {} });

export type ServiceConfig = Static<typeof ServiceSection>;
