/**
 * Recorded predictions, the input of `ensemble eval`: one record per (item, model), loaded from
 * a wide CSV (one row per item, one column per model, the layout of the MMLU-Pro predictions file)
 * or from long-form JSONL. Loaders are strict: bad input fails with the file, the line, the field
 * and what was expected.
 */
import fs from 'node:fs';
import { RESERVED_NAME } from '../../protocol/safeName';

/** One member's recorded answer to one item. `prediction: null` is an abstention. */
export interface Recording {
  item: string;
  model: string;
  prediction: string | null;
  /** The model's confidence in `prediction`, in [0, 1]. */
  confidence?: number;
  /** A probability per label (labels absent have probability 0). */
  probabilities?: Record<string, number>;
  gold?: string;
  category?: string;
  /** The input text (what the router reads); optional. */
  text?: string;
}

export class RecordingsError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    detail: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${field !== null ? ` (field "${field}")` : ''}: ${detail}`);
    this.name = 'RecordingsError';
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 4180 CSV

export interface CsvRow {
  /** 1-based line number where the record starts. */
  line: number;
  cells: string[];
}

/**
 * Parses RFC 4180 CSV: fields separated by commas, records by CRLF or LF (a lone CR too), fields
 * optionally enclosed in double quotes, in which commas, line breaks and doubled quotes (`""`) are
 * literal. A UTF-8 BOM is ignored; a final line break does not make an empty record; blank lines are
 * skipped. A quote inside an unquoted field, text after a closing quote, or an unterminated quoted
 * field is an error.
 */
export function parseCsv(text: string, file = '<csv>'): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let cells: string[] = [];
  let field = '';
  let rowLine = 1;
  let quoted = false; // the current field was quoted (and closed)
  let any = false; // the current record has seen a character
  const endField = () => {
    cells.push(field);
    field = '';
    quoted = false;
  };
  const endRow = () => {
    endField();
    if (any) rows.push({ line: rowLine, cells });
    cells = [];
    any = false;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (!any) rowLine = line;
    if (ch === '"') {
      if (field.length > 0 || quoted) {
        throw new RecordingsError(
          file,
          line,
          `column ${cells.length + 1}`,
          'unexpected double quote inside a field (quote the whole field and double inner quotes)',
        );
      }
      any = true;
      const startLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new RecordingsError(file, startLine, `column ${cells.length + 1}`, 'quoted field is never closed');
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
        i++;
      }
      quoted = true;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new RecordingsError(
          file,
          line,
          `column ${cells.length + 1}`,
          `expected a comma or a line break after a closing quote, found ${JSON.stringify(next)}`,
        );
      }
      continue;
    }
    if (ch === ',') {
      any = true;
      endField();
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      endRow();
      line++;
      continue;
    }
    any = true;
    field += ch;
    i++;
  }
  if (any || field.length > 0 || cells.length > 0) endRow();
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Wide CSV

export interface WideCsvOptions {
  /** Gold label column; default `answer`, else `gold` if present. */
  gold?: string;
  /** Category column; default `category` when present. */
  categoryColumn?: string;
  /** Item id column; default `question_id`, else `id`, else `item`. */
  idColumn?: string;
  /** Model columns; default every column that is not id, gold, category or `n_options`. */
  models?: string[];
  /** Cell value meaning "this model has no record for this item" (default `NA`). */
  absent?: string;
}

const NON_MODEL_COLUMNS = new Set(['question_id', 'id', 'item', 'category', 'n_options', 'answer', 'gold', 'label']);

export function loadWideCsv(text: string, file: string, opts: WideCsvOptions = {}): Recording[] {
  const rows = parseCsv(text, file);
  const header = rows[0];
  if (!header) throw new RecordingsError(file, 1, null, 'expected a header row, the file is empty');
  const cols = header.cells.map((c) => c.trim());
  const index = new Map<string, number>();
  cols.forEach((c, j) => {
    if (index.has(c)) throw new RecordingsError(file, header.line, c, 'duplicate column name in the header');
    index.set(c, j);
  });
  const pick = (wanted: string | undefined, fallbacks: string[], what: string, required: boolean): number | null => {
    if (wanted !== undefined) {
      const j = index.get(wanted);
      if (j === undefined)
        throw new RecordingsError(file, header.line, wanted, `no such ${what} column; the header has: ${cols.join(', ')}`);
      return j;
    }
    for (const f of fallbacks) if (index.has(f)) return index.get(f)!;
    if (required) throw new RecordingsError(file, header.line, null, `no ${what} column (expected one of ${fallbacks.join(', ')})`);
    return null;
  };
  const idCol = pick(opts.idColumn, ['question_id', 'id', 'item'], 'item id', true)!;
  const goldCol = pick(opts.gold, ['answer', 'gold', 'label'], 'gold', false);
  const catCol = pick(opts.categoryColumn, ['category'], 'category', false);
  const reserved = new Set([idCol, goldCol, catCol]);
  let modelCols: Array<[string, number]>;
  if (opts.models && opts.models.length > 0) {
    modelCols = opts.models.map((m) => {
      const j = index.get(m);
      if (j === undefined)
        throw new RecordingsError(
          file,
          header.line,
          m,
          `no such model column; model columns are: ${cols.filter((c, k) => !reserved.has(k) && !NON_MODEL_COLUMNS.has(c)).join(', ')}`,
        );
      return [m, j];
    });
  } else {
    modelCols = cols.map((c, j) => [c, j] as [string, number]).filter(([c, j]) => !reserved.has(j) && !NON_MODEL_COLUMNS.has(c));
  }
  if (modelCols.length === 0) throw new RecordingsError(file, header.line, null, 'no model columns found');
  const absent = opts.absent ?? 'NA';
  const out: Recording[] = [];
  const seen = new Set<string>();
  for (const row of rows.slice(1)) {
    if (row.cells.length !== cols.length) {
      throw new RecordingsError(file, row.line, null, `expected ${cols.length} fields as in the header, found ${row.cells.length}`);
    }
    const item = row.cells[idCol]!.trim();
    if (!item) throw new RecordingsError(file, row.line, cols[idCol]!, 'expected a non-empty item id');
    if (seen.has(item)) throw new RecordingsError(file, row.line, cols[idCol]!, `duplicate item id ${JSON.stringify(item)}`);
    seen.add(item);
    const goldCell = goldCol === null ? '' : row.cells[goldCol]!.trim();
    const gold = goldCell && goldCell !== absent ? goldCell : undefined;
    const category = catCol === null ? undefined : row.cells[catCol]!.trim() || undefined;
    for (const [model, j] of modelCols) {
      const cell = row.cells[j]!.trim();
      if (cell === absent) continue;
      const rec: Recording = { item, model, prediction: cell === '' ? null : cell };
      if (gold !== undefined) rec.gold = gold;
      if (category !== undefined) rec.category = category;
      out.push(rec);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Long-form JSONL

const describe = (v: unknown) =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? `the string ${JSON.stringify(v)}`
        : `${typeof v} ${JSON.stringify(v)}`;

/** `{item, model, prediction, confidence?, probabilities?, gold?, category?}` per line; blank lines skipped. */
export function loadJsonl(text: string, file: string): Recording[] {
  const out: Recording[] = [];
  const lines = text.split(/\r?\n/);
  const seen = new Set<string>();
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new RecordingsError(file, line, null, `expected one JSON object per line: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new RecordingsError(file, line, null, `expected a JSON object, found ${describe(v)}`);
    const o = v as Record<string, unknown>;
    const str = (f: string, required: boolean): string | undefined => {
      const x = o[f];
      if (x === undefined || (x === null && !required)) {
        if (required) throw new RecordingsError(file, line, f, 'is required (expected a non-empty string)');
        return undefined;
      }
      if (typeof x === 'number' && (f === 'item' || f === 'gold')) return String(x);
      if (typeof x !== 'string' || (required && x === ''))
        throw new RecordingsError(file, line, f, `expected a non-empty string, found ${describe(x)}`);
      return x;
    };
    const item = str('item', true)!;
    const model = str('model', true)!;
    if (!('prediction' in o))
      throw new RecordingsError(file, line, 'prediction', 'is required (expected a string, or null for an abstention)');
    const p = o.prediction;
    if (p !== null && typeof p !== 'string')
      throw new RecordingsError(file, line, 'prediction', `expected a string or null, found ${describe(p)}`);
    const key = `${item}\u0000${model}`;
    if (seen.has(key))
      throw new RecordingsError(file, line, 'item', `duplicate record for item ${JSON.stringify(item)} and model ${JSON.stringify(model)}`);
    seen.add(key);
    const rec: Recording = { item, model, prediction: p === '' ? null : p };
    if (o.confidence !== undefined && o.confidence !== null) {
      const c = o.confidence;
      if (typeof c !== 'number' || !Number.isFinite(c) || c < 0 || c > 1)
        throw new RecordingsError(file, line, 'confidence', `expected a number in [0, 1], found ${describe(c)}`);
      rec.confidence = c;
    }
    if (o.probabilities !== undefined && o.probabilities !== null) {
      const pr = o.probabilities;
      if (typeof pr !== 'object' || Array.isArray(pr))
        throw new RecordingsError(file, line, 'probabilities', `expected an object mapping label to probability, found ${describe(pr)}`);
      const probs: Record<string, number> = {};
      let sum = 0;
      for (const [label, x] of Object.entries(pr as Record<string, unknown>)) {
        if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1)
          throw new RecordingsError(file, line, `probabilities.${label}`, `expected a number in [0, 1], found ${describe(x)}`);
        // JSON.parse keeps a "__proto__" key, but assigning it here would set the prototype: refuse it by name.
        if (label === RESERVED_NAME)
          throw new RecordingsError(file, line, `probabilities.${label}`, `"${RESERVED_NAME}" is reserved (it cannot be a label)`);
        probs[label] = x;
        sum += x;
      }
      if (sum > 1 + 1e-3)
        throw new RecordingsError(
          file,
          line,
          'probabilities',
          `expected probabilities summing to at most 1, they sum to ${sum.toFixed(4)}`,
        );
      rec.probabilities = probs;
    }
    const gold = str('gold', false);
    if (gold !== undefined && gold !== '') rec.gold = gold;
    const category = str('category', false);
    if (category !== undefined && category !== '') rec.category = category;
    const inputText = str('text', false);
    if (inputText !== undefined && inputText !== '') rec.text = inputText;
    out.push(rec);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------

export type LoadOptions = WideCsvOptions;

/** Loads a `.csv` (wide) or `.jsonl` / `.ndjson` (long) file, by extension. */
export function loadRecordingsFile(file: string, opts: LoadOptions = {}): Recording[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new RecordingsError(file, null, null, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return loadWideCsv(text, file, opts);
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) {
    const recs = loadJsonl(text, file);
    return opts.models && opts.models.length > 0 ? recs.filter((r) => opts.models!.includes(r.model)) : recs;
  }
  throw new RecordingsError(file, null, null, 'expected a .csv (wide: one row per item) or .jsonl (one recording per line) file');
}

/** Reads a list of item ids: one per line, or a CSV whose first column (after a header) holds them. */
export function loadIdList(file: string): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new RecordingsError(file, null, null, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rows = parseCsv(text, file);
  const ids = new Set<string>();
  rows.forEach((r, k) => {
    const id = r.cells[0]!.trim();
    if (k === 0 && /^(question_id|id|item)$/i.test(id)) return;
    if (id) ids.add(id);
  });
  return ids;
}
