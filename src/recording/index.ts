/**
 * Recording end to end: the per-call controller (policy + callflow actions -> one recorder
 * session and one rtpengine fork per call -> delivery), and the process-level wiring.
 *
 *   const recordings = new Recordings({ config, store, accountById, logger, metrics });
 *   await recordings.start();          // replays the delivery spool
 *   recordings.mount(b2bua);           // a CallRecorder per call
 *   ... await recordings.close();      // after the calls
 */
export { Recordings, uploadResultOf, type RecordingsDeps } from './recordings';
export { CallRecorder, CallRecorderState, CallRecorderStateError, stopReasonOf, type CallRecorderDeps, type RecordingView } from './call-recorder';
export { midcallSteps, recordCallAction, diffPolicy, policyKey, describeStep, type MidcallAction, type MidcallStep, type MidcallRefusal, type RecordCallVerb, type PolicyDiff } from './midcall';
export {
  planRecordings, planCall, pauseModeOf, recordCallerSteps, refuseWithoutUrl, callflowDirection, callerEndpoint, calleeEndpoint, RefusalReason,
  type CallPlan, type PlanInput, type RecordingItem, type RefusedRecording,
} from './plan';
export { recordingMeta, addressOf, displayNameOf, factsFromHeaders, type CallFacts } from './meta';
export { RecordingStoreMirror, recordingDoc } from './store-mirror';
export { CallerRecorder, type CallerRecorderDeps } from './caller-recorder';
export { CallerPhase, type CallerPhaseDeps } from './caller-phase';
