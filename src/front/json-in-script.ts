// JSON that can sit inside <script type="application/json"> whatever the values hold: nothing in it
// can close the tag, open a comment or end a line in old parsers. Pure.

const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

export function jsonForScript(value: unknown): string {
  return JSON.stringify(value ?? null).replace(UNSAFE, (ch) => ESCAPES[ch]!);
}
