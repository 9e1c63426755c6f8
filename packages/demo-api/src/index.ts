// @authsec/demo-api: a reference protected API that verifies AuthSec delegation tokens, for demos and tests.

export {
  type DemoApi,
  type DemoApiOptions,
  type DemoApiRequest,
  startDemoApi,
} from './demo-api.js';
export {
  DEMO_AGENTS,
  type DemoAgentName,
  type DemoEnvironment,
  type DemoEnvironmentOptions,
  startDemoEnvironment,
} from './environment.js';
export { MAX_BODY_BYTES } from './http.js';
export {
  CLEARANCES,
  type Clearance,
  MAX_PAGE_LIMIT,
  type RecordPage,
  type VaultRecord,
} from './records.js';
export { DEMO_ROUTES, type DemoRoute } from './routes.js';
export type { BillingAccount, Customer, InternalDoc, Invoice, Metric } from './seed-data.js';
