// After the shared setup (@flows/test-support/vitest-setup): the package's entry point registers its
// classes when imported; tests import modules one by one.
const { registerBuiltinBijectors } = await import('./src/register-builtins.js');
registerBuiltinBijectors();
