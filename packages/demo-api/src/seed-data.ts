// The demo API's fixed data: internal docs, customers, billing and the Q2 metrics (all invented).

/** An internal document, readable with any valid token. */
export interface InternalDoc {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly updated_at: string;
}

/** A customer, behind `read:customers`. */
export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly plan: 'starter' | 'pro' | 'enterprise';
  readonly region: string;
}

/** One invoice of a customer's billing account. */
export interface Invoice {
  readonly id: string;
  readonly amount_cents: number;
  readonly status: 'paid' | 'open' | 'overdue';
  readonly issued_on: string;
  readonly due_on: string;
}

/** A customer's billing account, behind `billing:read`. */
export interface BillingAccount {
  readonly customer_id: string;
  readonly balance_cents: number;
  readonly currency: 'USD' | 'EUR' | 'SGD';
  readonly invoices: readonly Invoice[];
}

/** A business metric, behind `read:metrics`. */
export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly period: string;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const DOCS: readonly InternalDoc[] = deepFreeze([
  {
    id: 'doc-001',
    title: 'On-call handbook',
    body: 'Primary on-call acknowledges a page within 5 minutes and opens an incident channel for any Sev1 or Sev2. Hand over at 09:00 UTC on Mondays with a written summary of open incidents.',
    updated_at: '2026-04-02T08:15:00Z',
  },
  {
    id: 'doc-002',
    title: 'AI agents and delegated access',
    body: 'Agents never hold standing credentials. An admin delegates a short-lived AuthSec token with exactly the actions a job needs (for example read:records), and every API checks that action on every request.',
    updated_at: '2026-05-11T14:40:00Z',
  },
  {
    id: 'doc-003',
    title: 'Data retention schedule',
    body: 'Support tickets are kept for 24 months, billing records for 7 years, application logs for 30 days. Records marked secret or TopSecret are reviewed quarterly by their owner.',
    updated_at: '2026-03-19T10:00:00Z',
  },
  {
    id: 'doc-004',
    title: 'Expense and travel policy',
    body: 'Book economy for flights under 6 hours. Submit receipts within 30 days; anything over USD 500 needs your manager’s approval before purchase.',
    updated_at: '2026-01-27T16:05:00Z',
  },
]);

export const CUSTOMERS: readonly Customer[] = deepFreeze([
  {
    id: '42',
    name: 'Acme Logistics',
    email: 'billing@acme-logistics.example',
    plan: 'enterprise',
    region: 'us-east',
  },
  {
    id: '7',
    name: 'Birchwood Dental Group',
    email: 'accounts@birchwood-dental.example',
    plan: 'pro',
    region: 'eu-west',
  },
  {
    id: '1001',
    name: 'Kestrel Robotics',
    email: 'finance@kestrel-robotics.example',
    plan: 'starter',
    region: 'ap-southeast',
  },
  {
    id: '256',
    name: 'Harbor & Pine Outfitters',
    email: 'ap@harborandpine.example',
    plan: 'pro',
    region: 'us-west',
  },
  {
    id: '314',
    name: 'Meridian Health Partners',
    email: 'procurement@meridian-health.example',
    plan: 'enterprise',
    region: 'eu-central',
  },
]);

export const BILLING: readonly BillingAccount[] = deepFreeze([
  {
    customer_id: '42',
    balance_cents: 1_250_000,
    currency: 'USD',
    invoices: [
      invoice('INV-2026-0412', 1_250_000, 'open', '2026-05-01', '2026-05-31'),
      invoice('INV-2026-0318', 1_250_000, 'paid', '2026-04-01', '2026-04-30'),
      invoice('INV-2026-0227', 1_180_000, 'paid', '2026-03-01', '2026-03-31'),
    ],
  },
  {
    customer_id: '7',
    balance_cents: 0,
    currency: 'EUR',
    invoices: [
      invoice('INV-2026-0407', 89_900, 'paid', '2026-05-01', '2026-05-31'),
      invoice('INV-2026-0301', 89_900, 'paid', '2026-04-01', '2026-04-30'),
    ],
  },
  {
    customer_id: '1001',
    balance_cents: 58_000,
    currency: 'SGD',
    invoices: [
      invoice('INV-2026-0398', 29_000, 'overdue', '2026-04-01', '2026-04-30'),
      invoice('INV-2026-0455', 29_000, 'open', '2026-05-01', '2026-05-31'),
    ],
  },
  {
    customer_id: '256',
    balance_cents: 0,
    currency: 'USD',
    invoices: [invoice('INV-2026-0420', 149_900, 'paid', '2026-05-01', '2026-05-31')],
  },
  {
    customer_id: '314',
    balance_cents: 2_400_000,
    currency: 'EUR',
    invoices: [
      invoice('INV-2026-0433', 2_400_000, 'open', '2026-05-01', '2026-06-15'),
      invoice('INV-2026-0350', 2_400_000, 'paid', '2026-04-01', '2026-05-15'),
    ],
  },
]);

export const METRICS: readonly Metric[] = deepFreeze([
  { name: 'q2_revenue_target', value: 4_200_000, unit: 'USD', period: '2026-Q2' },
  { name: 'q2_revenue_to_date', value: 2_870_000, unit: 'USD', period: '2026-Q2' },
  { name: 'q2_revenue_attainment', value: 68.3, unit: 'percent', period: '2026-Q2' },
  { name: 'active_customers', value: 1_284, unit: 'count', period: '2026-Q2' },
  { name: 'net_revenue_retention', value: 112, unit: 'percent', period: '2026-Q2' },
  { name: 'monthly_churn', value: 1.4, unit: 'percent', period: '2026-05' },
  { name: 'sev1_incidents', value: 1, unit: 'count', period: '2026-Q2' },
  { name: 'mean_time_to_restore', value: 42, unit: 'minutes', period: '2026-Q2' },
]);

function invoice(
  id: string,
  amount_cents: number,
  status: Invoice['status'],
  issued_on: string,
  due_on: string,
): Invoice {
  return { id, amount_cents, status, issued_on, due_on };
}
