// YAML text from plain data, for the generated manifests. Block style; a string is written plain only
// when it is a simple word or path (letters first, no YAML syntax, no word that YAML 1.1 readers such
// as kubectl's take for a boolean or null), otherwise double-quoted with JSON's escapes, which YAML's
// double-quoted scalars share: no value is read back as another type ("on", "0755", "1e3") or as
// YAML syntax. Pure; a few dozen lines instead of a runtime dependency.

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

const PLAIN = /^[A-Za-z/][A-Za-z0-9_./-]*$/;
// Words YAML 1.1 reads as booleans or null.
const RESERVED = /^(y|n|yes|no|on|off|true|false|null)$/i;

function text(value: string): string {
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

/** The one-line form of a value, or undefined when it needs a block of its own. */
function inline(value: YamlValue): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return text(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`YAML from plain data: ${value} is not a finite number`);
    return String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  return Object.keys(value).length === 0 ? '{}' : undefined;
}

function block(value: YamlValue): string[] {
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value as readonly YamlValue[]) {
      const one = inline(item);
      if (one !== undefined) {
        lines.push(`- ${one}`);
        continue;
      }
      const [first, ...rest] = block(item);
      lines.push(`- ${first}`, ...rest.map((line) => `  ${line}`));
    }
    return lines;
  }
  for (const [name, item] of Object.entries(value as { readonly [key: string]: YamlValue })) {
    const one = inline(item);
    if (one !== undefined) lines.push(`${text(name)}: ${one}`);
    else lines.push(`${text(name)}:`, ...block(item).map((line) => `  ${line}`));
  }
  return lines;
}

/** One YAML document (no `---`) for a mapping or a sequence, ending in a newline. */
export function toYaml(value: YamlValue): string {
  const one = inline(value);
  return `${one ?? block(value).join('\n')}\n`;
}

/** Comment lines for the text before a document; every line of `text` gets its own `#`. */
export function yamlComment(text: string): string {
  return text.split('\n').map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
}
