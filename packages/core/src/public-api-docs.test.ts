/**
 * The quality bar of the public API (issue 2): every exported symbol of
 * `@raftkit/core` and `@raftkit/core/testing`, and every public member of
 * the exported classes, interfaces and enums (and of the classes of this
 * package their members expose), has a TSDoc comment. This walks the entry
 * points with the TypeScript compiler API and lists what lacks one. Mark a
 * member `@internal` to leave it out of the public API.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// TypeScript reports file names with forward slashes.
const SRC = fileURLToPath(new URL('.', import.meta.url)).replace(/\\/g, '/');
const ENTRY_POINTS = ['index.ts', 'testing/index.ts'].map((p) => SRC + p);

function hasDoc(node: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(node).some((d) => ts.isJSDoc(d) && (d.comment !== undefined || (d.tags?.length ?? 0) > 0));
}

function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');
}

function isPublicMember(m: ts.ClassElement | ts.TypeElement | ts.EnumMember): boolean {
  if (ts.isClassStaticBlockDeclaration(m as ts.Node) || ts.isSemicolonClassElement(m as ts.Node) || ts.isIndexSignatureDeclaration(m as ts.Node)) return false;
  const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
  if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
  if (m.name && ts.isPrivateIdentifier(m.name)) return false;
  return true;
}

function memberName(m: ts.Node): string {
  if (ts.isConstructorDeclaration(m)) return 'constructor';
  const name = (m as { name?: ts.PropertyName }).name;
  return name ? name.getText() : '?';
}

/** The classes and interfaces declared in this package that a type refers to. */
function referencedDeclarations(checker: ts.TypeChecker, type: ts.Type, out: ts.Symbol[], depth = 0): void {
  if (depth > 4) return;
  for (const sym of [type.getSymbol(), type.aliasSymbol]) {
    for (const d of sym?.declarations ?? []) {
      if (!d.getSourceFile().fileName.startsWith(SRC)) continue;
      if (ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d) || ts.isEnumDeclaration(d)) out.push(sym!);
    }
  }
  if (type.isUnionOrIntersection()) for (const t of type.types) referencedDeclarations(checker, t, out, depth + 1);
  if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    for (const t of checker.getTypeArguments(type as ts.TypeReference)) referencedDeclarations(checker, t, out, depth + 1);
  }
  for (const sig of type.getCallSignatures()) {
    referencedDeclarations(checker, sig.getReturnType(), out, depth + 1);
    for (const p of sig.getParameters()) referencedDeclarations(checker, checker.getTypeOfSymbol(p), out, depth + 1);
  }
}

/**
 * Undocumented public symbols and members, as `Name` and `Name.member`:
 * those exported by the entry points, and the classes and interfaces of
 * this package their public members expose (such as the `RaftLog` behind
 * `RawNode.raft.raftLog`).
 */
function undocumented(): string[] {
  const configPath = ts.findConfigFile(SRC, ts.sys.fileExists, 'tsconfig.json')!;
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, SRC + '..');
  const program = ts.createProgram(ENTRY_POINTS, { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const missing = new Set<string>();
  const seen = new Set<ts.Declaration>();
  for (const entry of ENTRY_POINTS) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const queue: ts.Symbol[] = [...checker.getExportsOfModule(moduleSymbol)];
    while (queue.length > 0) {
      const exported = queue.shift()!;
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const decl of symbol.declarations ?? []) {
        if (seen.has(decl) || isInternal(decl)) continue;
        seen.add(decl);
        // A variable's comment sits on its statement.
        const documented = ts.isVariableDeclaration(decl) ? hasDoc(decl.parent.parent) : hasDoc(decl);
        const name = symbol.getName();
        if (!documented) missing.add(name);
        let members: readonly (ts.ClassElement | ts.TypeElement | ts.EnumMember)[] = [];
        if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl) || ts.isEnumDeclaration(decl)) members = decl.members;
        else if (ts.isTypeAliasDeclaration(decl) && ts.isTypeLiteralNode(decl.type)) members = decl.type.members;
        for (const m of members) {
          if (!isPublicMember(m) || isInternal(m)) continue;
          referencedDeclarations(checker, checker.getTypeAtLocation(m), queue);
          // A constructor without parameters needs no comment of its own.
          if (ts.isConstructorDeclaration(m) && m.parameters.length === 0) continue;
          if (!hasDoc(m)) missing.add(`${name}.${memberName(m)}`);
        }
      }
    }
  }
  return [...missing].sort();
}

describe('public API documentation', () => {
  it('every exported symbol and every public member of the classes, interfaces and enums it exposes has TSDoc', () => {
    expect(undocumented()).toEqual([]);
  }, 60_000);
});
