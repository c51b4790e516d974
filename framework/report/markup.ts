/**
 * HTML escaped by default: `html` is a tagged template whose interpolations are escaped unless they
 * are markup themselves (another `html` template, or text the caller vouches for through `raw`), so
 * that nothing a run recorded (labels, file names, model replies) reaches the page as markup.
 */

/** A piece of markup, safe to put in a page as it is. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template takes: markup as it is, text and numbers escaped, lists joined, nothing for null, undefined and false. */
export type Value = Markup | string | number | boolean | null | undefined | readonly Value[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for an element's content or a quoted attribute. */
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function render(value: Value): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return (value as readonly Value[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return esc(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Markup(out);
}

/** Text put in as it is: only for what twentyq made itself (the page's compiled script, JSON made safe for a script element). */
export function raw(text: string): Markup {
  return new Markup(text);
}

/** JSON inside a <script> element: "<" written as \u003c so that no "</script>" in the data ends the element. */
export function scriptJson(value: unknown): Markup {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c'));
}
