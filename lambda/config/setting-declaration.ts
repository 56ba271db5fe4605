/**
 * A setting of a configuration document (the Lambda's service settings, the CDK context),
 * declared once: the parser takes its default, range and values from here, and the docs'
 * configuration reference is made from it (npm run docs).
 */
export interface SettingDeclaration {
  type: 'integer' | 'boolean' | 'string' | 'object' | 'list';
  /** The value used when the setting is absent. */
  default?: string | number | boolean | readonly string[];
  /** The default in words, when no single value says it. */
  defaultText?: string;
  required?: true;
  /** Whole numbers accepted; the default lies within. */
  range?: { min: number; max: number };
  /** The values accepted, when they are few. */
  values?: readonly (string | number)[];
  /** What it does (Markdown). */
  meaning: string;
}

/** The defaults of the settings that have one, typed as declared. */
export type DefaultsOf<T> = {
  -readonly [K in keyof T as T[K] extends { default: unknown } ? K : never]: T[K] extends {
    default: infer D;
  }
    ? D
    : never;
};

export function defaultsOf<T extends Record<string, SettingDeclaration>>(declarations: T): DefaultsOf<T> {
  return Object.fromEntries(
    Object.entries(declarations)
      .filter(([, declaration]) => declaration.default !== undefined)
      .map(([key, declaration]) => [key, declaration.default]),
  ) as DefaultsOf<T>;
}

const code = (value: unknown) =>
  `\`${(typeof value === 'string' ? value : JSON.stringify(value)).replace(/\|/g, '\\|')}\``;

/** A configuration reference: key, type, default, meaning. */
export function settingsAsMarkdown(declarations: Readonly<Record<string, SettingDeclaration>>): string {
  const rows = Object.entries(declarations).map(([key, declaration]) => {
    const type = declaration.values
      ? `one of ${declaration.values.map(code).join(', ')}`
      : declaration.range
        ? `${declaration.type}, ${declaration.range.min} to ${declaration.range.max}`
        : declaration.type;
    const fallback = declaration.required
      ? '(required)'
      : declaration.default !== undefined
        ? code(declaration.default)
        : (declaration.defaultText ?? 'none');
    return `| \`${key}\` | ${type} | ${fallback} | ${declaration.meaning} |`;
  });
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
