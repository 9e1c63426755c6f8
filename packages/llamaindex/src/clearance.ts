// The clearance scale: ordered labels, matched case- and separator-insensitively.

import { AuthSecConfigError } from '@authsec/core';

/**
 * The default clearance levels, lowest first.
 * @example
 * ```ts
 * new ClearanceScale([...DEFAULT_CLEARANCE_LEVELS, 'cosmic']); // one level above top_secret
 * ```
 */
export const DEFAULT_CLEARANCE_LEVELS = Object.freeze([
  'public',
  'internal',
  'confidential',
  'secret',
  'top_secret',
] as const);

/**
 * The comparable form of a clearance label: lower case, without spaces, `_`, `-` or `.`, so
 * `TopSecret`, `top_secret` and `Top-Secret` are the same level.
 * @param label - a clearance label as found in a record or passed by a caller
 * @returns the normalised label (empty for a blank label)
 * @example
 * ```ts
 * normalizeClearance('TopSecret'); // 'topsecret'
 * ```
 */
export function normalizeClearance(label: string): string {
  return label.toLowerCase().replace(/[\s_.-]+/g, '');
}

/**
 * An ordered clearance scale: a caller cleared for a level may see that level and every level below.
 *
 * @example
 * ```ts
 * const scale = new ClearanceScale();                  // public < internal < confidential < secret < top_secret
 * scale.allows('confidential', 'TopSecret');           // false
 * scale.allows('secret', 'internal');                  // true
 * new ClearanceScale(['green', 'amber', 'red']);       // a custom order
 * ```
 */
export class ClearanceScale {
  /** The levels as given, lowest first. */
  readonly levels: readonly string[];
  readonly #ranks: ReadonlyMap<string, number>;

  /**
   * Builds a scale from labels, lowest first.
   * @param levels - the labels, lowest first
   * @throws AuthSecConfigError when the list is empty, or two labels normalise to the same level
   */
  constructor(levels: readonly string[] = DEFAULT_CLEARANCE_LEVELS) {
    if (!Array.isArray(levels) || levels.length === 0) {
      throw AuthSecConfigError.fromProblems([
        'a clearance scale needs at least one level: pass the labels, lowest first',
      ]);
    }
    const ranks = new Map<string, number>();
    levels.forEach((level, rank) => {
      const key = typeof level === 'string' ? normalizeClearance(level) : '';
      if (typeof level !== 'string' || key === '') {
        throw AuthSecConfigError.fromProblems([
          `clearance level ${rank} is blank: every level needs a label`,
        ]);
      }
      if (ranks.has(key)) {
        throw AuthSecConfigError.fromProblems([
          `the clearance level "${level}" appears twice in the scale (labels match case- and separator-insensitively)`,
        ]);
      }
      ranks.set(key, rank);
    });
    this.levels = Object.freeze([...levels]);
    this.#ranks = ranks;
  }

  /**
   * The position of a label on the scale (0 is the lowest).
   * @param label - any value; only strings can match
   * @returns the rank, or `undefined` for a missing or unknown label
   */
  rank(label: unknown): number | undefined {
    if (typeof label !== 'string') return undefined;
    return this.#ranks.get(normalizeClearance(label));
  }

  /**
   * Whether a caller cleared for `clearance` may see something labelled `required`.
   * @param clearance - the caller's level (must be on the scale)
   * @param required - the label of the node or record; missing or unknown labels are denied
   * @returns true when `required` is on the scale at or below `clearance`
   * @throws AuthSecConfigError when `clearance` is not on the scale (a caller's level must be known)
   */
  allows(clearance: string, required: unknown): boolean {
    const callerRank = this.#callerRank(clearance);
    const requiredRank = this.rank(required);
    return requiredRank !== undefined && requiredRank <= callerRank;
  }

  /** Every level, normalised, lowest first. */
  get normalizedLevels(): string[] {
    return [...this.#ranks.keys()];
  }

  /**
   * The normalised labels a caller cleared for `clearance` may see, for metadata filters.
   * @param clearance - the caller's level (must be on the scale)
   * @returns the normalised labels from the lowest up to `clearance`
   * @throws AuthSecConfigError when `clearance` is not on the scale
   */
  normalizedLevelsUpTo(clearance: string): string[] {
    const callerRank = this.#callerRank(clearance);
    return [...this.#ranks].filter(([, rank]) => rank <= callerRank).map(([key]) => key);
  }

  #callerRank(clearance: string): number {
    const rank = this.rank(clearance);
    if (rank === undefined) {
      throw AuthSecConfigError.fromProblems([
        `the caller clearance "${String(clearance).slice(0, 40)}" is not on the scale (${this.levels.join(' < ')}): pass one of its levels, or a custom \`scale\``,
      ]);
    }
    return rank;
  }
}
