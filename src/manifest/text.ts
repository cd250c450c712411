import type { DiagnosticSink, Position } from './diagnostics.js';

/** Manifests are small; anything bigger is a mistake (or an attack) and is refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Flow collections nested deeper than this are refused before parsing: the yaml parser runs out of memory near 100,000. */
export const MAX_FLOW_DEPTH = 64;
/** Lines indented further are refused before parsing: the parser's stack overflows near 900 levels of block nesting. */
export const MAX_INDENT = 256;

/**
 * Turns the raw bytes of a manifest into text, or reports why it cannot be one:
 * too large, not UTF-8, contains NUL, empty. Returns null after reporting.
 */
export function decodeManifest(
  bytes: Uint8Array,
  sink: DiagnosticSink,
  fileSize = bytes.length,
): string | null {
  const start = { line: 1, col: 1 };
  if (bytes.length > MAX_MANIFEST_BYTES) {
    sink.error(
      'E_TOO_LARGE',
      start,
      '',
      fileSize > MAX_MANIFEST_BYTES
        ? `the file is ${formatMegabytes(fileSize)}; a manifest may be at most 1 MB`
        : 'the file is larger than 1 MB; a manifest may be at most 1 MB',
      'is this the right file? A manifest for hundreds of processes is well under 1 MB',
    );
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    sink.error(
      'E_NOT_TEXT',
      positionOfByte(bytes, offset),
      '',
      `not UTF-8 text: byte 0x${hex(bytes[offset] ?? 0)} at offset ${offset} is not valid UTF-8`,
      'save the manifest as UTF-8',
    );
    return null;
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    sink.error(
      'E_NOT_TEXT',
      positionOfChar(text, nul),
      '',
      'not a text file: it contains a NUL byte',
      'is this the right file? Save the manifest as UTF-8 text',
    );
    return null;
  }
  if (isBlank(text)) {
    sink.error(
      'E_EMPTY',
      start,
      '',
      text.trim() === '' ? 'the file is empty' : 'the file holds only comments',
      'a manifest needs at least `version: 1`, `service: { name: ... }` and `processes:`',
    );
    return null;
  }
  const indented = firstOverIndented(text);
  if (indented !== -1) {
    sink.error(
      'E_TOO_DEEP',
      positionOfChar(text, indented),
      '',
      `this line is indented more than ${MAX_INDENT} columns`,
      'a manifest never needs more than a few levels; is this the right file?',
    );
    return null;
  }
  const deep = firstTooDeepFlow(text);
  if (deep !== -1) {
    sink.error(
      'E_TOO_DEEP',
      positionOfChar(text, deep),
      '',
      `brackets are nested more than ${MAX_FLOW_DEPTH} levels deep`,
      'a manifest never needs more than a few levels; is this the right file?',
    );
    return null;
  }
  return text;
}

function isBlank(text: string): boolean {
  // Any YAML line break: `.` stops at \r, so a CRLF comment line would not look blank otherwise.
  return text.split(/\r\n|\r|\n/).every((line) => /^\s*(#.*)?$/.test(line));
}

/** Index of the first line indented more than MAX_INDENT columns; -1 when none. */
function firstOverIndented(text: string): number {
  const m = new RegExp(`(^|\\n)( {${MAX_INDENT + 1}})`).exec(text);
  return m === null ? -1 : m.index + (m[1] ?? '').length;
}

/** Index of the first `[` or `{` beyond MAX_FLOW_DEPTH, outside quotes and comments; -1 when none. */
function firstTooDeepFlow(text: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote || c === '\n') quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}

/** Index of the first byte that does not belong to a well-formed UTF-8 sequence (0 when none is found). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf
        ? 2
        : lead >= 0xe0 && lead <= 0xef
          ? 3
          : lead >= 0xf0 && lead <= 0xf4
            ? 4
            : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1] ?? 0;
    const overlongOrSurrogate =
      (lead === 0xe0 && second < 0xa0) ||
      (lead === 0xed && second >= 0xa0) ||
      (lead === 0xf0 && second < 0x90) ||
      (lead === 0xf4 && second >= 0x90);
    if (overlongOrSurrogate) return i;
    i += length;
  }
  return 0;
}

function positionOfByte(bytes: Uint8Array, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Columns count characters, as positionOfChar does; the bytes before offset are valid UTF-8,
  // and a BOM (kept out of the text) is not a column.
  const before = new TextDecoder('utf-8', { ignoreBOM: lineStart !== 0 }).decode(
    bytes.subarray(lineStart, offset),
  );
  return { line, col: before.length + 1 };
}

export function positionOfChar(text: string, index: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: index - lineStart + 1 };
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
