// One copy of each namespace and app id among the rows a store reads. Every row read gives its
// key columns as new strings, so 25,000 jobs of one app adopted by a refill held 50,000 copies of
// "default" and the app's id: heap the held jobs need, and objects each major collection marks
// (docs/sizing.md, a job held in memory). Namespaces and app ids are few; a hostile caller making
// many of them only empties the table sooner.

/** Most strings kept; past it the table starts again (a copy or two per job costs only memory). */
const MAX_STRINGS = 4_096;

export class SharedStrings {
  private readonly table = new Map<string, string>();

  /** The copy of `text` this table keeps (text itself when it is the first). */
  of(text: string): string {
    const kept = this.table.get(text);
    if (kept !== undefined) return kept;
    if (this.table.size >= MAX_STRINGS) this.table.clear();
    this.table.set(text, text);
    return text;
  }
}
