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
