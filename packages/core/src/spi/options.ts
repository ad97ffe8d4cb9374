/**
 * Option schemas: how a plugin declares the options of its oslo.config group (for example
 * `[oslo_messaging_rabbit]`) so core can resolve them from config files, code and URL query strings.
 */

/** The value types oslo.config knows that this library uses. */
export type OptionType = 'string' | 'int' | 'float' | 'bool' | 'list' | 'dict';

interface OptionValueMap {
  string: string;
  int: number;
  float: number;
  bool: boolean;
  list: string[];
  dict: Record<string, string>;
}

/** One option: oslo's type, default, help text and constraints. */
export interface OptionSpec<T extends OptionType = OptionType> {
  /** The value type; strings from URLs and config files are converted to it. */
  readonly type: T;
  /** Default value; `null` for "unset" (oslo's `None`). */
  readonly default: OptionValueMap[T] | null;
  /** What the option does (shown by the CLI's option listing). */
  readonly help: string;
  /** Smallest accepted value (`int`, `float`). */
  readonly min?: number;
  /** Largest accepted value (`int`, `float`). */
  readonly max?: number;
  /** The only accepted values (`string`). */
  readonly choices?: readonly string[];
  /** Older oslo names still accepted for this option. */
  readonly deprecatedNames?: readonly string[];
  /** Never print the value (passwords). */
  readonly secret?: boolean;
}

/** A group's options, keyed by oslo's snake_case option name. */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** The resolved values of a schema, keyed like the schema. */
export type ResolvedOptions<S extends OptionSchema> = {
  -readonly [K in keyof S]: S[K] extends OptionSpec<infer T>
    ? S[K]['default'] extends null
      ? OptionValueMap[T] | null
      : OptionValueMap[T]
    : never;
};

/** Declares a schema with its literal types kept (a typed identity function). */
export function defineOptions<const S extends OptionSchema>(schema: S): S {
  return schema;
}
