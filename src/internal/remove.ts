// Removing a directory tree (rm -rf) in direct calls, for the trees a container leaves: its
// snapshot and its dirs, a few entries each, removed while the CLI has nothing else to do.
import { type Dirent, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { removeTreeNative } from './sys.js';

/**
 * Removes `target` and everything under it; a missing target is fine, a symlink is removed
 * and not followed. The addon walks the tree in system calls only (each directory read once
 * with its entries' types: a file costs one unlinkat, a directory an open, a read and an
 * rmdir); the walk here takes over a tree deeper than the addon goes. Node 20's fs.rmSync costs
 * twice the system calls (an lstat per entry, and a thrown ENOTEMPTY to learn that a directory
 * has entries), and fs.promises.rm a trip through libuv's thread pool for each of them (0.1-0.4
 * ms on a busy host); the addon also saves the JS of the walk, ~2 ms of a container's removal.
 */
export function removeTree(target: string): void {
  try {
    removeTreeNative(target);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
  }
  removeTreeWalk(target);
}

/**
 * Removes one file (not a directory); a missing one is fine. fs.rmSync would load Node's
 * rimraf module for it (~0.4 ms of a command's start) even without `recursive`.
 */
export function removeFile(file: string): void {
  ignoreMissing(() => unlinkSync(file));
}

/** The same removal walked in JS, one readdir per directory: for trees the addon declines. */
function removeTreeWalk(target: string): void {
  let isDir: boolean;
  try {
    isDir = lstatSync(target).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (isDir) removeDir(target);
  else ignoreMissing(() => unlinkSync(target));
}

function removeDir(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    // A dirent describes the entry itself: a symlink to a directory is no directory here.
    if (e.isDirectory()) removeDir(p);
    else ignoreMissing(() => unlinkSync(p));
  }
  ignoreMissing(() => rmdirSync(dir));
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
