#!/usr/bin/env node
// Swift *syntax* checker: parses each file with the tree-sitter Swift grammar
// (WebAssembly build, run by web-tree-sitter) and reports every ERROR or
// MISSING node. Not a type checker. Because the tree-sitter grammar is more
// lenient than swiftc about reserved words (it accepts `let protocol: Int`,
// `case default`, ...), it also reports reserved words used unescaped as
// identifiers (they need backticks: `protocol`). Fully offline: the grammar and runtime
// come from node_modules (installed by check.sh via `npm ci`).
//
// Usage: node check.mjs [--tree] FILE.swift [FILE2.swift ...]
//   --tree  also print the S-expression of each parse tree (debugging)
// Exit: 0 all files clean, 1 syntax errors found, 2 usage/IO/setup error.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

// The grammar is a 3.4 MB wasm module; V8 otherwise spends ~3 s of CPU
// optimising it with TurboFan. The baseline (Liftoff) code parses a 16k-line
// file in well under a second, so skip the optimising tier. Must run before
// any wasm is compiled. A V8 without this flag just prints "unrecognized
// flag" to stderr and carries on at normal (slower) speed.
v8.setFlagsFromString('--liftoff-only');

const here = dirname(fileURLToPath(import.meta.url));
const GRAMMAR_WASM = join(here, 'node_modules', '@repomix', 'tree-sitter-wasms', 'out', 'tree-sitter-swift.wasm');

const args = process.argv.slice(2);
const showTree = args.includes('--tree');
const files = args.filter((a) => a !== '--tree');
if (files.length === 0) {
  console.error('usage: check.sh [--tree] FILE.swift [FILE2.swift ...]');
  process.exit(2);
}

let Parser, Language;
try {
  ({ Parser, Language } = await import('web-tree-sitter'));
} catch (e) {
  console.error(`swiftcheck: cannot load web-tree-sitter (run check.sh to install): ${e.message}`);
  process.exit(2);
}

await Parser.init();
let swift;
try {
  swift = await Language.load(GRAMMAR_WASM);
} catch (e) {
  console.error(`swiftcheck: cannot load Swift grammar ${GRAMMAR_WASM}: ${e.message}`);
  process.exit(2);
}
const parser = new Parser();
parser.setLanguage(swift);

// Short one-line excerpt of the source starting at `index`, for messages.
function snippetAt(src, index, max = 40) {
  let s = src.slice(index, index + 200).split('\n')[0];
  if (s.trim() === '') {
    // Nothing on the rest of the line (e.g. MISSING at end of line):
    // show the tail of the text before it instead.
    const before = src.slice(Math.max(0, index - 200), index).split('\n');
    s = before[before.length - 1] || before[before.length - 2] || '';
  }
  s = s.trim();
  if (s.length > max) s = s.slice(0, max) + '…';
  return JSON.stringify(s);
}

// Collect ERROR nodes (outermost only: an ERROR inside an ERROR is part of
// the same failure) and all MISSING nodes, in document order.
function collectProblems(root) {
  const out = [];
  const walk = (node, insideError) => {
    if (node.isMissing) {
      out.push({ node, kind: 'missing' });
      return;
    }
    const isErr = node.isError;
    if (isErr && !insideError) out.push({ node, kind: 'error' });
    if (!node.hasError && !isErr) return; // clean subtree
    for (let i = 0; i < node.childCount; i++) walk(node.child(i), insideError || isErr);
  };
  walk(root, false);
  return out;
}

// Reserved words swiftc rejects as identifiers unless written in backticks.
// (Contextual keywords such as type, get, set, open, some, any, async are
// fine as identifiers and are not listed.)
const RESERVED = new Set([
  'associatedtype', 'class', 'deinit', 'enum', 'extension', 'fileprivate', 'func', 'import',
  'init', 'inout', 'internal', 'let', 'operator', 'private', 'precedencegroup', 'protocol',
  'public', 'rethrows', 'static', 'struct', 'subscript', 'typealias', 'var',
  'break', 'case', 'catch', 'continue', 'default', 'defer', 'do', 'else', 'fallthrough',
  'for', 'guard', 'if', 'in', 'repeat', 'return', 'throw', 'switch', 'where', 'while',
  'as', 'false', 'is', 'nil', 'throws', 'true', 'try',
  'Any', 'Self', 'self', 'super',
]);
// Of those, words that legitimately appear as plain identifiers/types in
// expressions and type positions (Self.foo, [String: Any], [weak self]);
// they are only flagged where something is being declared with that name.
const EXPR_OK = new Set(['Any', 'Self', 'self', 'super']);
// Parameter labels may be any keyword except these (SE-0001).
const LABEL_FORBIDDEN = new Set(['inout', 'var', 'let']);
const DECL_NAME_PARENTS = new Set([
  'class_declaration', 'protocol_declaration', 'typealias_declaration', 'function_declaration',
  'enum_entry', 'associatedtype_declaration',
]);

// Is this simple_identifier/type_identifier node the name being declared?
function isDeclName(node) {
  const parent = node.parent;
  if (!parent) return false;
  if (DECL_NAME_PARENTS.has(parent.type)) return true;
  // let/var bindings: (property_declaration name: (pattern bound_identifier: X))
  // and tuple destructuring (pattern (pattern X) (pattern X)).
  if (parent.type === 'pattern') {
    let p = parent;
    while (p && p.type === 'pattern') p = p.parent;
    return !!p && p.type === 'property_declaration';
  }
  return false;
}

function keywordProblems(root) {
  const out = [];
  const walk = (node) => {
    if (node.type === 'simple_identifier' || node.type === 'type_identifier') {
      const text = node.text;
      if (RESERVED.has(text) && !keywordAllowedHere(node, text)) out.push({ node, kind: 'keyword' });
      return;
    }
    for (let i = 0; i < node.childCount; i++) walk(node.child(i));
  };
  walk(root);
  return out;
}

function keywordAllowedHere(node, text) {
  const parent = node.parent;
  if (!parent) return false;
  const prev = node.previousSibling;
  // Member access / implicit member: x.default, .protocol, Foo.init
  if (parent.type === 'navigation_suffix' || (prev && prev.type === '.')) return true;
  // Call argument labels: f(protocol: 1)
  if (parent.type === 'value_argument_label') return true;
  // Labels of enum associated values and tuple types: case x(default: Int)
  if (parent.type === 'enum_type_parameters' || parent.type === 'tuple_type_item') return !LABEL_FORBIDDEN.has(text);
  if (parent.type === 'parameter' || parent.type === 'lambda_parameter') {
    // External label: any keyword but inout/var/let.
    const ext = parent.childForFieldName('external_name');
    if (ext && ext.id === node.id) return !LABEL_FORBIDDEN.has(text);
    // Single-name parameter: the name doubles as the label (allowed); an
    // internal name behind a separate label must be escaped.
    if (!ext) return !LABEL_FORBIDDEN.has(text);
    return false;
  }
  if (isDeclName(node)) return false;
  return EXPR_OK.has(text) || node.type === 'type_identifier';
}

let bad = 0;
let problemsTotal = 0;
for (const file of files) {
  let src;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`${file}: cannot read: ${e.message}`);
    process.exitCode = 2;
    bad++;
    continue;
  }
  const tree = parser.parse(src);
  if (!tree) {
    console.error(`${file}: parser returned no tree`);
    process.exitCode = 2;
    bad++;
    continue;
  }
  if (showTree) console.log(`${file}:\n${tree.rootNode.toString()}`);
  const problems = collectProblems(tree.rootNode);
  if (problems.length === 0) problems.push(...keywordProblems(tree.rootNode));
  for (const { node, kind } of problems) {
    const { row } = node.startPosition;
    // 1-based column in Unicode code points (web-tree-sitter counts UTF-16 units).
    const lineStart = src.lastIndexOf('\n', node.startIndex - 1) + 1;
    const col = [...src.slice(lineStart, node.startIndex)].length + 1;
    let msg = `${file}:${row + 1}:${col}: syntax error near ${snippetAt(src, node.startIndex)}`;
    if (kind === 'missing') msg += ` (missing ${JSON.stringify(node.type)})`;
    if (kind === 'keyword') msg += ` (reserved word used as identifier; write \`${node.text}\`)`;
    console.log(msg);
  }
  if (problems.length > 0) bad++;
  problemsTotal += problems.length;
  tree.delete();
}

if (bad > 0) {
  console.log(`FAIL: ${problemsTotal} syntax error(s) in ${bad} of ${files.length} file(s)`);
  if (!process.exitCode) process.exitCode = 1;
} else {
  console.log(`ok: ${files.length} files parsed`);
}
