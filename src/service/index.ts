export { Service, ServiceState, ServiceStartError } from './service';
export { StoreDirectory } from '../directory/store-directory';
export { metricsRoute, registrationsRoute } from './api-routes';
export { ServiceChannels, channelView, callBelongsTo, gregorianSeconds } from './channels';
