// Lint rules on top of `tsc --strict`: catch floating promises and unused code, the two bug classes
// that matter most in async Lambda handlers, and hold the layout's import boundaries by themselves.
import tseslint from 'typescript-eslint';

// Imports flow one way: functions/ → shared/; infra/ reads shared/. Both alias and relative spellings.
const boundary = (regex, message) => ({ regex, message });
const INFRA_FUNCTIONS_TEST = boundary(
  '^(#(infra|functions|test)/|(\\.\\./)+(infra|functions|test)/)',
  'shared/ never imports infra/, functions/ or test/: move what both need into shared/.',
);
const IONOS = boundary(
  '^(#shared/ionos/|(\\.\\./)+ionos/)',
  "shared/http/ is the generic HTTP layer and knows no IONOS specifics: pass them in (e.g. the Upstream config's readError).",
);
const OTHER_FUNCTION = boundary(
  '^(#functions/|\\./|(\\.\\./)+functions/)',
  'A function never imports another function (or infra/): share code through shared/.',
);
const INFRA = boundary('^(#infra/|(\\.\\./)+infra/)', 'A function never imports infra/: it is deployed alone.');
const OFFLINE = boundary(
  '^(#infra/offline/|(\\./|(\\.\\./)+)offline/)',
  'The CDK app never imports infra/offline/ (npm start, the emulators and the simulator): they are not deployed.',
);

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // A later block replaces an earlier one's options for the same rule, so shared/http/ repeats shared/'s.
  { files: ['shared/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [INFRA_FUNCTIONS_TEST] }] } },
  { files: ['shared/http/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [INFRA_FUNCTIONS_TEST, IONOS] }] } },
  { files: ['infra/*.ts', 'infra/constructs/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [OFFLINE] }] } },
  { files: ['functions/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [OTHER_FUNCTION, INFRA] }] } },
);
