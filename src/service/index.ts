export { Service, ServiceState, ServiceStartError } from './service';
export { StoreDirectory } from './store-directory';
export { metricsRoute, registrationsRoute } from './api-routes';
