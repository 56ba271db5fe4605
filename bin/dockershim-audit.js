#!/usr/bin/env node
// Entry for `npx dockershim-audit`. The engine is TypeScript run by Node's type stripping,
// which needs Node 22.18 or later; the project's own Node 24 (the `node` devDependency) is
// first on the PATH of npm scripts and npx.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `dockershim-audit needs Node.js 22.18 or later; this is ${process.version}.\n` +
      'Run it through npm (npx dockershim-audit ..., npm start) to use the Node 24 the project installs.\n',
  );
  process.exit(1);
}
// Before the engine is imported: its modules are what the cache is for.
const { enableCliCompileCache } = await import('../lambda/compile-cache.ts');
enableCliCompileCache();
const { main } = await import('../lambda/cli.ts');
process.exitCode = await main(process.argv.slice(2));
