import { isMap, isScalar, visit, type Document, type LineCounter, type Node } from 'yaml';
import { ConfigError, type Place } from './errors.js';

/** Where in an experiment: keys and list indices from its top. */
export type Path = (string | number)[];

/** Places in the file, from a parsed YAML document that keeps source ranges. */
export class SourceMap {
  private readonly overridden: { path: Path; origin: string }[] = [];

  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  markOverride(path: Path, origin: string): void {
    this.overridden.push({ path, origin });
  }

  at(offset: number): Place {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** The --set that wrote a value at or above a path (inner) or below it (a map it created). */
  private override(path: Path, inner: boolean): string | undefined {
    const within = (outer: Path, p: Path) => outer.length <= p.length && outer.every((k, i) => String(k) === String(p[i]));
    // The last --set that reached the path is the one whose value is there.
    return this.overridden.findLast((o) => (inner ? within(path, o.path) : within(o.path, path)))?.origin;
  }

  /** The --set that wrote the value at a path (or a map or list above it), if one did. */
  setBy(path: Path): string | undefined {
    return this.override(path, false);
  }

  /** The place of the value at a path, or of its nearest ancestor that is in the file. */
  place(path: Path): Place {
    const set = this.override(path, false);
    if (set) return { ...this.at(0), origin: set };
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true)) as Node | undefined;
      if (node?.range) return this.at(node.range[0]);
      const origin = node ? this.override(path.slice(0, n), true) : undefined;
      if (origin) return { ...this.at(0), origin };
    }
    return this.at(0);
  }

  /** The place of a key within the map at a path (for unknown fields). */
  keyPlace(path: Path, key: string): Place {
    const map = this.doc.getIn(path, true) ?? (path.length === 0 ? this.doc.contents : undefined);
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const range = (pair?.key as Node | undefined)?.range;
      if (range) return this.at(range[0]);
    }
    return this.place([...path, key]);
  }
}

/** The first column of a line that is not indentation: YAML places an indentation error at the line's start. */
export function skipIndent(text: string, offset: number): number {
  let at = offset;
  while (text[at] === ' ' || text[at] === '\t') at++;
  return text[at] === '\n' || at >= text.length ? offset : at;
}

/**
 * The document as plain data. yaml refuses to expand aliases into a huge document (a "billion laughs")
 * with a ReferenceError that names no place: it is reported at the first alias.
 */
export function toData(doc: Document.Parsed, source: SourceMap): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let first: Node | undefined;
    visit(doc, { Alias: (_, node) => ((first = node as Node), visit.BREAK) });
    const place = first?.range ? source.at(first.range[0]) : source.place([]);
    throw new ConfigError([{ ...place, path: '', message: 'YAML aliases here expand to too many copies of their anchors (a "billion laughs" file); write the values out, or use fewer aliases' }]);
  }
}
