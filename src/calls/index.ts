export { B2bua, type BeforeRinging, type B2buaDeps, type B2buaEvents, type B2buaSettings } from './b2bua';
export { Call, CallState, CallStateError, HangupBy, canMove, type CallEnd, type CallEvents } from './call';
export * from './errors';
export { Fork, type ForkOutcome, type ForkRequest } from './fork';
export { HangupCause, causeOfStatus, outcomeOf } from './hangup';
export * from './plan';
export { CallRecords, recordOf } from './record';
export { Router, dialledNumbers, type RegistrationLookup, type RouteDecision, type RouterDeps } from './router';
