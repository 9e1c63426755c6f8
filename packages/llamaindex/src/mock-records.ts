// Sample records for mock mode, in the spirit of the AuthSec guides: nothing configured, nothing fetched.

const MOCK_VAULT_RECORDS = Object.freeze([
  Object.freeze({
    id: 'mock-rec-0001',
    title: 'Q2 revenue target',
    content:
      'The board approved a Q2 revenue target of USD 4.2M, carried mainly by enterprise renewals. (Mock data.)',
    owner: 'finance',
    clearance: 'TopSecret',
  }),
  Object.freeze({
    id: 'mock-rec-0002',
    title: 'Incident report: delayed invoice emails',
    content:
      'A stuck queue consumer delayed invoice emails by up to 4 hours; the broker certificate now renews automatically. (Mock data.)',
    owner: 'sre',
    clearance: 'confidential',
  }),
]);

const MOCK_METRICS = Object.freeze([
  Object.freeze({
    id: 'mock-metric-q2_revenue_target',
    name: 'q2_revenue_target',
    value: 4_200_000,
    unit: 'USD',
    period: '2026-Q2',
    clearance: 'secret',
  }),
  Object.freeze({
    id: 'mock-metric-monthly_churn',
    name: 'monthly_churn',
    value: 1.4,
    unit: 'percent',
    period: '2026-04',
    clearance: 'internal',
  }),
]);

/**
 * The sample records mock mode yields for an endpoint: metrics for a path that mentions
 * `metrics`, secure-vault records otherwise.
 * @param endpoint - the endpoint passed to `loadData()`
 * @returns frozen sample records
 */
export function mockRecordsFor(endpoint: string): readonly Record<string, unknown>[] {
  return /metrics/i.test(endpoint) ? MOCK_METRICS : MOCK_VAULT_RECORDS;
}
