// The secure vault: seeded records with clearance labels, new records, and cursor paging.

/** Clearance labels, lowest first; `TopSecret` is spelled as the AuthSec blog's record spells it. */
export const CLEARANCES = ['public', 'internal', 'confidential', 'secret', 'TopSecret'] as const;

/** A clearance label. */
export type Clearance = (typeof CLEARANCES)[number];

/** A record in the secure vault. */
export interface VaultRecord {
  readonly id: string;
  readonly title: string;
  readonly content: string;
  /** The team or agent that owns the record. */
  readonly owner: string;
  readonly clearance: Clearance;
  readonly updated_at: string;
}

/** One page of {@link RecordStore.page}. */
export interface RecordPage {
  readonly data: readonly VaultRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly next_cursor: string | null;
  /** The next page as a relative link; null on the last page. */
  readonly next: string | null;
}

export const PAGE_PATH = '/secure-vault/records/page';
export const DEFAULT_PAGE_LIMIT = 10;
export const MAX_PAGE_LIMIT = 100;

/** A request the vault refuses; `reason` is safe to answer. */
export class VaultInputError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'VaultInputError';
  }
}

const CURRENT: readonly VaultRecord[] = [
  record(
    1,
    'Q2 revenue target',
    'The board approved a Q2 2026 revenue target of USD 4.2M, 18% above Q1, carried mainly by enterprise renewals in us-east and eu-central.',
    'finance',
    'TopSecret',
    '2026-05-14T09:30:00Z',
  ),
  record(
    2,
    'Incident report: delayed invoice emails',
    'On 2026-05-06 a stuck queue consumer delayed 3,912 invoice emails by up to 4 hours. Root cause: an expired broker certificate. Fix: automated renewal and an alert 14 days before expiry.',
    'sre',
    'confidential',
    '2026-05-08T17:05:00Z',
  ),
  record(
    3,
    'Product roadmap, second half of 2026',
    'H2 priorities: agent audit trails in the dashboard, regional data residency for the EU, and usage-based pricing for the starter plan. Self-serve SSO slips to 2027.',
    'product',
    'secret',
    '2026-05-02T11:00:00Z',
  ),
  record(
    4,
    'Customer churn analysis, April',
    'Monthly churn fell to 1.4%. Most cancellations were starter accounts that never connected a second data source; onboarding emails are being rewritten.',
    'analytics',
    'internal',
    '2026-05-05T13:20:00Z',
  ),
  record(
    5,
    'Security review: delegated tokens for AI agents',
    'Agents now pull short-lived AuthSec delegation tokens instead of API keys. Every API checks the exact action it needs; revoked tokens are refused within seconds.',
    'security',
    'confidential',
    '2026-04-29T15:45:00Z',
  ),
  record(
    6,
    'Pricing page copy, Q2',
    'Starter: USD 290 a month. Pro: USD 1,499 a month. Enterprise: talk to us. All plans include SOC 2 reports and a 99.9% uptime commitment.',
    'marketing',
    'public',
    '2026-04-18T10:10:00Z',
  ),
];

const ARCHIVE_TOPICS: readonly (readonly [string, string, Clearance])[] = [
  ['Board minutes, March', 'finance', 'secret'],
  ['Vendor assessment: payment processor', 'security', 'confidential'],
  ['Support backlog review', 'support', 'internal'],
  ['Data center exit plan', 'sre', 'secret'],
  ['Hiring plan, engineering', 'people', 'confidential'],
  ['Release notes 4.12', 'product', 'public'],
  ['Penetration test findings', 'security', 'TopSecret'],
  ['Partner programme terms', 'sales', 'internal'],
  ['Q1 revenue close', 'finance', 'confidential'],
  ['Capacity forecast', 'sre', 'internal'],
  ['Acquisition shortlist', 'corp-dev', 'TopSecret'],
  ['Customer advisory board notes', 'product', 'internal'],
  ['Disaster recovery drill report', 'sre', 'confidential'],
  ['Brand guidelines', 'marketing', 'public'],
  ['Legal hold: contract dispute', 'legal', 'secret'],
  ['Accessibility audit', 'design', 'internal'],
  ['Security awareness training results', 'security', 'internal'],
  ['Price increase communication plan', 'marketing', 'confidential'],
  ['Annual SOC 2 report summary', 'compliance', 'public'],
];

// Nineteen older records, so the paged listing has several pages: dated one week apart, newest first.
const ARCHIVE: readonly VaultRecord[] = ARCHIVE_TOPICS.map(([title, owner, clearance], i) =>
  record(
    CURRENT.length + 1 + i,
    title,
    `${title}: archived summary prepared by ${owner}. Kept for reference; ask the owner before sharing.`,
    owner,
    clearance,
    new Date(Date.UTC(2026, 3, 10) - i * 7 * 86_400_000).toISOString().replace('.000Z', 'Z'),
  ),
);

function record(
  n: number,
  title: string,
  content: string,
  owner: string,
  clearance: Clearance,
  updatedAt: string,
): VaultRecord {
  return Object.freeze({
    id: `rec-${String(n).padStart(4, '0')}`,
    title,
    content,
    owner,
    clearance,
    updated_at: updatedAt,
  });
}

/** What a client may send to create a record. */
export interface NewRecordInput {
  readonly title: string;
  readonly content: string;
  readonly clearance: Clearance;
}

const INPUT_FIELDS = new Set(['title', 'content', 'clearance']);
const MAX_TITLE_LENGTH = 200;
const MAX_CONTENT_LENGTH = 20_000;

/**
 * Checks a `POST /secure-vault/records` body.
 * @returns the input, clearance defaulting to `internal`
 * @throws VaultInputError naming every problem
 */
export function parseNewRecord(body: unknown): NewRecordInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new VaultInputError('the body must be a JSON object with title and content');
  }
  const input = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of Object.keys(input)) {
    if (!INPUT_FIELDS.has(name)) problems.push(`unknown field "${name.slice(0, 40)}"`);
  }
  const title = checkText(input.title, 'title', MAX_TITLE_LENGTH, problems);
  const content = checkText(input.content, 'content', MAX_CONTENT_LENGTH, problems);
  let clearance: Clearance = 'internal';
  if (input.clearance !== undefined) {
    if (CLEARANCES.includes(input.clearance as Clearance)) clearance = input.clearance as Clearance;
    else problems.push(`clearance must be one of ${CLEARANCES.join(', ')}`);
  }
  if (problems.length > 0) throw new VaultInputError(problems.join('; '));
  return { title: title as string, content: content as string, clearance };
}

function checkText(
  value: unknown,
  name: string,
  maxLength: number,
  problems: string[],
): string | undefined {
  if (value === undefined) problems.push(`${name} is required`);
  else if (typeof value !== 'string') problems.push(`${name} must be a string`);
  else if (value.trim() === '') problems.push(`${name} must not be blank`);
  else if (value.length > maxLength)
    problems.push(`${name} is longer than ${maxLength} characters`);
  else return value.trim();
  return undefined;
}

/**
 * Reads a `limit` query value.
 * @throws VaultInputError unless it is a whole number from 1 to {@link MAX_PAGE_LIMIT}
 */
export function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new VaultInputError(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

// A cursor is opaque to clients: the id of the last record handed out, base64url-encoded.
function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const after = (value as { after?: unknown } | null)?.after;
    return typeof after === 'string' ? after : undefined;
  } catch {
    return undefined;
  }
}

/** The vault of one server: the seeded records plus those created through the API. */
export class RecordStore {
  readonly #created: VaultRecord[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The current records (the six seeded ones, then those created), as `GET /secure-vault/records` lists them. */
  current(): readonly VaultRecord[] {
    return [...CURRENT, ...this.#created];
  }

  /** Every record: current, archived, created, in id order. */
  all(): readonly VaultRecord[] {
    return [...CURRENT, ...ARCHIVE, ...this.#created];
  }

  /** Stores a new record owned by `owner`. */
  create(input: NewRecordInput, owner: string): VaultRecord {
    const created = record(
      1001 + this.#created.length,
      input.title,
      input.content,
      owner,
      input.clearance,
      new Date(this.#now()).toISOString(),
    );
    this.#created.push(created);
    return created;
  }

  /**
   * One page of {@link all}, after the record a cursor names. Records are only ever appended,
   * so a cursor stays valid while records are created.
   * @throws VaultInputError for a cursor this store did not hand out
   */
  page(limit: number, cursor: string | null): RecordPage {
    const records = this.all();
    let start = 0;
    if (cursor !== null) {
      const after = decodeCursor(cursor);
      const index = after === undefined ? -1 : records.findIndex((r) => r.id === after);
      if (index < 0) throw new VaultInputError('cursor is not one this API handed out');
      start = index + 1;
    }
    const data = records.slice(start, start + limit);
    const last = data.at(-1);
    const more = start + limit < records.length;
    const nextCursor = more && last ? encodeCursor(last.id) : null;
    return {
      data,
      next_cursor: nextCursor,
      next:
        nextCursor === null
          ? null
          : `${PAGE_PATH}?${new URLSearchParams({ limit: String(limit), cursor: nextCursor })}`,
    };
  }
}
