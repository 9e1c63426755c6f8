// Every TypeScript block in every README type-checks under the repository's own strict options.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { moduleText, preludeLines, readmes, root, type Snippet, snippetsOf } from './snippets.js';

const snippets = readmes().flatMap(snippetsOf);
const outDir = join(import.meta.dirname, '../.snippets/typecheck');
const problems = new Map<string, string[]>();

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.base.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(
    { ...config, compilerOptions: { ...config.compilerOptions, types: ['node'] } },
    ts.sys,
    root,
  );
  return { ...parsed.options, noEmit: true };
}

function describeDiagnostic(snippet: Snippet, diagnostic: ts.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return text;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const inBlock = line - preludeLines(snippet);
  return inBlock < 0
    ? `prelude line ${line + 1}: ${text}`
    : `${snippet.readme}:${snippet.line + inBlock}: ${text}`;
}

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const files = snippets.map((snippet) => {
    const file = join(outDir, snippet.file);
    writeFileSync(file, moduleText(snippet));
    return file;
  });
  const program = ts.createProgram(files, compilerOptions());
  for (const [index, snippet] of snippets.entries()) {
    const source = program.getSourceFile(files[index] ?? '');
    const diagnostics = source
      ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      : [];
    problems.set(
      snippet.where,
      diagnostics.map((d) => describeDiagnostic(snippet, d)),
    );
  }
});

describe('README TypeScript blocks type-check', () => {
  it('finds the blocks', () => {
    expect(snippets.length).toBeGreaterThan(20);
  });
  it.each(snippets.map((s) => [s.where, s] as const))('%s', (where) => {
    expect(problems.get(where)).toEqual([]);
  });
});
