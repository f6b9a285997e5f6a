export {
  AccountCallRecording,
  CallRecording,
  HttpMethod,
  RecordCallAction,
  RecordCallerAction,
  RecordingFormat,
  RecordingNetworks,
  RecordingSettings,
  TIME_LIMIT_DEFAULT,
  TIME_LIMIT_MAX,
  TIME_LIMIT_MIN,
  isHttpUrl,
} from './settings-schema';
export { validateWith, type SchemaProblem, type ValidationResult } from './validate';
export {
  CallDirection,
  Network,
  RecordingKind,
  RecordingSource,
  RecordingStart,
  type AccountDoc,
  type DeviceDoc,
  type EndpointDocs,
  type PlannedRecording,
  type PolicyInput,
  type RecordingDefaults,
  type ResolvedRecordingSettings,
  type UserDoc,
} from './types';
export {
  DEFAULT_RECORDING_DEFAULTS,
  SUPPORTED_SAMPLE_RATES,
  mediaNameWithExtension,
  nearestSupportedRate,
  resolveSettings,
  type RawRecordingSettings,
} from './resolve-settings';
export { accountBranches, slotSettings } from './lookup';
export { PolicyInputError, accountRecording, origins, recordingsForCall } from './policy';
export {
  RECORD_CALLER_TERMINATORS,
  resolveRecordCall,
  resolveRecordCaller,
  type ActionContext,
  type RecordCallDecision,
  type RecordCallerDecision,
} from './actions';
