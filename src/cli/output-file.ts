// An -o FILE written as docker's CLI writes it (moby/sys/atomicwriter): checked first, in its
// words; written to a temporary file beside it, mode 0600, that takes its name only once
// complete, so a failure leaves nothing behind and an existing file as it was.
import { lstatSync, renameSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, invalidArgument } from '../internal/errors.js';
import { randomHex } from '../internal/random.js';
import { removeFile } from '../internal/remove.js';

/** atomicwriter's refusals: a missing directory, a path that is no regular file. */
export function checkOutputFile(file: string): void {
  if (file === '') throw invalidArgument('file name is empty');
  const dir = path.dirname(file);
  if (dir !== '.' && dir !== '..') {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(dir);
    } catch (err) {
      throw invalidArgument(`invalid output path: ${describe(err)}`);
    }
    if (!st?.isDirectory()) throw invalidArgument(`invalid output path: stat ${dir}: not a directory`);
  }
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st || st.isFile()) return;
  if (st.isDirectory()) throw invalidArgument('cannot write to a directory');
  if (st.isSymbolicLink()) throw invalidArgument('cannot write to a symbolic link directly');
  if (st.isFIFO()) throw invalidArgument('cannot write to a named pipe (FIFO)');
  if (st.isSocket()) throw invalidArgument('cannot write to a socket');
  if (st.isCharacterDevice()) throw invalidArgument('cannot write to a character device file');
  throw invalidArgument('cannot write to a block device file');
}

/**
 * Runs `write` with the path of a temporary file beside `file`, then gives it `file`'s name;
 * if `write` fails, the temporary file goes and `file` is untouched.
 */
export async function writeAtomically(file: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = path.join(path.dirname(file), `.tmp-${path.basename(file)}${randomHex(4)}`);
  try {
    await fs.writeFile(temp, '', { mode: 0o600, flag: 'wx' });
    await write(temp);
    renameSync(temp, file);
  } catch (err) {
    removeFile(temp);
    throw err;
  }
}
