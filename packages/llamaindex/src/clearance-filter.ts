// Retrieval-time clearance checks: a node postprocessor and a metadata-filter helper.

import type { BaseNodePostprocessor } from '@llamaindex/core/postprocessor';
import type { NodeWithScore } from '@llamaindex/core/schema';
import type { MetadataFilters } from '@llamaindex/core/vector-store';
import { ClearanceScale } from './clearance.js';
import { CLEARANCE_KEY_METADATA_KEY, CLEARANCE_METADATA_KEY } from './metadata-keys.js';

/**
 * Options for {@link AuthSecClearancePostprocessor} and {@link clearanceFilters}.
 * @example
 * ```ts
 * const options: ClearanceFilterOptions = { clearance: 'amber', scale: ['green', 'amber', 'red'] };
 * ```
 */
export interface ClearanceFilterOptions {
  /** The caller's clearance: nodes labelled above it are dropped. Must be on the scale. */
  clearance: string;
  /** The order of levels. @default new ClearanceScale() (public < internal < confidential < secret < top_secret) */
  scale?: ClearanceScale | readonly string[];
  /** Keep nodes with no clearance label, or one not on the scale. @default false */
  allowUnlabeled?: boolean;
}

function scaleOf(scale: ClearanceFilterOptions['scale']): ClearanceScale {
  return scale instanceof ClearanceScale ? scale : new ClearanceScale(scale);
}

/**
 * A node postprocessor that drops retrieved nodes labelled above the caller's clearance (and, unless
 * `allowUnlabeled`, nodes with no or an unknown label). It reads `clearance_required`, as stamped
 * by {@link AuthSecReader}.
 *
 * @example
 * ```ts
 * const engine = index.asQueryEngine({
 *   nodePostprocessors: [new AuthSecClearancePostprocessor({ clearance: 'confidential' })],
 * });
 * ```
 */
export class AuthSecClearancePostprocessor implements BaseNodePostprocessor {
  /** The caller's clearance. */
  readonly clearance: string;
  readonly scale: ClearanceScale;
  readonly allowUnlabeled: boolean;

  /**
   * Builds the postprocessor for one caller's clearance.
   * @param options - the caller's clearance, the scale, whether unlabeled nodes pass
   * @throws AuthSecConfigError when `clearance` is not on the scale
   */
  constructor(options: ClearanceFilterOptions) {
    this.scale = scaleOf(options.scale);
    this.allowUnlabeled = options.allowUnlabeled ?? false;
    // Fails now, not at the first query, when the caller's clearance is not on the scale.
    this.scale.normalizedLevelsUpTo(options.clearance);
    this.clearance = options.clearance;
  }

  /**
   * Whether a node's metadata passes the caller's clearance.
   * @param metadata - a node's metadata
   * @returns true when the node may be shown to the caller
   */
  allows(metadata: Readonly<Record<string, unknown>>): boolean {
    const label = metadata[CLEARANCE_METADATA_KEY];
    if (this.scale.rank(label) === undefined) return this.allowUnlabeled;
    return this.scale.allows(this.clearance, label);
  }

  /**
   * Keeps the nodes the caller is cleared for, in their order.
   * @param nodes - retrieved nodes with scores
   * @returns the nodes that pass
   */
  async postprocessNodes(nodes: NodeWithScore[]): Promise<NodeWithScore[]> {
    return nodes.filter(({ node }) => this.allows(node.metadata));
  }
}

/**
 * Metadata filters for a retriever, so the vector store itself never returns nodes above the
 * caller's clearance. They match `clearance_key` (the normalised label the reader stamps), so
 * `TopSecret` and `top_secret` are one level.
 * @param options - the caller's clearance, the scale, whether unlabeled nodes pass
 * @returns `MetadataFilters` for `index.asRetriever({ filters })` or `asQueryEngine({ preFilters })`
 * @throws AuthSecConfigError when `clearance` is not on the scale
 * @example
 * ```ts
 * const retriever = index.asRetriever({ filters: clearanceFilters({ clearance: 'confidential' }) });
 * ```
 */
export function clearanceFilters(options: ClearanceFilterOptions): MetadataFilters {
  const scale = scaleOf(options.scale);
  const allowed = scale.normalizedLevelsUpTo(options.clearance);
  const cleared = { key: CLEARANCE_KEY_METADATA_KEY, operator: 'in', value: allowed } as const;
  if (!options.allowUnlabeled) return { filters: [cleared] };
  return {
    filters: [
      cleared,
      // No label, or a label that is not on the scale: the same rule as the postprocessor.
      { key: CLEARANCE_KEY_METADATA_KEY, operator: 'is_empty' },
      { key: CLEARANCE_KEY_METADATA_KEY, operator: 'nin', value: scale.normalizedLevels },
    ],
    condition: 'or',
  };
}
