// What the functions' bundles hold in place of zod's `locales` namespace (see infra/bundling/bundle.ts):
// English only, the messages zod itself loads by default. Plain JavaScript: esbuild reads it as zod's own files.
export { default as en } from 'zod/v4/locales/en.js';
