// The Standard Schema v1 interface (standardschema.dev), copied as the spec intends: zod 3.25+/4, valibot and arktype implement it.

/**
 * A schema any Standard Schema v1 library produces (zod 3.25+/4, valibot, arktype …), or a
 * hand-written object with a `~standard` property.
 * @example
 * ```ts
 * const id: StandardSchemaV1<unknown, number> = {
 *   '~standard': {
 *     version: 1,
 *     vendor: 'example',
 *     validate: (value) =>
 *       typeof value === 'number' ? { value } : { issues: [{ message: 'not a number' }] },
 *   },
 * };
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  /** The `~standard` property. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** What `validate` answers. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output'];
}
