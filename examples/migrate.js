// corral demo — migrate: a one-shot init task. It creates the key-value data file that
// examples/db.js serves, or brings an older one up to the current format, then exits 0.
// Running it again is safe: an up-to-date file is left as it is.
//
// Environment:
//   DATA_DIR   folder for the data file (default: examples/data, next to this script;
//              a relative path is taken from the current folder). The file is DATA_DIR/kv.json.
//
// Exit status: 0 done, 1 the data file could not be read or written.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = 2;
// Keys every data file has from version 2 on; existing values are never overwritten.
const SEED = { greeting: 'hello from corral', jobs_done: '0' };

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.resolve(process.env.DATA_DIR || path.join(here, 'data'));
const file = path.join(dataDir, 'kv.json');

function readDataFile() {
  if (!fs.existsSync(file)) return null;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  // Version 1 files were a flat { key: value } object without a version.
  if (parsed.version === undefined) return { version: 1, data: parsed };
  return parsed;
}

/** Writes to a temporary file first, so a crash never leaves a half-written data file. */
function writeDataFile(content) {
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

try {
  fs.mkdirSync(dataDir, { recursive: true });
  const current = readDataFile();
  if (current === null) {
    writeDataFile({ version: VERSION, data: { ...SEED } });
    console.log(`migrate: created ${file} (version ${VERSION}, ${Object.keys(SEED).length} keys)`);
  } else if (current.version > VERSION) {
    console.error(`migrate: ${file} has version ${current.version}, newer than this script (${VERSION})`);
    process.exitCode = 1;
  } else if (current.version === VERSION) {
    console.log(`migrate: ${file} is up to date (version ${VERSION}), nothing to do`);
  } else {
    const data = { ...SEED, ...current.data };
    const added = Object.keys(SEED).filter((key) => !(key in current.data));
    writeDataFile({ version: VERSION, data });
    console.log(
      `migrate: upgraded ${file} from version ${current.version} to ${VERSION}` +
        ` (added ${added.length > 0 ? added.join(', ') : 'no keys'})`,
    );
  }
} catch (error) {
  console.error(`migrate: cannot migrate ${file}: ${error.message}`);
  process.exitCode = 1;
}
