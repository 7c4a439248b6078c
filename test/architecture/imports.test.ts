/**
 * The shape of src/: no module imports itself through others (an import circle), and nothing
 * imports a package's private files or evaluates source text.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC);
const text = new Map(files.map((file) => [file, fs.readFileSync(file, 'utf8')]));

/** Every import of a file (type-only ones too), as written. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(text.get(file)!, true, true).importedFiles.map((f) => f.fileName);
}

/** The src files a file imports. */
function localImports(file: string): string[] {
  return importsOf(file)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name.replace(/\.js$/, '.ts')));
}

describe('src imports', () => {
  it('form no circle', () => {
    const circles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, trail: string[]) => {
      const at = trail.indexOf(file);
      if (at >= 0) {
        circles.push([...trail.slice(at), file].map((f) => path.relative(SRC, f)).join(' > '));
        return;
      }
      if (done.has(file)) return;
      for (const next of localImports(file)) visit(next, [...trail, file]);
      done.add(file);
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('name only files that exist', () => {
    const missing = files.flatMap((file) =>
      localImports(file)
        .filter((target) => !text.has(target))
        .map((target) => `${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`),
    );
    expect(missing).toEqual([]);
  });

  it('need only run-time dependencies, so that a production install (--omit=dev) runs', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(SRC, '../package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const packageOf = (name: string) =>
      name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
    const outside = files.flatMap((file) =>
      importsOf(file)
        .filter((name) => !name.startsWith('.') && !name.startsWith('node:'))
        .map(packageOf)
        .filter((name) => !(name in manifest.dependencies))
        .map((name) => `${path.relative(SRC, file)}: ${name}`),
    );
    expect(outside).toEqual([]);
  });

  it('reach no package’s private files, and evaluate no source text', () => {
    const offences = files.flatMap((file) => {
      const privateImports = importsOf(file).filter((name) =>
        /^(kysely\/dist|nodemailer\/lib|better-sqlite3\/lib|pg\/lib)/.test(name),
      );
      const evaluates = /\beval\(|new Function\(|eval: *true/.test(text.get(file)!);
      return [...privateImports, ...(evaluates ? ['evaluates source text'] : [])].map(
        (what) => `${path.relative(SRC, file)}: ${what}`,
      );
    });
    expect(offences).toEqual([]);
  });
});
