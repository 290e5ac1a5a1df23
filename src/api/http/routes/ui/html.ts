// HTML built by a tagged template that escapes every value it is given: job names, app ids,
// data and error messages are the caller's, so nothing reaches a page unescaped unless it is
// itself Html (made by this template). The only way to mark text as markup is the template.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

/** Markup that is safe to insert as is: made only by `html` below. */
export class Html {
  private constructor(readonly markup: string) {}

  /** @internal the template's own constructor */
  static fromTemplate(markup: string): Html {
    return new Html(markup);
  }

  toString(): string {
    return this.markup;
  }
}

/** A value a template takes: text (escaped), numbers, Html, lists of those; nothing for null/undefined/false. */
export type HtmlValue = string | number | Html | undefined | null | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  return escapeHtml(String(value));
}

/**
 * html`<td>${name}</td>`: every interpolated value is escaped for both text and (quoted)
 * attribute context; attribute values must therefore always be written in double quotes.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return Html.fromTemplate(out);
}
