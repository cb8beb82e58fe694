// The layering (README.md, "Layout"), checked by `npm run lint:deps` in .ci/run:
//   sys <- aio (the loop) <- observability <- tools <- cli
// A layer imports only the layers before it; lib/errors.ts and lib/validate.ts serve all
// and import none; the root (lib/index.ts) exports sys, the loop and observability and
// names the tools' report types only (type-only imports, erased: it never loads the tools).
const LAYERS = ['sys', 'aio', 'observability', 'tools', 'cli'];

/** Forbids layer `i` from importing any layer after it. */
const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-not-to-higher-layers`,
  comment: `lib/${layer} sits below ${LAYERS.slice(i + 1).join(', ')}: it may not import them`,
  severity: 'error',
  from: { path: `^lib/${layer}/` },
  to: { path: `^lib/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'shared-modules-import-no-layer',
      comment: 'lib/errors.ts and lib/validate.ts are usable by every layer, so they import none',
      severity: 'error',
      from: { path: '^lib/(errors|validate)\\.ts$' },
      to: { path: '^lib/(index\\.ts|sys/|aio/|observability/|tools/|cli/)' },
    },
    {
      name: 'layers-not-to-root',
      comment: 'the root re-exports the layers; a layer imports the module it needs, not the root',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^lib/index\\.ts$' },
    },
    {
      name: 'root-loads-no-tool',
      comment: "require('aio-notify') must not load the tools or the CLI: type-only imports at most",
      severity: 'error',
      from: { path: '^lib/index\\.ts$' },
      to: { path: '^lib/(tools|cli)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves (a path left behind by a move fails here, not at run time)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'no module depends on itself through others',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too (a type cycle is still a cycle), and are told apart.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
