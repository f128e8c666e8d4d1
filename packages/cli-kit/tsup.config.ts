import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

// `@flows/cli-kit/csv` is the CSV reader alone (no terminal or Node code at its top level), for pages that read dropped CSV files.
export default defineConfig(libraryConfig(['src/index.ts', 'src/csv.ts']));
