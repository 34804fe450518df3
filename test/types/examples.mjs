// Type-checks the TypeScript examples of README.md and docs/*.md against the
// built package, with the settings of test/types/strict (strict,
// exactOptionalPropertyTypes, …), so that an example a reader copies
// compiles as written. Run after `npm run build`.
//
// Every ```ts block is an ES module of its own (top-level await allowed),
// unless the line before its fence is
//
//     <!-- ts-example: continued -->
//
// which makes it part of the module of the ```ts block before it in the same
// document (an example that goes on with the `app` and definitions of an
// earlier one). Its imports may repeat the earlier ones. Each such module is
// compiled in a program of its own, so one document's declaration merging
// never helps another's examples.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CONTINUED = '<!-- ts-example: continued -->'
const MARKER = /^\s*<!--\s*ts-example\b/

/** One ```ts block: its document, the line of its fence, its code. */
function blocksOf (file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const blocks = []
  let open
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (open === undefined) {
      const fence = /^(\s*)```\s*(\S*)/.exec(line)
      if (fence === null) {
        if (MARKER.test(line) && line.trim() !== CONTINUED) throw new Error(`${relative(ROOT, file)}:${i + 1}: unknown marker ${line.trim()}; the one marker is ${CONTINUED}`)
        continue
      }
      const marked = i > 0 && lines[i - 1].trim() === CONTINUED
      open = { indent: fence[1].length, lang: fence[2], line: i + 1, continued: marked, code: [] }
      if (marked && open.lang !== 'ts') throw new Error(`${relative(ROOT, file)}:${i}: ${CONTINUED} before a \`\`\`${open.lang} block; it marks \`\`\`ts blocks only`)
    } else if (/^\s*```\s*$/.test(line)) {
      if (open.lang === 'ts') blocks.push({ file, line: open.line, continued: open.continued, code: open.code.join('\n') })
      open = undefined
    } else {
      open.code.push(line.slice(Math.min(open.indent, /^\s*/.exec(line)[0].length)))
    }
  }
  return blocks
}

/** The names an import declaration binds, and its text without those already bound. */
function withoutRebound (declaration, source, bound) {
  const specifier = declaration.moduleSpecifier.text
  const clause = declaration.importClause
  const text = declaration.getText(source)
  if (clause === undefined) return text
  const seen = bound.get(specifier) ?? new Set()
  bound.set(specifier, seen)
  const keep = (name) => !seen.has(name) && seen.add(name)
  const typeOnly = clause.isTypeOnly ? 'type ' : ''
  const parts = []
  if (clause.name !== undefined && keep(clause.name.text)) parts.push(clause.name.text)
  const named = clause.namedBindings
  if (named !== undefined && ts.isNamespaceImport(named)) {
    if (keep(named.name.text)) parts.push(`* as ${named.name.text}`)
  } else if (named !== undefined) {
    const elements = named.elements.filter((element) => keep(element.name.text)).map((element) => element.getText(source))
    if (elements.length > 0) parts.push(`{ ${elements.join(', ')} }`)
  }
  return parts.length === 0 ? '' : `import ${typeOnly}${parts.join(', ')} from '${specifier}'`
}

/**
 * The modules to compile: each a path inside the repository (so that
 * 'fastify-pancake' resolves through package.json "exports", as for an
 * installed package), its text, and where each of its lines came from.
 */
function modulesOf (blocks) {
  const modules = []
  for (const block of blocks) {
    const previous = modules.at(-1)
    if (block.continued && previous?.file !== block.file) throw new Error(`${relative(ROOT, block.file)}:${block.line}: ${CONTINUED}, but no \`\`\`ts block before it in the document`)
    const module = block.continued
      ? previous
      : { file: block.file, path: `${block.file}.${block.line}.mts`, text: [], origins: [], bound: new Map() }
    if (!block.continued) modules.push(module)
    // Imports an earlier block of the module made are left out, each
    // declaration replaced by as many lines, so lines keep their origin.
    const source = ts.createSourceFile('block.mts', block.code, ts.ScriptTarget.Latest, true)
    let code = block.code
    for (const statement of [...source.statements].reverse()) {
      if (!ts.isImportDeclaration(statement)) continue
      const start = statement.getStart(source)
      const original = code.slice(start, statement.end)
      const kept = withoutRebound(statement, source, module.bound)
      code = code.slice(0, start) + kept + '\n'.repeat(original.split('\n').length - 1) + code.slice(statement.end)
    }
    const lines = code.split('\n')
    lines.forEach((_, i) => module.origins.push(`${relative(ROOT, block.file)}:${block.line + 1 + i}`))
    module.text.push(...lines)
  }
  return modules.map(({ path, text, origins }) => ({ path, text: text.join('\n'), origins }))
}

function compilerOptions () {
  const configFile = join(ROOT, 'test', 'types', 'strict', 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile)
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile))
  // test/types/strict checks the package's own declarations already. The
  // examples are also held to what Node.js can run by stripping the types
  // (`node app.mts`): type-only imports marked, no enums or namespaces.
  return { ...options, skipLibCheck: true, verbatimModuleSyntax: true, erasableSyntaxOnly: true }
}

const documents = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => join(ROOT, 'docs', name))]
const blocks = documents.flatMap(blocksOf)
const modules = modulesOf(blocks)
if (modules.length === 0) throw new Error('No ```ts block found in README.md or docs/*.md')

const options = compilerOptions()
const defaultHost = ts.createCompilerHost(options)
// Declaration files parsed once, for every program.
const parsed = new Map()
let failures = 0
for (const module of modules) {
  const host = {
    ...defaultHost,
    fileExists: (path) => path === module.path || defaultHost.fileExists(path),
    readFile: (path) => path === module.path ? module.text : defaultHost.readFile(path),
    getSourceFile: (path, language) => {
      if (path === module.path) return ts.createSourceFile(path, module.text, language, true)
      if (!parsed.has(path)) parsed.set(path, defaultHost.getSourceFile(path, language))
      return parsed.get(path)
    }
  }
  const program = ts.createProgram([module.path], options, host)
  const diagnostics = ts.getPreEmitDiagnostics(program)
  for (const diagnostic of diagnostics) {
    failures++
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (diagnostic.file?.fileName === module.path) {
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      console.error(`${module.origins[line]}:${character + 1}: TS${diagnostic.code}: ${message}`)
    } else {
      const where = diagnostic.file === undefined ? '' : `${relative(ROOT, diagnostic.file.fileName)}: `
      console.error(`${where}TS${diagnostic.code}: ${message} (compiling the example at ${module.origins[0]})`)
    }
  }
}
if (failures > 0) {
  console.error(`${failures} type error(s) in the TypeScript examples of README.md and docs/*.md`)
  process.exitCode = 1
} else {
  console.log(`${blocks.length} TypeScript examples of README.md and docs/*.md (${modules.length} modules) type-check`)
}
